"""``clickpath generate``: the demo traffic is well-formed and plausible, and the sender delivers it exactly once.

The sender is tested against a real HTTP server started here (uvicorn in a thread) that records what it
accepts and fails on purpose; the capture API itself, Kafka and ClickHouse are the integration tests' part.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID

import fastjsonschema
import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from typer.testing import CliRunner

from infra.cli import app as clickpath
from infra.settings import Settings
from ingest.cli import demo_project_key
from ingest.events import Stamp, stamp
from ingest.generate import SESSION_IDLE_S, CaptureRefusedError, CaptureUnavailableError, Sender, generate_events

NOW = datetime(2026, 6, 3, 14, 7, 21, 512000, tzinfo=UTC)  # a Wednesday afternoon
SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "schemas" / "event.schema.json").read_text())
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ON_EVERY_EVENT = (
    "$lib", "$lib_version", "$device_id", "$session_id", "$window_id", "$current_url", "$pathname", "$host",
    "$referrer", "$referring_domain", "$browser", "$browser_version", "$os", "$device_type",
)  # fmt: skip


def when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["timestamp"])


@pytest.fixture(scope="module")
def month() -> list[dict[str, Any]]:
    """A month of traffic; shared by the tests that only read it."""
    return list(generate_events(20_000, 30, seed=7, now=NOW))


@pytest.fixture(scope="module")
def sessions(month: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in month:
        by_session[event["properties"]["$session_id"]].append(event)
    for events in by_session.values():
        events.sort(key=lambda e: e["timestamp"])
    return by_session


# -- the generator ------------------------------------------------------------------------------------------


def test_a_seed_gives_the_same_events() -> None:
    first = list(generate_events(3000, 7, seed=42, now=NOW))
    assert first == list(generate_events(3000, 7, seed=42, now=NOW))
    assert first != list(generate_events(3000, 7, seed=43, now=NOW))


@pytest.mark.parametrize(("n", "days"), [(0, 30), (1, 1), (100, 30), (5000, 1), (5000, 7), (40_000, 90)])
def test_about_n_events(n: int, days: int) -> None:
    count = sum(1 for _ in generate_events(n, days, seed=1, now=NOW))
    # Visits are never cut short to hit n, so a run ends at most one visit (two sessions) over.
    assert n <= count <= n + 200


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate_events(-1, 30)
    with pytest.raises(ValueError):
        generate_events(10, 0)
    with pytest.raises(ValueError):
        generate_events(10, 1, now=datetime(2026, 1, 1))  # naive: which "now"?


def test_every_event_has_the_capture_contracts_fields(month: list[dict[str, Any]]) -> None:
    validate = fastjsonschema.compile(SCHEMA)
    for event in month:
        validate(event)  # what the capture API checks
        assert set(event) <= {"event", "distinct_id", "properties", "timestamp", "uuid", "$set", "$set_once"}
        assert isinstance(event["event"], str) and event["event"]
        assert isinstance(event["distinct_id"], str) and event["distinct_id"]
        assert ISO.match(event["timestamp"]), event["timestamp"]
        assert UUID(event["uuid"]).version == 7
        props = event["properties"]
        assert all(props.get(name) not in (None, "") for name in ON_EVERY_EVENT if name != "$os_version"), event
        assert props["$lib"] == "web"
        assert props["$current_url"].startswith(f"https://{props['$host']}{props['$pathname']}")
        assert props["$device_type"] in {"Desktop", "Mobile", "Tablet"}
        assert isinstance(props["$browser_version"], int | float)
        for name in ("$set", "$set_once"):
            assert isinstance(event.get(name, {}), dict)
    assert len({event["uuid"] for event in month}) == len(month)  # ids are unique: capture deduplicates on them
    orjson.dumps(month)  # plain JSON all the way down


def test_the_capture_api_would_take_every_event(month: list[dict[str, Any]]) -> None:
    context = Stamp(project_id=1, now=NOW, sent_at=NOW)
    for i, event in enumerate(month[:2000]):
        key, value = stamp(copy.deepcopy(event), f"batch[{i}]", context)  # raises what capture would answer
        stored = orjson.loads(value)
        assert key == f"1:{event['distinct_id']}".encode()  # one person's events stay in one partition
        assert (stored["uuid"], stored["distinct_id"]) == (event["uuid"], event["distinct_id"])
        assert datetime.fromisoformat(stored["timestamp"]) == when(event)  # sent_at == now: no correction


def test_timestamps_lie_in_the_window_and_in_the_past(month: list[dict[str, Any]]) -> None:
    moments = [when(event) for event in month]
    assert NOW - timedelta(days=30) <= min(moments)
    assert max(moments) < NOW
    assert max(moments) > NOW - timedelta(hours=3)  # the window really reaches up to now
    assert min(moments) < NOW - timedelta(days=29)


def test_sessions_obey_the_thirty_minute_rule(sessions: dict[str, list[dict[str, Any]]]) -> None:
    idle = timedelta(seconds=SESSION_IDLE_S)
    by_device: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
    for events in sessions.values():
        assert len({event["properties"]["$device_id"] for event in events}) == 1
        assert all(when(b) - when(a) < idle for a, b in pairwise(events))
        by_device[events[0]["properties"]["$device_id"]].append(events)
    for visits in by_device.values():
        visits.sort(key=lambda events: events[0]["timestamp"])
        for earlier, later in pairwise(visits):
            assert when(later[0]) - when(earlier[-1]) >= idle  # the next session starts after 30 quiet minutes


def test_anonymous_ids_look_like_posthog_js(month: list[dict[str, Any]]) -> None:
    first_events = {e["properties"]["$device_id"]: e for e in reversed(month)}
    for device_id, event in first_events.items():
        assert event["distinct_id"] == device_id  # everyone arrives anonymous
        assert UUID(device_id).version == 7
        assert "$initial_referrer" in event["$set_once"]


def test_every_identify_follows_a_signup_of_the_same_person(sessions: dict[str, list[dict[str, Any]]]) -> None:
    identifies = 0
    for events in sessions.values():
        for i, event in enumerate(events):
            if event["event"] != "$identify":
                continue
            identifies += 1
            anonymous_id = event["properties"]["$anon_distinct_id"]
            signup = events[i - 1]
            assert signup["event"] == "signup" and signup["distinct_id"] == anonymous_id
            assert signup["timestamp"] < event["timestamp"]
            assert event["distinct_id"] != anonymous_id and event["distinct_id"].startswith("user_")
            assert anonymous_id == event["properties"]["$device_id"]
            assert set(event["$set"]) == {"email", "name", "plan"} and "@example." in event["$set"]["email"]
            assert all(e["distinct_id"] == event["distinct_id"] for e in events[i:])  # the user id from now on
    assert identifies > 20


def test_people_identify_once_and_stay_identified(month: list[dict[str, Any]]) -> None:
    identified: dict[str, str] = {}
    for event in sorted(month, key=lambda e: e["timestamp"]):
        device = event["properties"]["$device_id"]
        if event["event"] == "$identify":
            assert device not in identified
            identified[device] = event["distinct_id"]
        assert event["distinct_id"] == identified.get(device, device)


def test_purchases_have_positive_amounts(month: list[dict[str, Any]]) -> None:
    purchases = [event for event in month if event["event"] == "purchase"]
    assert len(purchases) > 20
    for purchase in purchases:
        props = purchase["properties"]
        assert isinstance(props["amount"], float) and props["amount"] > 0
        assert props["currency"] in {"USD", "EUR", "GBP"}
        assert props["items"] == len(props["product_ids"]) > 0
        assert purchase["distinct_id"].startswith("user_")  # checkout needs an account


def test_the_mix_of_events_and_sources_is_plausible(month: list[dict[str, Any]]) -> None:
    kinds = Counter(event["event"] for event in month)
    assert kinds["$pageview"] > kinds["product_viewed"] > kinds["add_to_cart"] > kinds["purchase"] > 0
    assert kinds["signup"] == kinds["$identify"] > 0
    assert 0 < kinds["$pageleave"] < kinds["$pageview"]
    domains = Counter(event["properties"]["$referring_domain"] for event in month)
    assert {"$direct", "www.google.com", "t.co"} <= set(domains)
    tagged = [event for event in month if "utm_source" in event["properties"]]
    assert 0 < len(tagged) < len(month) / 5  # utm parameters ride on landing pages only
    assert all("utm_source=" in event["properties"]["$current_url"] for event in tagged)
    assert {"newsletter", "google"} <= {event["properties"]["utm_source"] for event in tagged}


def test_people_come_back_less_and_less(month: list[dict[str, Any]]) -> None:
    start = NOW - timedelta(days=30)
    days_active: dict[str, set[int]] = defaultdict(set)
    for event in month:
        days_active[event["properties"]["$device_id"]].add((when(event) - start).days)
    cohort = [days for days in days_active.values() if min(days) < 9]  # first seen early: three weeks to return

    def back(first: int, last: int) -> float:
        """Share of the cohort active on any of these days after their first."""
        return sum(any(min(days) + k in days for k in range(first, last + 1)) for days in cohort) / len(cohort)

    assert 0.05 < back(1, 1) < 0.3  # next-day retention of a shop
    assert back(1, 7) > 2 * back(8, 14) > 2 * back(15, 21) > 0  # weekly retention decays, and a core stays


def test_traffic_grows_and_follows_the_week_and_the_clock() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)  # midnight: whole days
    moments = [when(event) for event in generate_events(60_000, 56, seed=3, now=now)]
    per_day = Counter(moment.date() for moment in moments)
    days = sorted(per_day)
    assert sum(per_day[d] for d in days[-7:]) > 1.5 * sum(per_day[d] for d in days[:7])
    # Weekends against the weekdays of the same weeks, so growth does not decide it.
    weeks = [days[i : i + 7] for i in range(0, len(days) - 6, 7)]
    for week in weeks:
        weekend = [per_day[d] for d in week if d.weekday() >= 5]
        weekdays = [per_day[d] for d in week if d.weekday() < 5]
        assert sum(weekend) / len(weekend) < sum(weekdays) / len(weekdays)
    hours = Counter(moment.hour for moment in moments)
    assert hours[3] * 3 < hours[12] and hours[20] > hours[12] * 0.9


# -- the sender, against a real HTTP server ----------------------------------------------------------------


@dataclass
class Capture:
    """A stand-in capture API: fails the first requests as scripted, then accepts and records every batch."""

    script: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    seen: list[tuple[float, int, str]] = field(default_factory=list)  # (arrival, status, first event's uuid)
    encodings: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def capture(self, request: Request) -> JSONResponse:
        raw = await request.body()
        self.encodings.add(request.headers.get("content-encoding", ""))
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        body = json.loads(raw)
        with self.lock:
            status, headers, answer = self.script.pop(0) if self.script else (200, {}, {"status": 1})
            self.seen.append((time.monotonic(), status, body["batch"][0]["uuid"]))
            if status == 200:
                self.accepted.append(body)
        return JSONResponse(answer, status_code=status, headers=headers)

    def events(self) -> list[dict[str, Any]]:
        return [event for body in self.accepted for event in body["batch"]]


@contextmanager
def serving(capture: Capture) -> Iterator[str]:
    app = Starlette(routes=[Route("/capture", capture.capture, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # a free port, held from here on so no one else takes it
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The capture API's refusal body."""
    return {"error": {"code": code, "message": message, "field": field}}


