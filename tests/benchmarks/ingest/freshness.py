"""Step 4: end-to-end freshness. Requests of 100 events go to the stack's capture at a fixed pace (open loop:
a slow answer does not delay the next request); ClickHouse is polled every 50 ms for the requests whose
events are all stored. A request's freshness is when it was first seen complete minus when it was sent.

Every event of request i carries properties.bench_seq = i. Each poll reads only rows past the Kafka offsets
the previous polls saw (per partition), so polling costs ClickHouse little whatever the run's length.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from clickhouse_connect.driver.client import Client

from infra import clients
from tests.benchmarks.ingest import traffic
from tests.benchmarks.ingest.cpu import summary
from tests.benchmarks.ingest.steps import BATCH, Bench
from tests.benchmarks.warehouse.measure import percentile
from tests.support.ingest import Project

POLL_S = 0.05
SETTLE_S = 30  # how long after the last request the poller still waits for stragglers

_NEW_ROWS = """
SELECT kafka_partition, JSONExtractUInt(properties, 'bench_seq') AS seq, count(), max(kafka_offset)
FROM events
WHERE project_id = {{project:UInt64}} AND kafka_topic = {{topic:String}} AND kafka_offset >= {next_offset}
GROUP BY kafka_partition, seq
"""


@dataclass
class Requests:
    """What the sender and the poller know about each request, by sequence number."""

    count: int
    sent: dict[int, float] = field(default_factory=dict)
    answered: dict[int, float] = field(default_factory=dict)
    status: dict[int, int] = field(default_factory=dict)
    complete: dict[int, float] = field(default_factory=dict)
    stored: dict[int, int] = field(default_factory=dict)
    late_sends: int = 0
    latest_ms: float = 0.0


class Connections:
    """Keep-alive HTTP/1.1 connections to capture, each carrying one request at a time; opened as needed.

    Requests are prepared bytes and answers are read by Content-Length: the sender costs a few percent of a
    core, where httpx took a quarter of one at 50 requests/s of 117 KB, from the two cores the pipeline
    runs on (and fell behind its schedule when other work took the rest).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    def request(self, path: str, body: bytes) -> bytes:
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
        return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """An idle connection the server has not closed (uvicorn closes them after 5 s idle), else a new one."""
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    async def send(self, request: bytes) -> int:
        """The answer's status; 0 if the connection failed."""
        reader, writer = await self._connection()
        try:
            writer.write(request)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            writer.close()
            return 0
        self.idle.append((reader, writer))
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def _send_all(port: int, bodies: list[bytes], rate: float, requests: Requests) -> None:
    connections = Connections("127.0.0.1", port)
    prepared = [connections.request("/capture", body) for body in bodies]
    start, tasks = time.monotonic() + 0.2, []
    for seq, request in enumerate(prepared):
        delay = start + seq / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.01:  # the sender itself fell behind (it shares the cores): reported
            requests.late_sends += 1
            requests.latest_ms = max(requests.latest_ms, -delay * 1000)
        tasks.append(asyncio.create_task(_send(connections, seq, request, requests)))
    await asyncio.gather(*tasks)
    connections.close()


async def _send(connections: Connections, seq: int, request: bytes, requests: Requests) -> None:
    requests.sent[seq] = time.monotonic()
    requests.status[seq] = await connections.send(request)
    requests.answered[seq] = time.monotonic()


class Poller(threading.Thread):
    """Polls ClickHouse every POLL_S until every request is complete, or SETTLE_S after the sender finished."""

    def __init__(self, client: Client, project_id: int, topic: str, requests: Requests) -> None:
        super().__init__(name="freshness-poller", daemon=True)
        self.client, self.project_id, self.topic, self.requests = client, project_id, topic, requests
        self.next_offset: dict[int, int] = {}
        self.sender_done: float | None = None
        self.polls, self.poll_seconds = 0, 0.0

    def run(self) -> None:
        requests = self.requests
        while len(requests.complete) < requests.count:
            if self.sender_done is not None and time.monotonic() > self.sender_done + SETTLE_S:
                return
            began = time.monotonic()
            self._poll()
            self.polls += 1
            self.poll_seconds += time.monotonic() - began
            time.sleep(max(0.0, POLL_S - (time.monotonic() - began)))

    def _poll(self) -> None:
        cases = ", ".join(f"kafka_partition = {p}, {offset}" for p, offset in sorted(self.next_offset.items()))
        next_offset = f"multiIf({cases}, 0)" if cases else "0"
        result = self.client.query(
            _NEW_ROWS.format(next_offset=next_offset), parameters={"project": self.project_id, "topic": self.topic}
        )
        seen = time.monotonic()
        for partition, seq, rows, last in result.result_rows:
            self.next_offset[partition] = max(self.next_offset.get(partition, 0), last + 1)
            self.requests.stored[seq] = self.requests.stored.get(seq, 0) + rows
            if self.requests.stored[seq] >= BATCH and seq not in self.requests.complete:
                self.requests.complete[seq] = seen


