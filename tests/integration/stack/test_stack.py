"""The local stack as `make up` runs it: every service real, reached through its own protocol."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from infra import clients
from infra.migrations import clickhouse as clickhouse_migrations
from infra.stack.supervisor import Supervisor
from tests.support.stack import Stack

SERVICES = (
    "clickhouse", "kafka", "postgres", "redis", "api", "capture", "consumer", "query-worker",
    "dashboard", "streamlit", "example",
)  # fmt: skip


def test_every_service_is_healthy(stack: Stack) -> None:
    result = stack.run("status")
    for name in SERVICES:
        line = next(line for line in result.stdout.splitlines() if f" {name} " in line)
        assert "RUNNING" in line and "healthy" in line, result.stdout


def test_a_message_produced_to_kafka_is_consumed_back(stack: Stack) -> None:
    settings = stack.settings
    config = clients.kafka_config(settings)
    marker = uuid.uuid4().bytes
    producer = Producer({**config, "acks": "all", "enable.idempotence": True})
    delivered = []
    producer.produce(
        settings.kafka_events_topic,
        key=b"1:someone",
        value=marker,
        on_delivery=lambda err, msg: delivered.append((err, msg.partition(), msg.offset())),
    )
    assert producer.flush(30) == 0
    error, partition, offset = delivered[0]
    assert error is None
    consumer = Consumer({**config, "group.id": f"test-{uuid.uuid4()}", "enable.auto.commit": False})
    consumer.assign([TopicPartition(settings.kafka_events_topic, partition, offset)])
    message = consumer.poll(30)
    consumer.close()
    assert message is not None and message.error() is None
    assert (message.key(), message.value()) == (b"1:someone", marker)


def test_the_topics_have_the_configured_partitions(stack: Stack) -> None:
    settings = stack.settings
    topics = clients.kafka_admin(settings).list_topics(timeout=10).topics
    for topic in (settings.kafka_events_topic, settings.kafka_dlq_topic):
        assert len(topics[topic].partitions) == settings.kafka_partitions == 6


def test_a_row_written_to_clickhouse_reads_back(stack: Stack) -> None:
    client = clients.clickhouse(stack.settings, database=stack.settings.clickhouse_database)
    marker = str(uuid.uuid4())
    client.command("CREATE TABLE IF NOT EXISTS stack_check (marker String) ENGINE = MergeTree ORDER BY marker")
    client.insert("stack_check", [[marker]], column_names=["marker"])
    assert client.command(f"SELECT count() FROM stack_check WHERE marker = '{marker}'") == 1
    assert "events" in client.command("SHOW TABLES")


def test_a_row_written_to_postgres_reads_back(stack: Stack) -> None:
    with clients.postgres(stack.settings) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS stack_check (marker text)")
        marker = str(uuid.uuid4())
        connection.execute("INSERT INTO stack_check VALUES (%s)", (marker,))
        assert connection.execute("SELECT count(*) FROM stack_check WHERE marker = %s", (marker,)).fetchone() == (1,)


def test_redis_answers(stack: Stack) -> None:
    connection = clients.redis_client(stack.settings)
    key = f"stack-check:{uuid.uuid4()}"
    assert connection.ping()
    connection.set(key, "yes", ex=60)
    assert connection.get(key) == b"yes"


def test_a_second_up_changes_nothing(stack: Stack) -> None:
    supervisor = Supervisor(stack.home)
    before = {name: info["pid"] for name, info in supervisor.processes().items()}
    output = stack.up()
    assert "nothing changed" in output
    assert "up to date" in output and "topics up to date" in output
    assert {name: info["pid"] for name, info in supervisor.processes().items()} == before


def test_migrations_run_once_and_refuse_an_edited_file(stack: Stack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = stack.settings.model_copy(update={"clickhouse_database": f"migrations_{uuid.uuid4().hex[:8]}"})
    migration = tmp_path / "0001_thing.sql"
    migration.write_text("CREATE TABLE thing (a UInt8) ENGINE = MergeTree ORDER BY a;\nINSERT INTO thing VALUES (1);\n")
    assert clickhouse_migrations.migrate(settings, tmp_path) == "applied 0001_thing.sql"
    assert clickhouse_migrations.migrate(settings, tmp_path) == "up to date (1 migrations)"
    client = clients.clickhouse(settings, database=settings.clickhouse_database)
    assert client.command("SELECT count() FROM thing") == 1  # not inserted twice
    migration.write_text(migration.read_text() + "INSERT INTO thing VALUES (2);\n")
    with pytest.raises(clickhouse_migrations.MigrationError, match="changed after it was applied"):
        clickhouse_migrations.migrate(settings, tmp_path)
    (tmp_path / "2_bad-name.sql").write_text("SELECT 1;\n")
    with pytest.raises(clickhouse_migrations.MigrationError, match="NNNN_lowercase_name"):
        clickhouse_migrations.migrate(settings, tmp_path)
