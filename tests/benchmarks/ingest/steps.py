"""Steps 1–3 of the ingestion benchmark: each pipeline stage measured beside the baseline it should approach.

1. batch capture (wrk, 100 events a request) against a raw producer loop sending the same stamped events;
2. single-event capture against a no-op route of the same app (wrk), then latency at a fixed rate (Locust);
3. the real EventConsumer against the bare ClickHouse inserts it ends in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import orjson
from clickhouse_connect.driver.client import Client

from infra import clients
from infra.settings import Settings
from infra.stack import services
from infra.stack.supervisor import Supervisor
from ingest.consumer import EventConsumer, tune_allocator, tune_collector
from ingest.persons import Persons
from ingest.rows import COLUMNS, StampedEvent
from tests.benchmarks.ingest import broker, load, profile, traffic
from tests.benchmarks.ingest.cpu import CpuMeter, summary
from tests.benchmarks.warehouse.measure import Progress, round_order
from tests.support.ingest import Project

BATCH = 100
CONNECTIONS = 32
# Single events are compared at saturation. At 32 connections capture waits on Kafka's acknowledgements (each
# request lingers 2 ms in the producer, then a round trip) with a quarter of the machine idle, so its
# requests/s measured that wait, not what it can serve; at 128 capture and the no-op route both fill both
# cores (docs/PERFORMANCE.md, the run of 10:49 on 6 December).
SINGLE_CONNECTIONS = 128
PARTITIONS = 6
LOCUST_RATE, LOCUST_USERS = 500, 100  # 5 requests/s each: far more users than requests in flight
CAPTURE_THREADS = ("MainThread",)  # the event loop: capture's own work; kafka-delivery only waits in librdkafka
REPO = Path(__file__).resolve().parents[3]


@dataclass
class Bench:
    """What every step needs: the stack's settings, options, a scratch directory and the instruments."""

    settings: Settings
    args: argparse.Namespace
    work: Path
    out: Path
    meter: CpuMeter
    progress: Progress
    run_id: str
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def capture_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port('capture')}"

    def profiled(
        self, name: str, pid: int, seconds: float, threads: tuple[str, ...] = (), modes: tuple[str, ...] = ("gil",)
    ) -> Callable[[], None]:
        """Start py-spy on pid if --profile, once per mode; the returned call stops them and keeps a summary
        per mode and thread named (all threads together if none is)."""
        if not self.args.profile:
            return lambda: None
        recordings = {mode: profile.record(f"{name}-{mode}", pid, seconds, self.out, mode) for mode in modes}

        def done() -> None:
            for mode, recording in recordings.items():
                recorded = profile.finish(recording)
                if recorded is None:
                    continue
                path, elapsed = recorded
                for thread in threads or (None,):
                    label = f"{name}, {mode}" + (f", thread {thread}" if thread else "")
                    summary = profile.summarize(path, elapsed, thread)
                    self.profiles[label] = {"file": path.name, "mode": mode, "thread": thread, **summary}

        return done


# -- step 1: batch capture against a raw producer ------------------------------------------------------------