def freshness(bench: Bench, project: Project) -> dict[str, Any]:
    rate, seconds = bench.args.freshness_rate, bench.args.freshness_seconds
    count = round(rate * seconds)
    bodies = traffic.sequenced_bodies(project.key, count, BATCH, seed=4)
    bench.progress(
        f"freshness: {count:,} requests of {BATCH} events at {rate:g}/s ({rate * BATCH:,.0f} events/s), {seconds:g} s"
    )
    requests = Requests(count)
    client = clients.clickhouse(
        bench.settings, database=bench.settings.clickhouse_database, autogenerate_session_id=False
    )
    poller = Poller(client, project.id, bench.settings.kafka_events_topic, requests)
    bench.meter.start()
    poller.start()
    asyncio.run(_send_all(bench.settings.port("capture"), bodies, rate, requests))
    send_cpu = bench.meter.stop()
    poller.sender_done = time.monotonic()
    poller.join()
    client.close()
    return _figures(bench, requests, poller, send_cpu)


def _figures(bench: Bench, requests: Requests, poller: Poller, cpu: dict[str, float]) -> dict[str, Any]:
    fresh = [(requests.complete[seq] - requests.sent[seq]) * 1000 for seq in sorted(requests.complete)]
    answers = [(requests.answered[seq] - requests.sent[seq]) * 1000 for seq in requests.answered]
    refused = sum(1 for status in requests.status.values() if status != 200)
    statuses = Counter(str(status) for status in requests.status.values())
    sent = sorted(requests.sent.values())
    figures = {
        "requests": requests.count,
        "complete": len(fresh),
        "refused": refused,
        "statuses": dict(statuses),
        "sent_per_s": (len(sent) - 1) / (sent[-1] - sent[0]) if len(sent) > 1 else 0.0,
        "late_sends": requests.late_sends,
        "latest_send_ms": requests.latest_ms,
        "freshness_p50_ms": percentile(fresh, 0.50) if fresh else None,
        "freshness_p95_ms": percentile(fresh, 0.95) if fresh else None,
        "freshness_max_ms": max(fresh) if fresh else None,
        "freshness_min_ms": min(fresh) if fresh else None,
        "answer_p50_ms": percentile(answers, 0.50),
        "answer_p99_ms": percentile(answers, 0.99),
        "polls": poller.polls,
        "poll_mean_ms": 1000 * poller.poll_seconds / max(1, poller.polls),
        "freshness_ms": [round(value, 1) for value in fresh],
        "cpu": cpu,
    }
    bench.progress(
        f"freshness: p50 {figures['freshness_p50_ms'] or 0:,.0f} ms, p95 {figures['freshness_p95_ms'] or 0:,.0f} ms, "
        f"max {figures['freshness_max_ms'] or 0:,.0f} ms ({len(fresh)} of {requests.count} requests complete, "
        f"{refused} refused; "
        f"capture answered in p50 {figures['answer_p50_ms']:.0f} ms, p99 {figures['answer_p99_ms']:.0f} ms; "
        f"{poller.polls} polls of {figures['poll_mean_ms']:.0f} ms) | {summary(cpu)}"
    )
    if len(fresh) < requests.count:
        bench.notes.append(
            f"freshness: {requests.count - len(fresh)} requests never complete in ClickHouse; answers {dict(statuses)}"
        )
    if requests.late_sends:
        bench.notes.append(
            f"freshness: {requests.late_sends} requests were sent more than 10 ms behind schedule "
            f"(at most {requests.latest_ms:.0f} ms)"
        )
    return figures
