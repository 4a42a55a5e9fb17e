"""Consumer lag: per partition, the group's committed offset against the end of the topic.

Shared by `clickpath lag` and the pipeline health views. The committed offset may trail what ClickHouse
holds by the batch in flight (a batch is committed right after its insert), so a lag of one batch is normal.
"""

from __future__ import annotations

from typing import NamedTuple

from confluent_kafka import Consumer, TopicPartition

from infra import clients
from infra.settings import Settings

TIMEOUT_S = 10


class PartitionOffsets(NamedTuple):
    partition: int
    committed: int
    """The group's committed offset, -1 if none."""
    low: int
    """The oldest offset the partition still holds."""
    high: int
    """The end: the next offset to be written."""


def partition_offsets(settings: Settings, topic: str, group: str) -> list[PartitionOffsets]:
    """Every partition of the topic with the group's committed offset and the partition's watermarks."""
    # a client of the group's id that never subscribes: it reads the group's offsets without joining it
    reader = Consumer(clients.kafka_config(settings) | {"group.id": group, "enable.auto.commit": False})
    try:
        metadata = reader.list_topics(topic, timeout=TIMEOUT_S).topics[topic]
        if metadata.error is not None:
            raise RuntimeError(f"{topic}: {metadata.error}")
        partitions = [TopicPartition(topic, p) for p in sorted(metadata.partitions)]
        return [
            PartitionOffsets(tp.partition, tp.offset, *reader.get_watermark_offsets(tp, timeout=TIMEOUT_S))
            for tp in reader.committed(partitions, timeout=TIMEOUT_S)
        ]
    finally:
        reader.close()


def partition_lag(settings: Settings, topic: str, group: str) -> list[tuple[int, int, int]]:
    """(partition, committed offset or -1 if none, end offset) for every partition of the topic."""
    return [(p.partition, p.committed, p.high) for p in partition_offsets(settings, topic, group)]