def batch_capture(bench: Bench, project: Project) -> dict[str, Any]:
    batch = traffic.raw_events(BATCH, seed=1, token=project.key)
    body = bench.work / "batch.json"
    body.write_bytes(traffic.batch_body(project.key, batch))
    values = traffic.stamped(batch, project.id)
    topic = f"bench_raw_{bench.run_id}"
    broker.create_topic(bench.settings, topic, PARTITIONS)
    url, seconds = bench.capture_url + "/capture", bench.args.seconds
    bench.progress(f"batch: {len(body.read_bytes()):,}-byte body of {BATCH} events; warming capture and Kafka up")
    # The broker is fresh: its CPU per event fell by half over the first tens of seconds of load (JIT, heap
    # sizing), which would count against whichever side runs first; both warm up before round 1.
    load.wrk(url, body, 2 * bench.args.warmup, CONNECTIONS)
    broker.produce(
        bench.settings, topic, (values[i % len(values)] for i in range(min(100_000, bench.args.producer_events)))
    )
    capture_runs, producer_runs = [], []
    for index in range(bench.args.rounds):
        for side in round_order(["capture", "producer"], index):
            if side == "capture":
                stop_profile = (
                    bench.profiled("batch-capture", service_pid(bench, "capture"), seconds, CAPTURE_THREADS)
                    if index == 0
                    else None
                )
                run = load.wrk(url, body, seconds, CONNECTIONS, bench.meter)
                if stop_profile:
                    stop_profile()
                capture_runs.append(run)
                bench.progress(
                    f"batch capture: {run.per_second * BATCH:,.0f} events/s ({run.per_second:,.0f} requests/s, "
                    f"p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, non-2xx {run.non_2xx}) | {summary(run.cpu)}"
                )
                _note_errors(bench, "batch capture", run)
            else:
                producer_runs.append(_raw_producer(bench, topic, values))
    return {
        "capture": [run.as_dict() | {"events_per_s": run.per_second * BATCH} for run in capture_runs],
        "producer": producer_runs,
        "capture_events_per_s": _median([run.per_second * BATCH for run in capture_runs]),
        "producer_events_per_s": _median([run["events_per_s"] for run in producer_runs]),
        "body_bytes": len(body.read_bytes()),
        "topic": topic,
        "producer_config": {
            key: str(value)
            for key, value in broker.capture_config(bench.settings).items()
            if key != "bootstrap.servers"
        },
    }