def test_retries_deliver_every_event_exactly_once() -> None:
    events = list(generate_events(2300, 3, seed=11, now=NOW))
    capture = Capture(
        script=[
            (503, {}, error("kafka_unavailable", "events not accepted, retry later")),
            (429, {"Retry-After": "1"}, error("rate_limited", "over the limit")),
        ]
    )
    with serving(capture) as host:
        stats = Sender(host, "phc_test", batch_size=250, concurrency=4, backoff_s=0.01).send(events)
    delivered = capture.events()
    assert Counter(event["uuid"] for event in delivered) == Counter(event["uuid"] for event in events)
    assert sorted(delivered, key=lambda e: e["uuid"]) == sorted(events, key=lambda e: e["uuid"])  # unchanged
    assert (stats.events, stats.batches, stats.retries) == (len(events), 10, 2)
    assert stats.requests == len(capture.seen) == 12
    assert all(body["api_key"] == "phc_test" and ISO.match(body["sent_at"]) for body in capture.accepted)
    assert capture.encodings == {"gzip"}
    # The batch refused with 429 came back no sooner than Retry-After said.
    (refused_at, _, batch) = next(seen for seen in capture.seen if seen[1] == 429)
    retried_at = next(at for at, status, first in capture.seen if first == batch and status == 200)
    assert retried_at - refused_at >= 0.95


