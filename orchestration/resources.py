"""What the assets, checks and sensors talk to, each made from settings.

ClickHouse and the dead-letter topic are plain objects handed to Dagster as resources: their
credentials come from settings and never appear as run configuration in the UI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, TopicPartition
from dagster_dbt import DbtCliResource, DbtProject

from infra import clients
from infra.settings import Settings
from ingest.dlq import REPLAY_GROUP
from orchestration import project

KAFKA_TIMEOUT_S = 10


@dataclass(frozen=True)
class ClickHouse:
    settings: Settings

    @contextmanager
    def client(self) -> Iterator[Client]:
        client = clients.clickhouse(
            self.settings, database=self.settings.clickhouse_database, autogenerate_session_id=False
        )
        try:
            yield client
        finally:
            client.close()


@dataclass(frozen=True)
class DeadLetterCount:
    messages: int
    """Messages that reached the topic within the window (by their Kafka timestamp)."""
    reasons: list[str]
    """The reasons of the most recent few, from their `clickpath_reason` header."""
    pending: int
    """Letters not replayed yet (after the replay group's offsets): what `clickpath dlq list` shows."""


@dataclass(frozen=True)
class DeadLetterTopic:
    settings: Settings

    def recent(self, window: timedelta, now: datetime | None = None, samples: int = 5) -> DeadLetterCount:
        """How many messages arrived in the window, from each partition's offset at the window's start.

        Read without joining a consumer group: nothing is committed, the ingest consumer is not disturbed.
        """
        topic = self.settings.kafka_dlq_topic
        since_ms = int(((now or datetime.now(UTC)) - window).timestamp() * 1000)
        consumer = Consumer(
            clients.kafka_config(self.settings)
            | {"group.id": "clickpath-dagster-dlq-check", "enable.auto.commit": False}
        )
        try:
            metadata = consumer.list_topics(topic, timeout=KAFKA_TIMEOUT_S)
            if metadata.topics[topic].error is not None:
                raise RuntimeError(f"dead-letter topic {topic}: {metadata.topics[topic].error}")
            partitions = [TopicPartition(topic, p, since_ms) for p in metadata.topics[topic].partitions]
            starts = consumer.offsets_for_times(partitions, timeout=KAFKA_TIMEOUT_S)
            total, tails, expected = 0, [], 0
            for start in starts:
                _, high = consumer.get_watermark_offsets(start, timeout=KAFKA_TIMEOUT_S)
                # offset -1: no message at or after the window's start in this partition
                first = high if start.offset < 0 else start.offset
                total += high - first
                if high > first:
                    tail = max(first, high - samples)
                    tails.append(TopicPartition(topic, start.partition, tail))
                    expected += high - tail
            reasons = self._reasons(consumer, tails, expected, samples) if tails else []
            return DeadLetterCount(total, reasons, self._pending(metadata.topics[topic].partitions))
        finally:
            consumer.close()

    def _pending(self, partitions: dict[int, object]) -> int:
        """Read through the replay group's committed offsets; this consumer never subscribes nor commits."""
        topic = self.settings.kafka_dlq_topic
        reader = Consumer(clients.kafka_config(self.settings) | {"group.id": REPLAY_GROUP, "enable.auto.commit": False})
        try:
            committed = reader.committed([TopicPartition(topic, p) for p in partitions], timeout=KAFKA_TIMEOUT_S)
            pending = 0
            for position in committed:
                low, high = reader.get_watermark_offsets(position, timeout=KAFKA_TIMEOUT_S)
                pending += high - (position.offset if position.offset >= 0 else low)
            return pending
        finally:
            reader.close()

    @staticmethod
    def _reasons(consumer: Consumer, tails: list[TopicPartition], expected: int, samples: int) -> list[str]:
        """The last few letters' reasons, newest last; waits only for the letters known to be there."""
        consumer.assign(tails)
        found: list[tuple[int, str]] = []
        deadline = time.monotonic() + KAFKA_TIMEOUT_S
        while len(found) < expected and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=expected - len(found), timeout=1):
                if message.error() is None:
                    reason = dict(message.headers() or []).get("clickpath_reason") or b"?"
                    found.append((message.timestamp()[1], reason.decode(errors="replace")[:200]))
        return [reason for _, reason in sorted(found)[-samples:]]


def dbt_project(settings: Settings) -> DbtProject:
    return DbtProject(
        project_dir=settings.effective_dbt_project_dir,
        profiles_dir=settings.effective_dbt_project_dir,
        target_path=project.target_dir(settings),
    )


def resources(settings: Settings) -> dict[str, object]:
    return {
        "dbt": DbtCliResource(project_dir=dbt_project(settings), dbt_executable=str(project.dbt_executable())),
        "clickhouse": ClickHouse(settings),
        "dead_letter_topic": DeadLetterTopic(settings),
    }
