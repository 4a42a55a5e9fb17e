"""Scale-out on one machine: three consumer processes in one group share a 12-partition topic; one is killed
-9 under load and restarted, and ClickHouse ends with every event exactly once.

The consumers are real `python -m ingest.consumer` processes, configured only through the environment
(CLICKPATH_KAFKA_EVENTS_TOPIC, CLICKPATH_CONSUMER_GROUP) as an operator would run them, on a topic and
group of the test's own beside the stack's. Merges are stopped meanwhile, so a duplicate would stay visible
(the events table is a ReplacingMergeTree).
"""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import psutil
import pytest
from confluent_kafka import Producer

from infra import clients
from infra.migrations import kafka_topics
from infra.settings import Settings
from infra.stack import services
from tests.support.consumers import Consumers, environment
from tests.support.ingest import Pipeline, Project
from tests.support.stack import Stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

PARTITIONS = 12
CONSUMERS = 3
EVENTS = 30_000
WAIT_S = 180


@pytest.fixture
def settings(stack: Stack) -> Settings:
    """The stack's settings, with a 12-partition events topic and a group of this test's own."""
    name = f"scale_out_{uuid.uuid4().hex[:8]}"
    own = stack.settings.model_copy(
        update={
            "kafka_events_topic": name,
            "kafka_dlq_topic": f"{name}_dlq",
            "kafka_partitions": PARTITIONS,
            "consumer_group": f"{name}-group",
            "consumer_batch_events": 2000,  # several flushes per consumer, so a kill lands among them
        }
    )
    kafka_topics.migrate(own)
    return own


@pytest.fixture
def consumers(stack: Stack, settings: Settings, tmp_path: Path) -> Iterator[Consumers]:
    group = Consumers(environment(stack.env, settings), tmp_path)
    try:
        yield group
    finally:
        group.stop_all()


@pytest.fixture
def no_merges(settings: Settings) -> Iterator[None]:
    client = clients.clickhouse(settings, database=settings.clickhouse_database)
    client.command("SYSTEM STOP MERGES events")
    try:
        yield
    finally:
        client.command("SYSTEM START MERGES events")
        client.close()


def produce(settings: Settings, project: Project, start: int, stop: int) -> None:
    """Stamped events as capture writes them, keyed by 500 distinct ids (so onto every partition)."""
    producer = Producer(clients.kafka_config(settings) | {"acks": "all", "linger.ms": 5})
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for number in range(start, stop):
        distinct_id = f"user-{number % 500}"
        value = {
            "uuid": str(uuid.UUID(int=number + 1)),
            "project_id": project.id,
            "event": "scale-out",
            "distinct_id": distinct_id,
            "properties": {"n": number},
            "timestamp": now,
            "received_at": now,
        }
        producer.produce(settings.kafka_events_topic, orjson.dumps(value), f"{project.id}:{distinct_id}".encode())
        producer.poll(0)
    assert producer.flush(60) == 0


def stored(settings: Settings) -> tuple[int, int]:
    client = clients.clickhouse(settings, database=settings.clickhouse_database)
    try:
        query = "SELECT count(), uniqExact(uuid) FROM events WHERE kafka_topic = {t:String}"
        count, unique = client.query(query, parameters={"t": settings.kafka_events_topic}).first_row
        return int(count), int(unique)
    finally:
        client.close()


def members(settings: Settings) -> list[int]:
    """Partitions per member of the group, as the broker assigned them."""
    admin = clients.kafka_admin(settings)
    description = admin.describe_consumer_groups([settings.consumer_group])[settings.consumer_group].result()
    return sorted(len(member.assignment.topic_partitions) for member in description.members)


@pytest.mark.usefixtures("no_merges")
def test_three_consumers_share_the_partitions_and_a_killed_one_loses_and_repeats_nothing(
    pipeline: Pipeline, settings: Settings, consumers: Consumers
) -> None:
    project = pipeline.new_project()
    for number in range(CONSUMERS):
        consumers.start(number)
    wait_for(lambda: members(settings) == [4, 4, 4], WAIT_S, "three members with four partitions each")

    produce(settings, project, 0, EVENTS // 2)
    wait_for(lambda: stored(settings)[0] >= EVENTS // 4, WAIT_S, "a quarter of the events stored")
    consumers.kill(0)  # mid-stream: its buffered and in-flight batches are lost with it
    produce(settings, project, EVENTS // 2, EVENTS)
    consumers.start(0)

    wait_for(lambda: stored(settings)[0] >= EVENTS, WAIT_S, f"{EVENTS} events stored")
    time.sleep(3)  # anything still in flight would land now, as a duplicate
    assert stored(settings) == (EVENTS, EVENTS)
    wait_for(lambda: members(settings) == [4, 4, 4], WAIT_S, "the restarted consumer back in the group")


def test_two_capture_workers_share_one_port_and_both_serve(stack: Stack, pipeline: Pipeline, tmp_path: Path) -> None:
    """The stack's own capture command with CLICKPATH_CAPTURE_WORKERS=2, on a port of its own beside the stack's;
    /metrics counts the events of both, whichever answers the scrape."""
    beside = stack.settings.model_copy(
        update={"port_offset": stack.offset + 250, "capture_workers": 2, "home": tmp_path / "home"}
    )
    service = services.capture(beside)
    assert service.prepare is not None and service.program is not None
    service.prepare()
    command = service.program.command
    env = stack.env | {  # the stack's services, not the ones the shifted offset would name
        "PROMETHEUS_MULTIPROC_DIR": service.program.environment["PROMETHEUS_MULTIPROC_DIR"],
        "CLICKPATH_KAFKA_BOOTSTRAP_SERVERS": stack.settings.effective_kafka_bootstrap_servers,
        "CLICKPATH_DATABASE_URL": stack.settings.effective_database_url,
        "CLICKPATH_REDIS_URL": stack.settings.effective_redis_url,
        "CLICKPATH_CLICKHOUSE_URL": stack.settings.effective_clickhouse_url,
    }
    url = f"http://127.0.0.1:{beside.port('capture')}"
    project = pipeline.new_project()
    with (tmp_path / "capture.log").open("wb") as log:
        parent = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _ready(url), WAIT_S, "capture with two workers ready")
        children = psutil.Process(parent.pid).children()  # the workers, and multiprocessing's resource tracker
        workers = [child for child in children if "spawn_main" in " ".join(child.cmdline())]
        assert len(workers) == 2, [child.cmdline() for child in children]
        before = [worker.cpu_times().user for worker in workers]
        with httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            for number in range(200):  # a new connection each: the kernel hands them to either worker
                body = {"api_key": project.key, "event": "two-workers", "distinct_id": f"u{number}"}
                assert client.post("/capture", content=orjson.dumps(body)).status_code == 200
        busy = [worker.cpu_times().user - start for worker, start in zip(workers, before, strict=True)]
        assert min(busy) > 0.05, f"CPU seconds per worker under load: {busy}"
        assert len(pipeline.events(project.id, 200)) == 200
        for _ in range(6):  # new connections: both workers answer some of the scrapes
            metrics = httpx.get(f"{url}/metrics", headers={"Connection": "close"}).text
            assert 'clickpath_capture_events_total{api="native"} 200.0' in metrics, metrics
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(60)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
