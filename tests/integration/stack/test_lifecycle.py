"""`down` stops everything, `up` brings the data back, and a service set outside is left to its owner.

This runs a second stack beside the session's, which is also what `make test` does while a `make up`
stack runs: each has its own home and ports.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from infra import clients
from infra.stack.lifecycle import port_in_use
from infra.stack.services import stack as stacked_services
from infra.stack.supervisor import Supervisor
from tests.support.stack import Stack


@pytest.fixture
def second_stack(stack: Stack) -> Iterator[Stack]:
    """A stack whose Redis is the session stack's: set outside, so it must not start its own."""
    other = Stack(extra_env={"CLICKPATH_REDIS_URL": stack.settings.effective_redis_url})
    yield other
    other.run("down", check=False)
    shutil.rmtree(other.home, ignore_errors=True)


def processes_using(home: Path) -> list[str]:
    """Command lines of live processes that mention the stack's home."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        if str(home) in text:
            found.append(text)
    return found


def local_ports(stack: Stack) -> list[int]:
    return [port for service in stacked_services(stack.settings) if service.program for port in service.program.ports]


def write_markers(stack: Stack, marker: str) -> int:
    settings = stack.settings
    clickhouse = clients.clickhouse(settings, database=settings.clickhouse_database)
    clickhouse.command("CREATE TABLE IF NOT EXISTS kept (marker String) ENGINE = MergeTree ORDER BY marker")
    clickhouse.insert("kept", [[marker]], column_names=["marker"])
    with clients.postgres(settings) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS kept (marker text)")
        connection.execute("INSERT INTO kept VALUES (%s)", (marker,))
    offsets = []
    producer = Producer({**clients.kafka_config(settings), "acks": "all"})
    producer.produce(
        settings.kafka_events_topic,
        value=marker.encode(),
        partition=0,
        on_delivery=lambda err, msg: offsets.append(msg.offset()),
    )
    assert producer.flush(30) == 0
    return offsets[0]


def read_markers(stack: Stack, marker: str, kafka_offset: int) -> tuple[int, int, bytes | None]:
    settings = stack.settings
    clickhouse = clients.clickhouse(settings, database=settings.clickhouse_database)
    in_clickhouse = clickhouse.command(f"SELECT count() FROM kept WHERE marker = '{marker}'")
    with clients.postgres(settings) as connection:
        row = connection.execute("SELECT count(*) FROM kept WHERE marker = %s", (marker,)).fetchone()
    consumer = Consumer({**clients.kafka_config(settings), "group.id": f"t-{uuid.uuid4()}"})
    consumer.assign([TopicPartition(settings.kafka_events_topic, 0, kafka_offset)])
    message = consumer.poll(30)
    consumer.close()
    return in_clickhouse, row[0] if row else 0, message.value() if message else None


def test_down_stops_everything_and_up_finds_the_data_again(second_stack: Stack) -> None:
    output = second_stack.up()
    assert "redis" in output and "outside" in output
    assert "redis" not in Supervisor(second_stack.home).processes()  # not started: it runs elsewhere
    status = second_stack.run("status").stdout
    assert "outside" in status and "healthy" in status

    marker = str(uuid.uuid4())
    offset = write_markers(second_stack, marker)

    stopped = second_stack.down()
    assert all(name in stopped for name in ("clickhouse", "kafka", "postgres", "api"))
    assert processes_using(second_stack.home) == []
    assert [port for port in local_ports(second_stack) if port_in_use(port)] == []
    assert second_stack.run("status", check=False).returncode == 1  # scripts can rely on the exit status

    second_stack.up()
    assert read_markers(second_stack, marker, offset) == (1, 1, marker.encode())
