"""The query bodies and responses, each a discriminated union on ``kind``, and the runner of each kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field

from api.queries import funnel, lifecycle, paths, retention, sql, stickiness, trends
from api.queries.base import QueryModel
from api.queries.context import Computed, QueryContext, Source

QueryBody = Annotated[
    trends.TrendsQuery
    | funnel.FunnelQuery
    | funnel.FunnelPersonsQuery
    | paths.PathsQuery
    | retention.RetentionQuery
    | lifecycle.LifecycleQuery
    | stickiness.StickinessQuery
    | sql.SqlQuery,
    Field(discriminator="kind"),
]

RUNNERS: dict[str, Callable[[Any, QueryContext], Computed]] = {
    "trends": trends.run,
    "funnel": funnel.run,
    "funnel_persons": funnel.run_persons,
    "paths": paths.run,
    "retention": retention.run,
    "lifecycle": lifecycle.run,
    "stickiness": stickiness.run,
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


class PathsResponse(_Answer):
    kind: Literal["paths"] = "paths"
    results: list[paths.PathEdge]
    """The edges, the most taken first (then by source and target)."""


class RetentionResponse(_Answer):
    kind: Literal["retention"] = "retention"
    results: list[retention.RetentionCohort]
    """One entry per cohort, the oldest first."""


class LifecycleResponse(_Answer):
    kind: Literal["lifecycle"] = "lifecycle"
    results: list[lifecycle.LifecycleResult]
    """Four series: new, returning, resurrecting, dormant."""


class StickinessResponse(_Answer):
    kind: Literal["stickiness"] = "stickiness"
    results: list[stickiness.StickinessSeriesResult]
    """One entry per series."""


class SqlResponse(_Answer):
    kind: Literal["sql"] = "sql"
    results: sql.SqlResult


QueryResponse = Annotated[
    TrendsResponse
    | FunnelResponse
    | FunnelPersonsResponse
    | PathsResponse
    | RetentionResponse
    | LifecycleResponse
    | StickinessResponse
    | SqlResponse,
    Field(discriminator="kind"),
]
RESPONSES: dict[str, type[_Answer]] = {
    "trends": TrendsResponse,
    "funnel": FunnelResponse,
    "funnel_persons": FunnelPersonsResponse,
    "paths": PathsResponse,
    "retention": RetentionResponse,
    "lifecycle": LifecycleResponse,
    "stickiness": StickinessResponse,
    "sql": SqlResponse,
}
