"""Prometheus metrics of the capture API, served at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter("clickpath_capture_requests", "Capture requests answered, by endpoint and status", ["api", "status"])
EVENTS = Counter("clickpath_capture_events", "Events acknowledged by Kafka", ["api"])
REFUSED_EVENTS = Counter("clickpath_capture_refused_events", "Events in refused requests, by reason", ["reason"])
LATENCY = Histogram(
    "clickpath_capture_request_seconds",
    "Time from request to answer",
    ["api"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
