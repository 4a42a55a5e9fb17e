"""Kafka topics: the events topic and its dead-letter topic, created through the admin API.

Partitions are only ever added (Kafka cannot remove them): raising CLICKPATH_KAFKA_PARTITIONS and
migrating again grows the topics in place.
"""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewPartitions, NewTopic

from infra import clients
from infra.settings import Settings

TIMEOUT_S = 30
RETENTION_MS = {"events": 7 * 24 * 3600 * 1000, "dlq": 30 * 24 * 3600 * 1000}  # a week to catch up; a month to fix


def migrate(settings: Settings) -> str:
    admin = clients.kafka_admin(settings)
    wanted = {
        settings.kafka_events_topic: RETENTION_MS["events"],
        settings.kafka_dlq_topic: RETENTION_MS["dlq"],
    }
    existing = admin.list_topics(timeout=TIMEOUT_S).topics
    done = []
    new = [
        NewTopic(
            name,
            settings.kafka_partitions,
            settings.kafka_replication_factor,
            config={"retention.ms": str(retention), "compression.type": "producer"},
        )
        for name, retention in wanted.items()
        if name not in existing
    ]
    for name, future in admin.create_topics(new, operation_timeout=TIMEOUT_S).items() if new else []:
        try:
            future.result()
            done.append(f"created {name} ({settings.kafka_partitions} partitions)")
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
    grow = [
        NewPartitions(name, settings.kafka_partitions)
        for name in wanted
        if name in existing and len(existing[name].partitions) < settings.kafka_partitions
    ]
    for name, future in admin.create_partitions(grow, operation_timeout=TIMEOUT_S).items() if grow else []:
        future.result()
        done.append(f"grew {name} to {settings.kafka_partitions} partitions")
    return "; ".join(done) if done else "topics up to date"
