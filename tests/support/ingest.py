"""Helpers for ingestion tests: a fresh project per test, and waiting for its events in ClickHouse."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from clickhouse_connect.driver.client import Client

from api import accounts, db
from infra import clients
from infra.settings import Settings

WAIT_S = 30


@dataclass
class Project:
    id: int
    key: str


@dataclass
class Pipeline:
    """The test stack's capture API and ClickHouse, seen from outside as an SDK and an analyst would."""

    settings: Settings

    @property
    def capture_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port('capture')}"

    def clickhouse(self) -> Client:
        return clients.clickhouse(self.settings, database=self.settings.clickhouse_database)

    def new_project(self) -> Project:
        """An owner, organization and project of their own, so counts of one test never see another's."""
        name = uuid.uuid4().hex[:10]
        with db.sessions(self.settings)() as session:
            account = accounts.create_account(session, f"ingest-{name}@example.com", "password-123", name, name, name)
            credentials = accounts.owner_credentials(session, account.user, account.project, "tests")
            session.commit()
        return Project(int(credentials["project_id"]), str(credentials["project_api_key"]))

    def events(self, project_id: int, expected: int, timeout_s: float = WAIT_S) -> list[dict[str, Any]]:
        """The project's events once there are at least `expected` (ordered by timestamp, uuid)."""
        client = self.clickhouse()
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                result = client.query(
                    "SELECT * FROM events WHERE project_id = {p:UInt64} ORDER BY timestamp, uuid",
                    parameters={"p": project_id},
                )
                rows = list(result.named_results())
                if len(rows) >= expected or time.monotonic() > deadline:
                    return rows
                time.sleep(0.2)
        finally:
            client.close()


def consumed(settings: Settings, timeout_s: float = WAIT_S) -> None:
    """Wait until the consumer has settled all the events topic holds now: nothing is in flight any more.

    A partition is settled up to the group's committed offset, or up to the highest offset ClickHouse holds
    (ingest_offsets): the consumer may store a batch and commit it only with the next one. So once every
    partition is settled up to the end noted here, whatever was produced before this call is stored (or, as
    poison, in the dead-letter topic and committed).
    """
    from confluent_kafka import Consumer, TopicPartition  # here: this part of the file was appended to

    topic = settings.kafka_events_topic
    # a client of the group's id that never subscribes: it reads the group's offsets without joining it
    reader = Consumer(clients.kafka_config(settings) | {"group.id": settings.consumer_group})
    warehouse = clients.clickhouse(settings, database=settings.clickhouse_database)
    stored_sql = "SELECT partition, max(max_offset) + 1 FROM ingest_offsets WHERE topic = {t:String} GROUP BY partition"
    try:
        partitions = [TopicPartition(topic, p) for p in reader.list_topics(topic, timeout=10).topics[topic].partitions]
        ends = {tp.partition: reader.get_watermark_offsets(tp, timeout=10)[1] for tp in partitions}
        deadline = time.monotonic() + timeout_s
        while True:
            committed = {tp.partition: tp.offset for tp in reader.committed(partitions, timeout=10)}
            stored = dict(warehouse.query(stored_sql, parameters={"t": topic}).result_rows)
            behind = {
                p: (committed[p], stored.get(p), end)
                for p, end in ends.items()
                if max(committed[p], stored.get(p, 0)) < end
            }
            if not behind:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"consumer behind after {timeout_s} s; (committed, stored, end): {behind}")
            time.sleep(0.2)
    finally:
        reader.close()
        warehouse.close()


def stamped(project: Project, **fields: Any) -> bytes:
    """A Kafka message as the capture API writes it, with `fields` changed (None: left out)."""
    event = {
        "uuid": str(uuid.uuid4()),
        "project_id": project.id,
        "event": "poison",
        "distinct_id": "poisoned",
        "properties": {},
        "timestamp": "2026-11-27T12:00:00.000000Z",
        "received_at": "2026-11-27T12:00:00.000000Z",
    }
    event.update(fields)
    return orjson.dumps({name: value for name, value in event.items() if value is not None})