def test_a_refused_batch_stops_the_run_with_the_apis_reason() -> None:
    events = list(generate_events(2000, 2, seed=12, now=NOW))
    capture = Capture(script=[(400, {}, error("invalid", "is not an ISO 8601 time", "batch[3].timestamp"))])
    with serving(capture) as host, pytest.raises(CaptureRefusedError) as refused:
        Sender(host, "phc_test", batch_size=100, concurrency=2, backoff_s=0.01).send(events)
    assert str(refused.value) == (
        "capture refused a batch: HTTP 400 invalid: is not an ISO 8601 time (field batch[3].timestamp)"
    )
    assert refused.value.field == "batch[3].timestamp"
    refused_batch = next(first for _, status, first in capture.seen if status == 400)
    assert [first for _, _, first in capture.seen].count(refused_batch) == 1  # never retried
    assert len(capture.seen) < 2000 / 100  # and the run stopped


def test_a_capture_api_that_keeps_failing_gives_up_after_the_last_attempt() -> None:
    capture = Capture(script=[(500, {}, error("internal", "boom"))] * 3)
    events = list(generate_events(50, 1, seed=13, now=NOW))
    with serving(capture) as host, pytest.raises(CaptureUnavailableError, match="after 3 attempts: HTTP 500"):
        Sender(host, "phc_test", max_attempts=3, backoff_s=0.01).send(events)
    assert not capture.accepted


