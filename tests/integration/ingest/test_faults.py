"""The pipeline under failure, on the test stack's real services: crashes, outages and poison.

Each test breaks one thing through the stack's own supervisord (kill -9 or SIGTERM of the consumer, Kafka or
ClickHouse stopped, poison produced straight into the events topic), checks what the guarantees promise
(docs/INGESTION.md, "Delivery guarantees"), and leaves the stack as it found it: every program running and
every service healthy again, checked after each test whatever happened in it.

"Exactly the accepted events" is checked without FINAL: count() == uniqExact(uuid) == the number of events
that got a 200, and the stored uuids are the accepted ones. The events table is a ReplacingMergeTree, whose
merges would fold a duplicate away, so merges are stopped while a test runs: a duplicate stays visible.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from confluent_kafka import Consumer, Message, Producer, TopicPartition

from infra import clients
from infra.settings import Settings
from infra.stack import services
from infra.stack.supervisor import Supervisor
from tests.support.ingest import Pipeline, Project, consumed, stamped
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

HEALTHY_S = 180  # Kafka may take a minute to come back on a busy machine
ARRIVE_S = 150  # a consumer killed -9 is only replaced in the group when its session times out (45 s)
OUTAGE_S = 20


# --- the stack's processes ----------------------------------------------------------------------------------


@dataclass
class Programs:
    """The test stack's programs, driven through its supervisord exactly as with `supervisorctl`."""

    home: Path

    def ctl(self, *args: str) -> str:
        command = [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(self.home / "supervisord.conf"), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120).stdout

    def info(self, name: str) -> dict[str, Any]:
        return Supervisor(self.home).processes()[name]

    def pid(self, name: str) -> int:
        info = self.info(name)
        assert info["statename"] == "RUNNING", f"{name} is {info['statename']}"
        return int(info["pid"])

    def stop(self, name: str) -> None:
        self.ctl("stop", name)
        assert self.info(name)["statename"] == "STOPPED", self.info(name)

    def start(self, name: str) -> None:
        self.ctl("start", name)
        self.wait_running(name)

    def wait_running(self, name: str, other_than: int | None = None, timeout_s: float = 60) -> int:
        """The program's pid once it runs (as a new process, if `other_than` is the old one)."""
        deadline = time.monotonic() + timeout_s
        while True:
            info = self.info(name)
            if info["statename"] == "RUNNING" and info["pid"] != other_than:
                return int(info["pid"])
            assert time.monotonic() < deadline, f"{name} not running again after {timeout_s} s: {info}"
            time.sleep(0.2)

    def start_all(self) -> None:
        stopped = [name for name, info in Supervisor(self.home).processes().items() if info["statename"] != "RUNNING"]
        for name in stopped:
            self.ctl("start", name)


def wait_healthy(settings: Settings, timeout_s: float = HEALTHY_S) -> None:
    """Every service of the stack answers its own health check (capture: Kafka; consumer: in its group)."""
    deadline = time.monotonic() + timeout_s
    for service in services.stack(settings):
        while True:
            try:
                service.check()
                break
            except Exception as exc:
                assert time.monotonic() < deadline, f"{service.name} unhealthy after {timeout_s} s: {exc!r}"
                time.sleep(0.5)


@pytest.fixture(scope="module")
def programs(stack: Stack) -> Programs:
    return Programs(stack.home)


@pytest.fixture(autouse=True)
def restored(programs: Programs, stack: Stack) -> Iterator[None]:
    """A healthy stack before each test, and again after it, whatever the test broke."""
    wait_healthy(stack.settings)
    try:
        yield
    finally:
        programs.start_all()
        wait_healthy(stack.settings)
        merges(stack.settings, "START")


def merges(settings: Settings, verb: str) -> None:
    client = clients.clickhouse(settings, database=settings.clickhouse_database)
    try:
        client.command(f"SYSTEM {verb} MERGES events")
    finally:
        client.close()


# --- sending and counting -----------------------------------------------------------------------------------


def new_events(count: int, tag: str) -> list[dict[str, Any]]:
    """Events with client uuids, spread over 50 users (so over every partition)."""
    return [
        {"event": tag, "distinct_id": f"{tag}-user-{number % 50}", "uuid": str(uuid.uuid4())} for number in range(count)
    ]


def post(client: httpx.Client, project: Project, events: list[dict[str, Any]]) -> httpx.Response:
    return client.post("/batch/", content=orjson.dumps({"api_key": project.key, "batch": events}))


