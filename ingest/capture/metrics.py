"""Prometheus metrics of the capture API, served at /metrics.

With several workers (CLICKPATH_CAPTURE_WORKERS) each is a process of its own, and a scrape reaches one of
them: the stack then sets PROMETHEUS_MULTIPROC_DIR, every worker writes its values there (prometheus_client's
multiprocess mode) and /metrics answers the sum over all of them.
"""

from __future__ import annotations

import contextlib
import os
import re
from functools import cache
from pathlib import Path

import psutil
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
_PID_OF_FILE = re.compile(r"_(\d+)\.db$")  # prometheus_client names them <kind>_<pid>.db

REQUESTS = Counter("clickpath_capture_requests", "Capture requests answered, by endpoint and status", ["api", "status"])
EVENTS = Counter("clickpath_capture_events", "Events acknowledged by Kafka", ["api"])
LATENCY = Histogram(
    "clickpath_capture_request_seconds",
    "Time from request to answer",
    ["api"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@cache
def child(metric: MetricWrapperBase, *labels: str) -> MetricWrapperBase:
    """``metric.labels(*labels)``, looked up once: on every request it cost as much as the counting itself."""
    return metric.labels(*labels)


def forget_dead_workers() -> None:
    """Remove the files of workers no longer running (a restarted capture starts counting from zero, as one
    process does); a live worker's files stay."""
    if MULTIPROCESS_DIR is None:
        return
    for path in Path(MULTIPROCESS_DIR).glob("*.db"):
        found = _PID_OF_FILE.search(path.name)
        if found and not psutil.pid_exists(int(found.group(1))):
            with contextlib.suppress(FileNotFoundError):  # another worker starting removed it first
                path.unlink()


def exposition() -> bytes:
    """The text a scrape gets: this process's metrics, or every worker's summed in multiprocess mode."""
    if MULTIPROCESS_DIR is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)
