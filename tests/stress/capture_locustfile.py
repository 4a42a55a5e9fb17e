"""Locust users for `make stress-capture`: the capture API as SDKs use it, mixed.

Each request sends demo-shop events (ingest/generate.py) through one of the routes SDKs use, weighted
roughly as real traffic is: posthog-js batches to /e/ (gzip), posthog-python and posthog-node batches to
/batch/, Clickpath's own /capture (single events and batches), Segment's /v1/batch and /v1/track. Every
event gets a fresh uuid, so nothing folds away as a repeat. Configured through STRESS_* variables
(tests/stress/run.py sets them); the name of each request in the report is its route. Every event carries
the property `$stress_run`, so the runner can count afterwards how many of the accepted ones were stored, and
the events a 200 accepted are written to STRESS_ACCEPTED when Locust quits.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from locust import FastHttpUser, constant_throughput, events, task

from ingest.generate import generate_events

KEY = os.environ["STRESS_PROJECT_KEY"]
USER_RATE = float(os.environ["STRESS_USER_RATE"])
BATCH = int(os.environ.get("STRESS_BATCH", "50"))
RUN = os.environ["STRESS_RUN"]
JSON = {"Content-Type": "application/json"}
SEGMENT_AUTH = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}

_pool = [event | {"properties": event["properties"] | {"$stress_run": RUN}} for event in generate_events(5000, 1, 7)]
_next = itertools.cycle(range(len(_pool)))
_accepted = [0]


def batch(count: int) -> list[dict[str, Any]]:
    """The next events of the pool, each with a uuid of its own and a timestamp of now."""
    now = datetime.now(UTC).isoformat()
    return [_pool[next(_next)] | {"uuid": str(uuid.uuid4()), "timestamp": now} for _ in range(count)]


@events.request.add_listener
def _count(exception: Exception | None, context: dict[str, Any], **_: Any) -> None:
    if exception is None:
        _accepted[0] += context.get("events", 0)


@events.quitting.add_listener
def _write(**_: Any) -> None:
    Path(os.environ["STRESS_ACCEPTED"]).write_text(str(_accepted[0]))


def segment(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event["event"],
        "anonymousId": event["distinct_id"],
        "properties": event["properties"],
        "timestamp": event["timestamp"],
        "messageId": event["uuid"],
    }


class CaptureUser(FastHttpUser):
    wait_time = constant_throughput(USER_RATE)

    def post(self, path: str, body: bytes, headers: dict[str, str], name: str, count: int) -> None:
        context = {"events": count}
        with self.client.post(
            path, data=body, headers=headers, name=name, context=context, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200] if response.text else ''}")

    @task(4)
    def posthog_js(self) -> None:
        sent = [event | {"properties": event["properties"] | {"token": KEY}} for event in batch(BATCH)]
        body = gzip.compress(orjson.dumps(sent), compresslevel=6)
        self.post("/e/?compression=gzip-js", body, {"Content-Type": "text/plain"}, "posthog-js /e/ gzip", BATCH)

    @task(2)
    def posthog_server(self) -> None:
        body = gzip.compress(orjson.dumps({"api_key": KEY, "batch": batch(BATCH)}))
        self.post("/batch/", body, JSON | {"Content-Encoding": "gzip"}, "posthog /batch/ gzip", BATCH)

    @task(2)
    def native_single(self) -> None:
        self.post("/capture", orjson.dumps({"api_key": KEY, **batch(1)[0]}), JSON, "native /capture single", 1)

    @task(1)
    def native_batch(self) -> None:
        body = orjson.dumps({"api_key": KEY, "batch": batch(BATCH)})
        self.post("/capture", body, JSON, "native /capture batch", BATCH)

    @task(1)
    def segment_batch(self) -> None:
        body = orjson.dumps({"batch": [segment(event) for event in batch(BATCH)]})
        self.post("/v1/batch", body, JSON | SEGMENT_AUTH, "segment /v1/batch", BATCH)

    @task(1)
    def segment_track(self) -> None:
        body = orjson.dumps(segment(batch(1)[0]) | {"writeKey": KEY})
        self.post("/v1/track", body, JSON, "segment /v1/track", 1)
