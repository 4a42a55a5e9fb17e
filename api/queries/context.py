"""What a runner gets: the project, a ClickHouse client, the clock; and what it gives back."""

from __future__ import annotations

import re
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from api.errors import APIError
from api.queries.params import Params
from infra.settings import Settings

EXCEPTION = re.compile(r"DB::Exception: (.*?)(?: \(version [^)]*\))?(?: \(for url [^)]*\))?\s*$", re.S)
MAX_REASON = 500
CHANGES_SQL = "SELECT sum(changes) FROM project_changes WHERE project_id = {project_id:UInt64}"


class Source(StrEnum):
    """What served an answer: the raw events, or a dbt table: the events_hourly rollup or funnel_person_steps."""

    EVENTS = "events"
    ROLLUP = "rollup"
    FUNNEL_TABLE = "funnel_table"


@dataclass(frozen=True)
class QueryContext:
    project_id: int
    timezone: ZoneInfo
    client: Client
    settings: Settings
    now: datetime
    changes_read: Future[int] | None = None
    """``data_changes`` already being read (the query route starts it beside the caller's authentication)."""
    _memo: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def params(self) -> Params:
        """A fresh parameter set, the project already bound (every query filters on it)."""
        return Params(project_id=self.project_id)

    @property
    def data_changes(self) -> int:
        """Rows ever written to the project's events and person tables (schemas/clickhouse/0005_project_changes.sql):
        the freshness the query cache keys on, read once per context, so a dashboard's tiles share one read.

        Not a functools.cached_property: on Python 3.11 its lock is shared by every instance, so one request
        waiting for its read would hold up all the others (and one waiting on ``changes_read`` would deadlock
        with the thread making that read)."""
        if "changes" not in self._memo:
            self._memo["changes"] = self.changes_read.result() if self.changes_read else self.read_changes()
        return self._memo["changes"]

    def read_changes(self) -> int:
        return int(self.rows(CHANGES_SQL, self.params())[0][0])

    def rows(self, sql: str, params: Params, settings: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.run(sql, params, settings).result_rows

    def run(self, sql: str, params: Params, settings: dict[str, Any] | None = None) -> Any:
        """Runs a query within the API's time limit; a ClickHouse error becomes a 400 that says what failed."""
        limits = {"max_execution_time": self.settings.query_max_execution_s, **(settings or {})}
        try:
            return self.client.query(sql, parameters=params.values, settings=limits)
        except DatabaseError as error:
            raise APIError(400, f"the query failed in ClickHouse: {_reason(error)}") from None


def _reason(error: Exception) -> str:
    """ClickHouse's own words (``Code: 427. DB::Exception: …``), without the server's version and address."""
    text = str(error)
    reason = EXCEPTION.search(text)
    return (reason[1] if reason else type(error).__name__)[:MAX_REASON]


@dataclass(frozen=True)
class Computed:
    """A runner's answer before caching: its results and the source that served them."""

    results: Any
    source: Source = Source.EVENTS
