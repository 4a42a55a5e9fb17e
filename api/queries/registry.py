"""The query bodies and responses, each a discriminated union on ``kind``, and the runner of each kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field

from api.queries import funnel, sql, trends
from api.queries.base import QueryModel
from api.queries.context import Computed, QueryContext, Source

QueryBody = Annotated[
    trends.TrendsQuery | funnel.FunnelQuery | funnel.FunnelPersonsQuery | sql.SqlQuery, Field(discriminator="kind")
]

RUNNERS: dict[str, Callable[[Any, QueryContext], Computed]] = {
    "trends": trends.run,
    "funnel": funnel.run,
    "funnel_persons": funnel.run_persons,
    "sql": sql.run,
}


class _Answer(QueryModel):
    source: Source
    """What served the results: raw ``events``, a ``rollup`` or a ``funnel_table``."""
    cached: bool
    """True when the answer came from the cache (the data had not changed since it was computed)."""
    took_ms: float


class TrendsResponse(_Answer):
    kind: Literal["trends"] = "trends"
    results: list[trends.TrendsSeriesResult]


class FunnelResponse(_Answer):
    kind: Literal["funnel"] = "funnel"
    results: list[funnel.FunnelStepResult]
    """One entry per step (per breakdown value, the largest first, when broken down)."""


class FunnelPersonsResponse(_Answer):
    kind: Literal["funnel_persons"] = "funnel_persons"
    results: list[funnel.FunnelPerson]
    """A page of the persons who dropped off, ordered by person_id."""


class SqlResponse(_Answer):
    kind: Literal["sql"] = "sql"
    results: sql.SqlResult


QueryResponse = Annotated[
    TrendsResponse | FunnelResponse | FunnelPersonsResponse | SqlResponse, Field(discriminator="kind")
]
RESPONSES: dict[str, type[_Answer]] = {
    "trends": TrendsResponse,
    "funnel": FunnelResponse,
    "funnel_persons": FunnelPersonsResponse,
    "sql": SqlResponse,
}