def test_no_server_at_all_is_reported_after_the_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        sender = Sender(f"http://127.0.0.1:{port}", "phc_test", max_attempts=2, backoff_s=0.01)
        with pytest.raises(CaptureUnavailableError, match="after 2 attempts: ConnectError"):
            sender.send(generate_events(10, 1, seed=14, now=NOW))


# -- the command --------------------------------------------------------------------------------------------


def test_clickpath_generate_sends_the_traffic(tmp_path: Path) -> None:
    capture = Capture(script=[(503, {}, error("kafka_unavailable", "events not accepted, retry later"))])
    with serving(capture) as host:
        args = ["generate", "--events", "1200", "--days", "2", "--seed", "9", "--host", host]
        result = CliRunner().invoke(clickpath, [*args, "--project-key", "phc_cli", "--batch-size", "100"])
    assert result.exit_code == 0, result.output
    assert 1200 <= len(capture.events()) <= 1400
    assert {body["api_key"] for body in capture.accepted} == {"phc_cli"}
    assert "capture: HTTP 503; retrying in" in result.output
    assert re.search(
        r"[\d,]+ events in \d+ requests \(1 retry\) in [\d.]+s: [\d,]+ events/s \(seed 9, 2 days", result.output
    )


def test_clickpath_generate_reports_a_refusal(tmp_path: Path) -> None:
    capture = Capture(script=[(401, {}, error("invalid_api_key", "unknown project key", "api_key"))])
    with serving(capture) as host:
        args = ["generate", "--events", "100", "--days", "1", "--host", host, "--project-key", "phc_wrong"]
        result = CliRunner().invoke(clickpath, args)
    assert result.exit_code == 1
    assert "HTTP 401 invalid_api_key: unknown project key (field api_key)" in result.output


def test_the_demo_projects_key_comes_from_demo_json(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert demo_project_key(settings) is None
    (tmp_path / "demo.json").write_text(
        json.dumps({"services": {}, "demo": {"project_api_key": "phc_demo", "email": "demo@clickpath.dev"}})
    )
    assert demo_project_key(settings) == "phc_demo"
    (tmp_path / "demo.json").write_text("not json")
    assert demo_project_key(settings) is None