@dataclass
class Sender:
    """Sends batches from a thread until told to stop (or `batches` are sent), keeping what got a 200."""

    pipeline: Pipeline
    project: Project
    size: int = 500
    pause_s: float = 0.05
    batches: int | None = None
    accepted: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sender:
        self._thread = threading.Thread(target=self._run, name="sender", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=120)

    def wait(self, timeout_s: float = 120) -> None:
        assert self._thread is not None
        self._thread.join(timeout=timeout_s)
        assert not self._thread.is_alive(), f"sending did not finish within {timeout_s} s"

    def _run(self) -> None:
        sent = 0
        with httpx.Client(base_url=self.pipeline.capture_url, timeout=60) as client:
            while not self._stop.is_set() and (self.batches is None or sent < self.batches):
                events = new_events(self.size, "fault")
                try:
                    response = post(client, self.project, events)
                    if response.status_code == 200:
                        self.accepted.update(event["uuid"] for event in events)
                    else:
                        self.refused.append(f"{response.status_code}: {response.text[:200]}")
                except httpx.HTTPError as exc:  # no answer is no acceptance: those events may not be stored
                    self.refused.append(repr(exc))
                sent += 1
                time.sleep(self.pause_s)


def stored_count(pipeline: Pipeline, project: Project) -> int:
    client = pipeline.clickhouse()
    try:
        return int(client.command("SELECT count() FROM events WHERE project_id = {p:UInt64}", {"p": project.id}))
    finally:
        client.close()


