"""The benchmark's event data: one narrow schema, built client-side for inserts and server-side for GROUP BYs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ("id", "event", "distinct_id", "timestamp", "project_id")
# Event mix of a typical product-analytics stream (weights in percent, summing to 100).
EVENT_WEIGHTS = {
    "$pageview": 45,
    "$autocapture": 25,
    "$pageleave": 12,
    "click": 6,
    "$identify": 5,
    "scroll": 4,
    "signup": 2,
    "purchase": 1,
}
USERS = 200_000
PROJECTS = 19
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SPAN_MS = 30 * 86_400_000  # thirty days of events
SEED = 20260101


def create_table_sql(table: str) -> str:
    return (
        f"CREATE TABLE {table} (id UInt64, event LowCardinality(String), distinct_id String, "
        "timestamp DateTime64(3), project_id UInt32) ENGINE = MergeTree ORDER BY (project_id, event, timestamp)"
    )


@dataclass(frozen=True)
class Payload:
    """The same rows in each shape a client hands to clickhouse-connect."""

    frame: pd.DataFrame
    columns: list[list[Any]]

    @property
    def rows(self) -> int:
        return len(self.frame)


def build_payload(rows: int) -> Payload:
    """Deterministic random events: a DataFrame and the equivalent Python column lists (datetimes, ints, strs)."""
    rng = np.random.default_rng(SEED)
    names = np.array(list(EVENT_WEIGHTS))
    weights = np.array(list(EVENT_WEIGHTS.values()), dtype=float) / 100
    timestamps = np.datetime64(START_MS, "ms") + rng.integers(0, SPAN_MS, rows).astype("timedelta64[ms]")
    frame = pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.uint64),
            "event": rng.choice(names, rows, p=weights),
            "distinct_id": np.char.add("user-", rng.integers(0, USERS, rows).astype(str)),
            "timestamp": timestamps,
            "project_id": rng.integers(1, PROJECTS + 1, rows).astype(np.uint32),
        }
    )
    columns = [frame[name].tolist() for name in COLUMNS]
    columns[COLUMNS.index("timestamp")] = timestamps.astype(dt.datetime).tolist()
    return Payload(frame, columns)


def generate_sql(table: str, rows: int) -> str:
    """INSERT … SELECT that makes the same kind of events inside the engine (deterministic, so both sides match)."""
    weighted = [name for name, weight in EVENT_WEIGHTS.items() for _ in range(weight)]
    events = "[" + ", ".join(f"'{name}'" for name in weighted) + "]"
    return (
        f"INSERT INTO {table} SELECT number, {events}[cityHash64(number) % 100 + 1], "
        f"concat('user-', toString(cityHash64(number, 1) % {USERS})), "
        f"fromUnixTimestamp64Milli(toInt64({START_MS} + cityHash64(number, 2) % {SPAN_MS})), "
        f"toUInt32(cityHash64(number, 3) % {PROJECTS} + 1) FROM numbers({rows})"
    )


def group_by_queries(table: str) -> dict[str, str]:
    """Dashboard-style aggregations: a tiny result, and one of ~14k rows so the result transfer counts too."""
    return {
        "events by type": (
            f"SELECT event, count() AS events, uniq(distinct_id) AS users FROM {table} GROUP BY event ORDER BY event"
        ),
        "hourly by project": (
            f"SELECT project_id, toStartOfHour(timestamp) AS hour, count() AS events, uniq(distinct_id) AS users "
            f"FROM {table} GROUP BY project_id, hour ORDER BY project_id, hour"
        ),
    }