def _raw_producer(bench: Bench, topic: str, values: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    count = bench.args.producer_events
    messages = (values[i % len(values)] for i in range(count))
    bench.meter.start()
    produced = broker.produce(bench.settings, topic, messages)
    cpu = bench.meter.stop()
    bench.progress(
        f"raw producer: {produced.per_second:,.0f} events/s ({produced.acknowledged:,} acknowledged in "
        f"{produced.seconds:.1f} s, {produced.failed} failed) | {summary(cpu)}"
    )
    if produced.failed:
        bench.notes.append(f"raw producer: {produced.failed} deliveries failed ({produced.first_error})")
    return {**vars(produced), "events_per_s": produced.per_second, "cpu": cpu}


def _note_errors(bench: Bench, what: str, run: load.WrkRun) -> None:
    if run.non_2xx or run.socket_errors:
        bench.notes.append(f"{what}: {run.non_2xx} non-2xx answers and {run.socket_errors} socket errors")


# -- step 2: single-event capture against a no-op route ------------------------------------------------------


def single_capture(bench: Bench, project: Project) -> dict[str, Any]:
    event = traffic.raw_events(1, seed=2, token=project.key)[0]  # the key in properties.token, as posthog-js
    body = bench.work / "single.json"
    body.write_bytes(orjson.dumps(event))
    noop = NoopServer.start(bench.settings, bench.work / "noop.log")
    bench.meter.watch("noop", noop.process.pid)
    try:
        targets = {"capture": bench.capture_url + "/capture", "noop": noop.url + "/noop"}
        bench.progress(f"single: warming capture and the no-op route up ({noop.url})")
        for url in targets.values():
            load.wrk(url, body, bench.args.warmup, SINGLE_CONNECTIONS)
        runs: dict[str, list[load.WrkRun]] = {name: [] for name in targets}
        for index in range(bench.args.rounds):
            for name in round_order(list(targets), index):
                pid = service_pid(bench, "capture") if name == "capture" else noop.process.pid
                stop_profile = (
                    bench.profiled(f"single-{name}", pid, bench.args.seconds, CAPTURE_THREADS) if index == 0 else None
                )
                run = load.wrk(targets[name], body, bench.args.seconds, SINGLE_CONNECTIONS, bench.meter)
                if stop_profile:
                    stop_profile()
                runs[name].append(run)
                bench.progress(
                    f"single {name}: {run.per_second:,.0f} requests/s (p50 {run.p50_ms:.1f} ms, "
                    f"p99 {run.p99_ms:.1f} ms, non-2xx {run.non_2xx}) | {summary(run.cpu)}"
                )
                _note_errors(bench, f"single {name}", run)
    finally:
        bench.meter.forget("noop")
        noop.stop()
    latency = _fixed_rate_latency(bench, body)
    return {
        "capture": [run.as_dict() for run in runs["capture"]],
        "noop": [run.as_dict() for run in runs["noop"]],
        "capture_requests_per_s": _median([run.per_second for run in runs["capture"]]),
        "noop_requests_per_s": _median([run.per_second for run in runs["noop"]]),
        "latency": vars(latency),
        "body_bytes": len(body.read_bytes()),
        "connections": SINGLE_CONNECTIONS,
    }


def _fixed_rate_latency(bench: Bench, body: Path) -> load.LocustRun:
    seconds = bench.args.locust_seconds
    bench.progress(f"latency: Locust, {LOCUST_USERS} users at {LOCUST_RATE} requests/s in all, {seconds:g} s")
    run = load.locust(bench.capture_url, "/capture", body, LOCUST_RATE, LOCUST_USERS, seconds, bench.work, bench.meter)
    bench.progress(
        f"latency at {run.achieved_per_s:,.0f} requests/s: p50 {run.p50_ms:.2f} ms, p90 {run.p90_ms:.2f} ms, "
        f"p99 {run.p99_ms:.2f} ms, max {run.max_ms:.1f} ms ({run.samples:,} requests, {run.failures} failed) | "
        f"{summary(run.cpu)}"
    )
    if run.failures:
        bench.notes.append(f"latency: {run.failures} requests failed under Locust")
    return run


@dataclass
class NoopServer:
    """tests.benchmarks.ingest.noop_app served by uvicorn with the stack's capture command line, on a free port."""

    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, settings: Settings, log: Path) -> NoopServer:
        port = _free_port()
        command = _noop_command(settings, port)
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("CLICKPATH_")}
        environment = inherited | services.clickpath_environment(settings)
        with log.open("wb") as output:
            process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=output, stderr=subprocess.STDOUT)
        server = cls(process, f"http://127.0.0.1:{port}")
        server.wait_ready(log)
        return server

    def wait_ready(self, log: Path, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the no-op server exited {self.process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/_ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the no-op server did not get ready: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _noop_command(settings: Settings, port: int) -> list[str]:
    """The stack's own capture command (infra/stack/services.py), with the no-op factory and another port."""
    program = services.capture(settings).program
    assert program is not None, "the bench stack runs capture itself"
    command = list(program.command)
    command[command.index("--factory") + 1] = "tests.benchmarks.ingest.noop_app:create_app"
    command[command.index("--port") + 1] = str(port)
    return command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- step 3: the consumer against direct inserts -------------------------------------------------------------


class InsertLog:
    """Wraps a client's insert: every call's table, rows and time, so flushes are counted where they happen."""

    def __init__(self, client: Client) -> None:
        self.calls: list[tuple[str, int, float, float]] = []
        self.events_rows = 0
        original = client.insert

        original_raw = client.raw_insert

        def insert(table: str | None = None, data: Any = None, *args: Any, **kwargs: Any) -> Any:
            rows = len(data[0]) if kwargs.get("column_oriented") and data else len(data or [])
            return self._timed(table, rows, lambda: original(table, data, *args, **kwargs))

        def raw_insert(table: None, column_names: Any = None, insert_block: bytes = b"", **kwargs: Any) -> Any:
            """The consumer's insert: its statement heads the body (ingest.rows.STATEMENT), and its token names the
            offset ranges it holds, a row each (the benchmark's topic holds no poison). Scanning the 60 MB body
            for its rows instead took the GIL from the consumer for 50 ms a flush."""
            name = bytes(insert_block[:64]).split(maxsplit=3)[2].decode()
            rows = _messages_in(kwargs["settings"]["insert_deduplication_token"])
            return self._timed(name, rows, lambda: original_raw(table, column_names, insert_block, **kwargs))

        client.insert = insert  # type: ignore[method-assign]
        client.raw_insert = raw_insert  # type: ignore[method-assign]

    def _timed(self, table: str | None, rows: int, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        self.calls.append((str(table), rows, started, time.perf_counter()))
        if table == "events":
            self.events_rows += rows
        return result

    def of(self, table: str) -> list[tuple[str, int, float, float]]:
        return [call for call in self.calls if call[0] == table]


def _messages_in(token: str) -> int:
    """The messages an insert_deduplication_token covers: `topic/0:10-19,3:5-9` → 15 (ingest/consumer.py)."""
    ranges = (part.split(":", 1)[1].split("-") for part in token.rsplit("/", 1)[1].split(","))
    return sum(int(last) - int(first) + 1 for first, last in ranges)


class TimedPersons:
    """The consumer's real person processing, timed per flush."""

    def __init__(self, client: Client) -> None:
        self.persons, self.seconds, self.calls = Persons(client), 0.0, 0

    def process(self, events: list[dict[str, Any]]) -> None:
        started = time.perf_counter()
        self.persons.process(events)
        self.seconds += time.perf_counter() - started
        self.calls += 1


def consumer_vs_insert(bench: Bench, project: Project) -> dict[str, Any]:
    """Rounds of the consumer against direct inserts, alternating which goes first; each round on a topic of
    its own, and every event (the direct inserts' too) with a uuid of its own."""
    count = bench.args.events
    volume = traffic.Volume(project.id, seed=3, token=project.key)
    # the consumer's main() tunes the allocator for its process; here the direct inserts get it too
    tune_allocator()
    produced_runs, direct_runs, consumer_runs = [], [], []
    for index in range(bench.args.rounds):
        topic, first = f"bench_consumer_{bench.run_id}_{index}", 2 * index * count
        broker.create_topic(bench.settings, topic, PARTITIONS)
        bench.progress(f"consumer, round {index + 1}: producing {count:,} stamped events into {topic}")
        produced = broker.produce(bench.settings, topic, volume.values(first, first + count))
        bench.progress(f"produced {produced.acknowledged:,} in {produced.seconds:.1f} s ({produced.per_second:,.0f}/s)")
        if produced.acknowledged != count:
            raise RuntimeError(f"only {produced.acknowledged} of {count} events reached Kafka: {produced.first_error}")
        produced_runs.append(vars(produced))
        for side in round_order(["direct", "consumer"], index):
            if side == "direct":
                direct_runs.append(_direct_inserts(bench, volume, first + count, count, topic))
            else:
                consumer_runs.append(_run_consumer(bench, topic, count, profile=index == 0))
    return {
        "events": count,
        "batch_events": bench.args.batch_events,
        "produce": produced_runs,
        "direct": direct_runs,
        "consumer": consumer_runs,
        "direct_events_per_s": _median([run["events_per_s"] for run in direct_runs]),
        "consumer_events_per_s": _median([run["events_per_s"] for run in consumer_runs]),
        # None when no run had a second full batch (--events under twice --batch-events)
        "consumer_steady_events_per_s": _median_or_none([run["steady_events_per_s"] for run in consumer_runs]),
        "consumer_inserts_per_s": _median([run["inserts_per_s"] for run in consumer_runs]),
    }


def _direct_inserts(bench: Bench, volume: traffic.Volume, first: int, count: int, topic: str) -> dict[str, Any]:
    """Baseline: the same events (with uuids of their own) as clickhouse-connect's column-oriented insert takes
    them, into the table the consumer writes, so that the same views run on every insert (ingest_offsets and
    dbt's live rollups); labelled with a Kafka topic of their own, so that the consumer's resume point is not
    theirs. Every batch is built first; the inserts are then timed back to back, as the consumer inserts, so
    that the table's background merges weigh on both sides."""
    settings, label, size = bench.settings, f"{topic}_direct", bench.args.batch_events
    client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    starts = range(0, count, size)
    batches = [_columns(volume.values(first + s, first + min(s + size, count)), label, s) for s in starts]
    bench.progress(f"direct inserts: {count:,} rows into events in batches of {size:,}, back to back")
    gc.collect()
    gc.freeze()  # the batches are alive throughout: no collection walks them inside the timed inserts
    bench.meter.start()
    began = time.perf_counter()
    tokens = [f"{label}/direct:{s}" for s in starts]
    seconds = [_timed_insert(bench, client, columns, token) for token, columns in zip(tokens, batches, strict=True)]
    wall = time.perf_counter() - began
    cpu = bench.meter.stop()
    gc.unfreeze()
    del batches
    stored = client.command("SELECT count() FROM events WHERE kafka_topic = {t:String}", parameters={"t": label})
    client.close()
    bench.progress(
        f"direct inserts: {count / wall:,.0f} rows/s ({len(seconds)} inserts in {wall:.2f} s; {stored:,} rows stored) "
        f"| {summary(cpu)}"
    )
    if stored != count:
        bench.notes.append(f"direct inserts: {stored} rows stored of {count}")
    return {"events_per_s": count / wall, "insert_seconds": seconds, "stored": stored, "cpu": cpu}


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _columns(values: Iterable[tuple[bytes, bytes]], topic: str, start: int) -> list[list[Any]]:
    """The stamped events as columns in COLUMNS order, times as integer microseconds and uuids as UUID
    objects (what clickhouse-connect writes fastest); partitions and offsets as the consumer would see them."""
    rows = []
    for index, (_, value) in enumerate(values, start):
        event = msgspec.json.decode(value, type=StampedEvent)
        times = [(moment - _EPOCH) // _MICROSECOND for moment in (event.timestamp, event.received_at)]
        rows.append(
            (event.uuid, event.project_id, event.event, event.distinct_id, bytes(event.properties), *times,
             topic, index % PARTITIONS, index // PARTITIONS)
        )  # fmt: skip
    return [list(column) for column in zip(*rows, strict=True)]


def _timed_insert(bench: Bench, client: Client, columns: list[list[Any]], token: str) -> float:
    """Seconds of the insert call the consumer makes, for these rows. A failed one is noted and retried once
    (the consumer retries too), and the retry is what is timed."""
    for attempt in (1, 2):
        began = time.perf_counter()
        try:
            client.insert(
                "events", columns, column_names=COLUMNS, column_oriented=True,
                settings={"insert_deduplication_token": token},
            )  # fmt: skip
            return time.perf_counter() - began
        except Exception as exc:
            bench.notes.append(f"direct insert {token} failed (attempt {attempt}): {str(exc)[:300]}")
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _run_consumer(bench: Bench, topic: str, count: int, profile: bool) -> dict[str, Any]:
    group = f"bench-{topic}"
    settings = bench.settings.model_copy(
        update={"kafka_events_topic": topic, "consumer_group": group, "consumer_batch_events": bench.args.batch_events}
    )
    client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    log, persons = InsertLog(client), TimedPersons(client)
    consumer = EventConsumer(settings, clickhouse=client, persons=persons)
    thread = threading.Thread(target=consumer.run, name="ingest-consumer", daemon=True)
    expected_s = max(5.0, count / 40_000)
    bench.progress(f"consumer: EventConsumer in this process, group {group}, batches of {bench.args.batch_events:,}")
    gc.collect()
    thresholds = gc.get_threshold()
    tune_collector(settings)  # this process set up as the consumer's own main() sets itself up
    bench.meter.start()
    threads = ("ingest-consumer", "clickhouse-insert_0")  # the poll-and-decode loop, and the insert thread
    stop_profile = (
        bench.profiled("consumer", os.getpid(), expected_s * 3, threads, modes=("gil", "wall"))
        if profile
        else lambda: None
    )
    started = time.perf_counter()
    thread.start()
    deadline = time.monotonic() + max(120.0, expected_s * 10)
    while log.events_rows < count and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    cpu = bench.meter.stop()
    consumer.stop()
    thread.join(timeout=60)
    stop_profile()
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    return _consumer_figures(bench, settings, log, persons, started, count, cpu)


def _consumer_figures(
    bench: Bench, settings: Settings, log: InsertLog, persons: TimedPersons, started: float, count: int, cpu: dict
) -> dict[str, Any]:
    flushes = log.of("events")
    if log.events_rows < count:
        raise RuntimeError(f"the consumer stored {log.events_rows} of {count} events before the deadline")
    # The last batch is usually short and flushed by the CLICKPATH_CONSUMER_BATCH_MS timer, not by size: a
    # finite run's artefact, so the rate is taken up to the end of the last full batch.
    full = max(i for i, call in enumerate(flushes) if call[1] >= settings.consumer_batch_events or i == 0)
    timed = flushes[: full + 1]
    rows, end = sum(call[1] for call in timed), timed[-1][3]
    steady = (rows - timed[0][1]) / (end - timed[0][3]) if full > 0 else None
    wall = flushes[-1][3] - started
    insert_s = sum(end - begin for _, _, begin, end in flushes)
    stored = _stored(settings)
    figures = {
        "events_per_s": rows / (end - started),
        "steady_events_per_s": steady,
        "rows_timed": rows,
        "wall_s": wall,
        "events_per_s_whole_run": count / wall,
        "first_flush_began_s": flushes[0][2] - started,
        "flushes": len(flushes),
        "inserts_per_s": len(flushes) / wall,
        "all_inserts": len(log.calls),
        "all_inserts_per_s": len(log.calls) / wall,
        "inserts_by_table": {table: len(log.of(table)) for table in sorted({call[0] for call in log.calls})},
        "flush_rows": [rows for _, rows, _, _ in flushes],
        "events_insert_s": insert_s,
        "persons_s": persons.seconds,
        # persons and the insert run on the consumer's insert thread, overlapping the next batch's decoding
        "insert_thread_busy_s": insert_s + persons.seconds,
        "insert_thread_busy_share": (insert_s + persons.seconds) / (flushes[-1][3] - flushes[0][2]),
        "stored": stored,
        "cpu": cpu,
    }
    bench.progress(
        f"consumer: {figures['events_per_s']:,.0f} events/s from start to the last full batch "
        f"({f'{steady:,.0f}/s' if steady else 'n/a'} after the first; {count / wall:,.0f}/s to the very last row, "
        f"{wall:.1f} s), "
        f"{len(flushes)} inserts into events ({figures['inserts_per_s']:.2f}/s), "
        f"{len(log.calls)} inserts in all | insert thread busy {figures['insert_thread_busy_share']:.0%} from the "
        f"first insert on (events insert {insert_s:.1f} s, persons {persons.seconds:.1f} s) | {summary(cpu)}"
    )
    if stored["count"] != count:
        bench.notes.append(f"consumer: ClickHouse holds {stored['count']} rows of the topic, {count} were produced")
    return figures


def _stored(settings: Settings) -> dict[str, Any]:
    client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    try:
        parameters = {"t": settings.kafka_events_topic}
        total = client.command("SELECT count() FROM events WHERE kafka_topic = {t:String}", parameters=parameters)
        offsets = client.query(
            "SELECT partition, max(max_offset) FROM ingest_offsets WHERE topic = {t:String} GROUP BY partition",
            parameters=parameters,
        ).result_rows
    finally:
        client.close()
    return {"count": int(total), "ingest_offsets": {int(p): int(o) for p, o in offsets}}


# -- shared --------------------------------------------------------------------------------------------------


def service_pid(bench: Bench, service: str) -> int:
    return int(Supervisor(bench.settings.home_dir).processes()[service]["pid"])


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _median_or_none(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def supervisorctl(settings: Settings, *args: str) -> str:
    """The stack's supervisord, as `supervisorctl` would be used by hand (stop/start one program)."""
    config = settings.home_dir / "supervisord.conf"
    command = [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
