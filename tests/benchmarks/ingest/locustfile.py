"""Locust user for ingest_bench: POSTs one prepared body at a fixed rate and records every latency exactly.

Locust's own statistics round to whole milliseconds and include the spawning ramp; this file keeps the
latencies of the requests answered after spawning completed, and writes them for the benchmark on exit.
Configured through BENCH_* variables (tests/benchmarks/ingest/load.py sets them).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from locust import FastHttpUser, User, events, task

BODY = Path(os.environ["BENCH_BODY"]).read_bytes()
PATH = os.environ["BENCH_PATH"]
HEADERS = {"Content-Type": "application/json"}
USER_RATE = float(os.environ["BENCH_USER_RATE"])
_record: dict[str, Any] = {"latencies_ms": [], "failures": 0, "started": None, "last": None}


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_: Any) -> None:
    _record["started"] = time.monotonic()


@events.request.add_listener
def _request(response_time: float, exception: Exception | None, **_: Any) -> None:
    if _record["started"] is None:
        return
    _record["last"] = time.monotonic()
    if exception is not None:
        _record["failures"] += 1
    else:
        _record["latencies_ms"].append(response_time)


@events.quitting.add_listener
def _write(**_: Any) -> None:
    started, last = _record["started"], _record["last"]
    window = last - started if started is not None and last is not None else 0.0
    document = {"latencies_ms": _record["latencies_ms"], "failures": _record["failures"], "window_s": window}
    Path(os.environ["BENCH_SAMPLES"]).write_text(json.dumps(document))


def poisson_throughput(task_runs_per_second: float) -> Callable[[User], float]:
    """constant_throughput's rate, with exponential gaps kept on a schedule of their own.

    constant_throughput paces each user from the end of its last request, so one slow moment (a GC pause,
    a stall of the machine) puts every user that waited through it on the same phase; measured here: 100
    users at 500 requests/s ended up sending in bursts of ~100 within 50 ms every 200 ms, and the no-op
    route's p50 read 18 ms while a probe beside it saw 2.5 ms. Exponential gaps (a Poisson arrival process,
    as independent clients make) cannot lock in step; the schedule keeps the rate whatever the latency, and
    is reset rather than caught up in a burst after a stall of more than a second.
    """

    def wait_time_func(user: User) -> float:
        now = time.monotonic()
        scheduled = getattr(user, "_bench_next", now) + random.expovariate(task_runs_per_second)
        user._bench_next = scheduled if scheduled > now - 1 else now  # type: ignore[attr-defined]
        return max(0.0, user._bench_next - now)  # type: ignore[attr-defined]

    return wait_time_func


class Capture(FastHttpUser):
    wait_time = poisson_throughput(USER_RATE)

    @task
    def send(self) -> None:
        with self.client.post(PATH, data=BODY, headers=HEADERS, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
