"""What the pipeline health page reads besides the query API: Kafka and Dagster, from the stack's settings.

- consumer lag per partition: the consumer group's committed offsets against the end of the events topic
  (ingest/lag.py, the same as `clickpath lag`);
- events per second: how fast the end of the events topic (captured) and the group's committed offsets
  (stored) move between two readings;
- dead letters: what the dead-letter topic holds, and how many of them no replay has sent back yet
  (the replay group's offsets, as `clickpath dlq list` counts them);
- freshness of each dbt asset: its last materialization, from the Dagster webserver's GraphQL, and the last
  write to its ClickHouse table (the first `up` builds the models with dbt directly, which Dagster does not
  record; a view is as fresh as the events under it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from infra import clients
from infra.settings import Settings
from ingest.dlq import REPLAY_GROUP
from ingest.lag import partition_lag, partition_offsets

TIMEOUT_S = 10

ASSETS_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    isPartitioned
    isMaterializable
    assetMaterializations(limit: 1) { timestamp partition runId }
  }
}
"""


@dataclass(frozen=True)
class Offsets:
    """One reading of the events topic: per partition (committed by the group or -1, end), and when."""

    at: float
    partitions: list[tuple[int, int, int]]

    @property
    def produced(self) -> int:
        return sum(end for _, _, end in self.partitions)

    @property
    def stored(self) -> int:
        return sum(max(committed, 0) for _, committed, _ in self.partitions)

    @property
    def lag(self) -> int:
        return sum(end - max(committed, 0) for _, committed, end in self.partitions)


def read_offsets(settings: Settings) -> Offsets:
    partitions = partition_lag(settings, settings.kafka_events_topic, settings.consumer_group)
    return Offsets(time.monotonic(), partitions)


def per_second(earlier: Offsets, later: Offsets) -> tuple[float, float]:
    """Events per second captured (the topic's end) and stored (the group's commits) between two readings."""
    seconds = later.at - earlier.at
    if seconds <= 0:
        return 0.0, 0.0
    return (later.produced - earlier.produced) / seconds, (later.stored - earlier.stored) / seconds


@dataclass(frozen=True)
class DeadLetters:
    total: int
    """Letters the topic holds (from its low to its high watermark, over every partition)."""
    pending: int
    """Those after the replay group's committed offsets: not replayed yet."""


def dead_letters(settings: Settings) -> DeadLetters:
    # the replay group's offsets, read without joining it (or moving them)
    partitions = partition_offsets(settings, settings.kafka_dlq_topic, REPLAY_GROUP)
    total = sum(p.high - p.low for p in partitions)
    return DeadLetters(total, pending=sum(p.high - max(p.low, p.committed) for p in partitions))


def dagster_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.port('dagster')}"


@dataclass(frozen=True)
class Asset:
    key: str
    group: str | None
    partitioned: bool
    last_materialized: float | None
    """Unix seconds of its last materialization; None if Dagster never materialized it."""
    partition: str | None
    run_id: str | None


def assets(settings: Settings) -> list[Asset]:
    """The materializable assets (the dbt models) with their last materialization, as Dagster records it."""
    response = httpx.post(f"{dagster_url(settings)}/graphql", json={"query": ASSETS_QUERY}, timeout=TIMEOUT_S)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(f"Dagster GraphQL: {body['errors'][0].get('message')}")
    found = []
    for node in body["data"]["assetNodes"]:
        if not node.get("isMaterializable", True):
            continue  # the tables ingestion writes: Dagster observes them, never builds them
        last = (node.get("assetMaterializations") or [None])[0]
        found.append(
            Asset(
                key="/".join(node["assetKey"]["path"]),
                group=node.get("groupName"),
                partitioned=bool(node.get("isPartitioned")),
                last_materialized=float(last["timestamp"]) / 1000 if last else None,
                partition=last.get("partition") if last else None,
                run_id=last.get("runId") if last else None,
            )
        )
    return sorted(found, key=lambda asset: (asset.group or "", asset.key))


@dataclass(frozen=True)
class Table:
    engine: str
    last_write: float | None
    """Unix seconds of the newest active part's modification; None for a view or an empty table."""
    rows: int | None


def tables(settings: Settings) -> dict[str, Table]:
    """Every table of Clickpath's database: its engine, newest part and row count (from system tables)."""
    client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    try:
        result = client.query(
            """
            SELECT t.name, t.engine, toUnixTimestamp(p.last_write), t.total_rows
            FROM system.tables AS t
            LEFT JOIN (
                SELECT table, max(modification_time) AS last_write FROM system.parts
                WHERE database = currentDatabase() AND active GROUP BY table
            ) AS p ON p.table = t.name
            WHERE t.database = currentDatabase()
            """
        )
        return {
            name: Table(engine, float(last) if last else None, int(rows) if rows is not None else None)
            for name, engine, last, rows in result.result_rows
        }
    finally:
        client.close()
