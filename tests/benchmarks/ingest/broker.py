"""Kafka for the benchmark: topics of its own, a producer configured as capture's, and the stack group's offsets."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import NewTopic, OffsetSpec

from infra import clients
from infra.settings import Settings
from ingest.producer import BATCH_LINGER_MS, EventProducer

TIMEOUT_S = 30


def capture_config(settings: Settings) -> dict[str, object]:
    """The librdkafka settings of capture's producer for batches, key for key (its error callback aside): the
    raw baseline must pay for the same acknowledgements, idempotence, compression and linger. Read from a
    real EventProducer rather than copied, so that tuning ingest/producer.py moves both sides together."""
    producer = EventProducer(settings, BATCH_LINGER_MS)
    try:
        config = dict(producer._config)
    finally:
        producer.close()
    config.pop("error_cb", None)
    return config


def create_topic(settings: Settings, name: str, partitions: int) -> None:
    """A topic configured as the events topic (infra/migrations/kafka_topics.py) but for its retention."""
    admin = clients.kafka_admin(settings)
    topic = NewTopic(name, partitions, settings.kafka_replication_factor, config={"compression.type": "producer"})
    admin.create_topics([topic], operation_timeout=TIMEOUT_S)[name].result()


@dataclass
class Produced:
    acknowledged: int
    failed: int
    seconds: float
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return self.acknowledged / self.seconds


class _Acks:
    """Delivery reports, counted on the producing thread (they arrive from poll and flush)."""

    def __init__(self) -> None:
        self.ok, self.failed, self.first_error = 0, 0, ""

    def __call__(self, error: KafkaError | None, _message: object) -> None:
        if error is None:
            self.ok += 1
            return
        self.failed += 1
        self.first_error = self.first_error or error.str()


def produce(settings: Settings, topic: str, messages: Iterable[tuple[bytes, bytes]]) -> Produced:
    """Produce every (key, value) as fast as librdkafka takes them, a delivery report for each; timed until
    the last is acknowledged."""
    producer, acks = Producer(capture_config(settings)), _Acks()
    producer.list_topics(topic, timeout=TIMEOUT_S)  # connection and metadata outside the timing
    started = time.perf_counter()
    for sent, (key, value) in enumerate(messages, 1):
        while True:
            try:
                producer.produce(topic, value, key, on_delivery=acks)
                break
            except BufferError:  # the local queue is full: serve delivery reports until there is room
                producer.poll(0.005)
        if sent % 1000 == 0:
            producer.poll(0)
    producer.flush(TIMEOUT_S)
    return Produced(acks.ok, acks.failed, time.perf_counter() - started, acks.first_error)


def high_watermarks(settings: Settings, topic: str, partitions: int) -> dict[int, int]:
    admin = clients.kafka_admin(settings)
    wanted = {TopicPartition(topic, p): OffsetSpec.latest() for p in range(partitions)}
    futures = admin.list_offsets(wanted, request_timeout=TIMEOUT_S)
    return {tp.partition: future.result().offset for tp, future in futures.items()}


def skip_to_end(settings: Settings, group: str, topic: str) -> dict[int, int]:
    """Commit the group's offsets at the end of the topic (the group must have no members): what the
    benchmark sent while the stack's consumer was stopped is not ingested later, inside another step."""
    partitions = len(clients.kafka_admin(settings).list_topics(topic, timeout=TIMEOUT_S).topics[topic].partitions)
    ends = high_watermarks(settings, topic, partitions)
    offsets = [TopicPartition(topic, p, offset) for p, offset in ends.items()]
    request = ConsumerGroupTopicPartitions(group, offsets)
    admin = clients.kafka_admin(settings)
    admin.alter_consumer_group_offsets([request], request_timeout=TIMEOUT_S)[group].result()
    return ends