def wait_until(condition: Callable[[], bool], timeout_s: float, failure: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, failure()
        time.sleep(0.25)


def assert_exactly_stored(
    pipeline: Pipeline, project: Project, accepted: set[str], timeout_s: float = ARRIVE_S
) -> None:
    """The project holds exactly the accepted events: each once, none other, none missing."""
    wait_until(
        lambda: stored_count(pipeline, project) >= len(accepted),
        timeout_s,
        lambda: f"{stored_count(pipeline, project)} of {len(accepted)} accepted events stored after {timeout_s} s",
    )
    consumed(pipeline.settings, timeout_s)  # whatever else was in flight is stored too, before counting
    client = pipeline.clickhouse()
    try:
        query = "SELECT count(), uniqExact(uuid) FROM events WHERE project_id = {p:UInt64}"
        count, unique = client.query(query, parameters={"p": project.id}).result_rows[0]
        uuids = client.query("SELECT toString(uuid) FROM events WHERE project_id = {p:UInt64}", {"p": project.id})
        stored = {row[0] for row in uuids.result_rows}
    finally:
        client.close()
    assert (count, unique) == (len(accepted), len(accepted)), (
        f"count() {count}, uniqExact(uuid) {unique}, accepted {len(accepted)}"
    )
    assert stored == accepted, f"{len(stored - accepted)} stored not accepted, {len(accepted - stored)} lost"


def answers(settings: Settings) -> bool:
    try:
        services.clickhouse(settings).check()
    except Exception:
        return False
    return True


@pytest.fixture
def no_merges(pipeline: Pipeline) -> Iterator[None]:
    merges(pipeline.settings, "STOP")
    yield
    merges(pipeline.settings, "START")


# --- the tests ----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_merges")
def test_consumer_killed_mid_batch_stores_every_accepted_event_once(
    pipeline: Pipeline, project: Project, programs: Programs
) -> None:
    """kill -9 while the consumer is buffering and inserting: the restarted one stores the rest, nothing twice.

    A crash after an insert and before its commit is what the dedup token and ingest_offsets are for.
    """
    consumer = programs.pid("consumer")
    with Sender(pipeline, project, size=500, batches=40) as sender:
        wait_until(
            lambda: stored_count(pipeline, project) >= 2000,
            60,
            lambda: f"the consumer stored only {stored_count(pipeline, project)} events in 60 s",
        )
        os.kill(consumer, signal.SIGKILL)
        at_kill = stored_count(pipeline, project)
        sender.wait()
    assert not sender.refused, sender.refused[:3]
    assert len(sender.accepted) == 20_000
    assert at_kill < len(sender.accepted), "the consumer had stored everything before it was killed"

    programs.wait_running("consumer", other_than=consumer)  # supervisord restarts what crashed
    assert_exactly_stored(pipeline, project, sender.accepted)


@pytest.mark.usefixtures("no_merges")
def test_kafka_down_refuses_with_503_and_capture_recovers_by_itself(
    pipeline: Pipeline, project: Project, programs: Programs
) -> None:
    with httpx.Client(base_url=pipeline.capture_url, timeout=60) as client:
        accepted = kafka_outage(client, pipeline, project, programs)
    # every attempt refused during the recovery re-sent the same uuids: a late one would show as a duplicate
    assert_exactly_stored(pipeline, project, accepted)


def kafka_outage(client: httpx.Client, pipeline: Pipeline, project: Project, programs: Programs) -> set[str]:
    """Kafka stopped and started again around requests; the uuids capture accepted."""
    before = new_events(10, "before")
    assert post(client, project, before).status_code == 200
    accepted = {event["uuid"] for event in before}

    programs.stop("kafka")
    refused = new_events(10, "refused")
    started = time.monotonic()
    response = post(client, project, refused)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "kafka_unavailable", response.text
    assert time.monotonic() - started < pipeline.settings.capture_delivery_timeout_s + 5, "the 503 came too late"
    ready = client.get("/_ready")
    assert ready.status_code == 503, ready.text

    programs.ctl("start", "kafka")
    recovery, statuses = new_events(10, "recovery"), []
    wait_until(
        lambda: statuses.append(post(client, project, recovery).status_code) or statuses[-1] == 200,
        90,
        lambda: f"capture still refuses 90 s after Kafka was started again: {statuses[-5:]}",
    )
    assert set(statuses) <= {503, 200}, statuses
    accepted |= {event["uuid"] for event in recovery}
    assert client.get("/_ready").status_code == 200
    after = new_events(100, "after")
    assert post(client, project, after).status_code == 200
    return accepted | {event["uuid"] for event in after}


@pytest.mark.usefixtures("no_merges")
def test_clickhouse_down_for_a_while_capture_accepts_and_the_consumer_catches_up(
    pipeline: Pipeline, project: Project, programs: Programs
) -> None:
    consumer = programs.pid("consumer")
    with Sender(pipeline, project, size=50, pause_s=0.25) as sender:
        wait_until(lambda: stored_count(pipeline, project) > 0, 60, lambda: "nothing stored before the outage")
        programs.stop("clickhouse")
        time.sleep(OUTAGE_S)  # the outage itself: events keep coming in meanwhile
        during = len(sender.accepted)
        programs.start("clickhouse")
        wait_until(lambda: answers(pipeline.settings), 60, lambda: "ClickHouse does not answer after its restart")
        merges(pipeline.settings, "STOP")  # a restarted server merges again
        time.sleep(2)
    assert not sender.refused, f"capture refused while ClickHouse was down: {sender.refused[:3]}"
    assert during > 0
    assert_exactly_stored(pipeline, project, sender.accepted)
    assert programs.pid("consumer") == consumer, "the consumer crashed instead of waiting for ClickHouse"


@dataclass(frozen=True)
class Poison:
    names: str
    """What the clickpath_reason header must mention (empty: any reason will do)."""
    value: bytes | None


def poisons(project: Project) -> dict[str, Poison]:
    beyond_uint64 = stamped(project).replace(b'"project_id":%d' % project.id, b'"project_id":18446744073709551616')
    return {
        "not JSON": Poison("", b"not json {"),
        "no value at all": Poison("", None),
        "JSON missing distinct_id": Poison("distinct_id", stamped(project, distinct_id=None)),
        "a uuid that is none": Poison("uuid", stamped(project, uuid="not-a-uuid")),
        "a project id beyond UInt64": Poison("project_id", beyond_uint64),
        "a local time": Poison("timestamp", stamped(project, timestamp="2026-11-27T12:00:00.000000")),
        "properties a string": Poison("properties", stamped(project, properties="x")),
        "an empty event name": Poison("event", stamped(project, event="")),
    }


def produce(settings: Settings, key: bytes, values: list[bytes | None]) -> list[str]:
    """Each value into the events topic; their origins as the dead-letter headers name them (topic:partition:offset)."""
    producer = Producer(clients.kafka_config(settings) | {"acks": "all"})
    origins: list[str] = []

    def delivered(error: Any, message: Message) -> None:
        assert error is None, error
        origins.append(f"{message.topic()}:{message.partition()}:{message.offset()}")

    for value in values:
        producer.produce(settings.kafka_events_topic, value, key, on_delivery=delivered)
        producer.flush(30)  # one by one: origins in the order of values
    assert len(origins) == len(values), "the broker did not acknowledge every poison message"
    return origins


def dead_letters(settings: Settings, origins: set[str], timeout_s: float = 60) -> dict[str, Message]:
    """The dead-letter topic's messages from those origins, read by a group of the test's own."""
    reader = Consumer(
        clients.kafka_config(settings)
        | {"group.id": f"test-dlq-{uuid.uuid4().hex}", "auto.offset.reset": "earliest", "enable.auto.commit": False}
    )
    reader.subscribe([settings.kafka_dlq_topic])
    found: dict[str, Message] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while set(found) != origins and time.monotonic() < deadline:
            for message in reader.consume(1000, 0.5):
                if message.error() is None:
                    headers = dict(message.headers() or [])
                    origin = headers.get("clickpath_origin", b"").decode()
                    if origin in origins:
                        found[origin] = message
    finally:
        reader.close()
    assert set(found) == origins, f"not in {settings.kafka_dlq_topic} after {timeout_s} s: {origins - set(found)}"
    return found


def test_poison_goes_to_the_dead_letter_topic_and_the_pipeline_goes_on(pipeline: Pipeline, project: Project) -> None:
    settings = pipeline.settings
    key = f"{project.id}:poisoned".encode()  # the partition the good events below go to, ahead of them
    cases = poisons(project)
    origins = produce(settings, key, [poison.value for poison in cases.values()])

    after = [{**event, "distinct_id": "poisoned"} for event in new_events(20, "after-poison")]
    with httpx.Client(base_url=pipeline.capture_url, timeout=60) as client:
        assert post(client, project, after).status_code == 200
    assert_exactly_stored(pipeline, project, {event["uuid"] for event in after})

    letters = dead_letters(settings, set(origins))
    for (name, poison), origin in zip(cases.items(), origins, strict=True):
        letter = letters[origin]
        headers = dict(letter.headers() or [])
        reason = headers["clickpath_reason"].decode()
        assert reason and poison.names in reason, (name, headers)
        assert (letter.key(), letter.value()) == (key, poison.value), name


def committed_and_stored(settings: Settings) -> dict[int, tuple[int, int]]:
    """Per partition: the group's committed offset, and one past the highest offset ClickHouse holds."""
    topic = settings.kafka_events_topic
    reader = Consumer(clients.kafka_config(settings) | {"group.id": settings.consumer_group})
    client = clients.clickhouse(settings, database=settings.clickhouse_database)
    try:
        partitions = [TopicPartition(topic, p) for p in reader.list_topics(topic, timeout=10).topics[topic].partitions]
        committed = {tp.partition: tp.offset for tp in reader.committed(partitions, timeout=10)}
        query = "SELECT kafka_partition, max(kafka_offset) + 1 FROM events WHERE kafka_topic = {t:String} GROUP BY 1"
        stored = dict(client.query(query, parameters={"t": topic}).result_rows)
    finally:
        reader.close()
        client.close()
    return {partition: (committed[partition], stored.get(partition, 0)) for partition in committed}


@pytest.mark.usefixtures("no_merges")
def test_consumer_stopped_with_events_buffered_commits_what_it_stored_and_loses_nothing(
    pipeline: Pipeline, project: Project, programs: Programs
) -> None:
    with Sender(pipeline, project, size=100, pause_s=0.05) as sender:
        wait_until(lambda: stored_count(pipeline, project) > 0, 60, lambda: "nothing stored before the stop")
        started = time.monotonic()
        programs.stop("consumer")  # SIGTERM, as supervisord stops it, while events keep coming in
        stopping_s = time.monotonic() - started
        time.sleep(1)
    assert not sender.refused, sender.refused[:3]
    info = programs.info("consumer")
    assert info["exitstatus"] == 0 and stopping_s < 25, f"not a clean stop ({stopping_s:.1f} s): {info}"
    log = (programs.home / "logs" / "consumer.log").read_text()
    assert log.rfind("stopped after committing what was stored") > log.rfind("consuming "), log[-2000:]

    # what the last flush stored, it committed: no partition holds rows beyond its committed offset
    behind = {p: offsets for p, offsets in committed_and_stored(pipeline.settings).items() if offsets[0] < offsets[1]}
    assert not behind, f"(committed, stored up to) by partition: {behind}"
    assert 0 < stored_count(pipeline, project) < len(sender.accepted)

    programs.start("consumer")
    assert_exactly_stored(pipeline, project, sender.accepted)
