"""The SDKs other products ship deliver to Clickpath with nothing changed but their host (docs/INGESTION.md).

Each test drives one real SDK — configured with the capture URL and the project key only, plus gzip where the
SDK offers it — against the session's stack, then reads the rows back from ClickHouse and checks every field:
event name, distinct_id, properties, person updates, uuid (the SDK's own, or the UUIDv5 of a Segment messageId
that is no UUID), timestamp, and exactly one row per call. The SDKs count only an exact 200 as success and
retry anything else, so a wrong status shows up as a duplicate row or an SDK error.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import posthog
import posthog.request
import pytest
import requests
import rudderstack.analytics.client
import rudderstack.analytics.request
import segment.analytics.client
import segment.analytics.request

from ingest.segment import MESSAGE_ID_NAMESPACE
from tests.support.ingest import Pipeline, Project

pytestmark = pytest.mark.integration

CLOCK_SLACK = timedelta(seconds=2)  # one machine, one clock: only transit and the consumer's batching differ
LATE_DUPLICATE_WAIT_S = 2.0
NODE_TIMEOUT_S = 120


# --- what the test expects, and how it checks the rows -------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One row: these exact fields, and at least these properties."""

    event: str
    distinct_id: str
    uuid: str
    properties: dict[str, Any] = field(default_factory=dict)
    person: dict[str, Any] | None = None  # properties.$set, exactly
    person_once: dict[str, Any] = field(default_factory=dict)  # at least these in properties.$set_once


@dataclass(frozen=True)
class Calls:
    """The ids and properties every SDK sends, made unique by the run id."""

    run: str

    @property
    def user(self) -> str:
        return f"user-{self.run}"

    @property
    def alias(self) -> str:
        return f"alias-{self.run}"

    @property
    def group(self) -> str:
        return f"acme-{self.run}"

    @property
    def order(self) -> dict[str, Any]:
        return {"run": self.run, "plan": "pro", "amount": 42}

    @property
    def traits(self) -> dict[str, Any]:
        return {"email": f"{self.run}@example.com", "plan": "pro"}

    @property
    def traits_once(self) -> dict[str, Any]:
        return {"first_run": self.run}


def assert_delivered(
    pipeline: Pipeline, project: Project, expected: list[Expected], sent_between: tuple[datetime, datetime]
) -> None:
    rows = pipeline.events(project.id, len(expected))
    late = pipeline.events(project.id, len(expected) + 1, timeout_s=LATE_DUPLICATE_WAIT_S)
    summary = [(row["event"], row["distinct_id"], str(row["uuid"])) for row in late]
    assert len(rows) == len(late) == len(expected), f"expected {len(expected)} rows, got {summary}"
    by_uuid = {str(row["uuid"]): row for row in rows}
    assert sorted(by_uuid) == sorted(e.uuid for e in expected), f"uuids differ: {summary}"
    problems = [problem for e in expected for problem in _compare(e, by_uuid[e.uuid], sent_between)]
    assert not problems, "\n".join(problems)


def _compare(expected: Expected, row: dict[str, Any], sent_between: tuple[datetime, datetime]) -> Iterator[str]:
    name = f"{expected.event} {expected.uuid}"
    properties = json.loads(row["properties"])
    if row["event"] != expected.event:
        yield f"{name}: event {row['event']!r}"
    if row["distinct_id"] != expected.distinct_id:
        yield f"{name}: distinct_id {row['distinct_id']!r}, expected {expected.distinct_id!r}"
    for key, value in expected.properties.items():
        if properties.get(key) != value:
            yield f"{name}: properties.{key} = {properties.get(key)!r}, expected {value!r}"
    if expected.person is not None and properties.get("$set") != expected.person:
        yield f"{name}: properties.$set = {properties.get('$set')!r}, expected {expected.person!r}"
    set_once = properties.get("$set_once", {})
    if any(set_once.get(key) != value for key, value in expected.person_once.items()):
        yield f"{name}: properties.$set_once = {set_once!r}, expected at least {expected.person_once!r}"
    timestamp = _utc(row["timestamp"])
    if not sent_between[0] - CLOCK_SLACK <= timestamp <= sent_between[1] + CLOCK_SLACK:
        yield f"{name}: timestamp {timestamp} outside the send window {sent_between}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


# --- the Python SDKs: their HTTP exchanges seen through their own requests session -----------------------------


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    content_encoding: str | None
    auth_scheme: str  # "Basic", "Bearer" or "" — never the credentials themselves
    body_write_key: bool


@contextmanager
def recorded(session: requests.Session) -> Iterator[list[Exchange]]:
    """Every response the SDK's session got (retries included), with what its request carried.

    The Python SDKs post through one module-level requests session; a response hook on it sees the real
    exchanges without changing how the SDK is configured.
    """
    exchanges: list[Exchange] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        exchanges.append(
            Exchange(
                method=request.method or "",
                path=urlsplit(request.url).path,
                status=response.status_code,
                content_encoding=request.headers.get("Content-Encoding"),
                auth_scheme=request.headers.get("Authorization", "").split(" ")[0],
                body_write_key=b'"writeKey"' in _plain_body(request.body),
            )
        )

    session.hooks["response"].append(hook)
    try:
        yield exchanges
    finally:
        session.hooks["response"].remove(hook)


def _plain_body(body: Any) -> bytes:
    data = body.encode() if isinstance(body, str) else (body or b"")
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


class Errors(list[str]):
    """An on_error callback that remembers what the SDK reported."""

    def __call__(self, error: Exception, batch: Any) -> None:
        self.append(f"{error!r} for {len(batch or [])} events")


def test_posthog_python(pipeline: Pipeline, project: Project, run: str) -> None:
    calls, errors = Calls(run), Errors()
    started = _now()
    with recorded(posthog.request._session) as exchanges:
        client = posthog.Posthog(project.key, host=pipeline.capture_url, gzip=True, on_error=errors)
        uuids = {
            "compat order": client.capture("compat order", distinct_id=calls.user, properties=calls.order),
            "$set": client.set(distinct_id=calls.user, properties=calls.traits),
            "$set_once": client.set_once(distinct_id=calls.user, properties=calls.traits_once),
            "$create_alias": client.alias(calls.user, calls.alias),
            "$groupidentify": client.group_identify("company", calls.group, {"name": "Acme"}, distinct_id=calls.user),
        }
        client.shutdown()
    finished = _now()

    assert errors == []
    assert exchanges and all(e == Exchange("POST", "/batch/", 200, "gzip", "", False) for e in exchanges), exchanges
    lib = {"$lib": "posthog-python", "$lib_version": posthog.VERSION}
    assert_delivered(pipeline, project, _posthog_expected(calls, uuids, lib), (started, finished))


def _posthog_expected(calls: Calls, uuids: dict[str, Any], lib: dict[str, str]) -> list[Expected]:
    """Every PostHog server SDK's calls: a capture, person updates ($set and $set_once), an alias and a group.

    posthog-node sends both person updates in one $identify; posthog-python 7 has no identify(), so set() and
    set_once() send a $set and a $set_once event.
    """
    if "$identify" in uuids:
        person = [Expected("$identify", calls.user, uuids["$identify"], lib, calls.traits, calls.traits_once)]
    else:
        person = [
            Expected("$set", calls.user, str(uuids["$set"]), lib, person=calls.traits),
            Expected("$set_once", calls.user, str(uuids["$set_once"]), lib, person_once=calls.traits_once),
        ]
    return [
        Expected("compat order", calls.user, str(uuids["compat order"]), {**calls.order, **lib}),
        *person,
        Expected("$create_alias", calls.user, str(uuids["$create_alias"]), {"alias": calls.alias, **lib}),
        Expected(
            "$groupidentify",
            calls.user,
            str(uuids["$groupidentify"]),
            {"$group_type": "company", "$group_key": calls.group, "$group_set": {"name": "Acme"}, **lib},
        ),
    ]


@dataclass(frozen=True)
class SegmentPython:
    """segment-analytics-python and its fork rudder-sdk-python: same calls, different auth, body and gzip."""

    name: str
    client: Callable[..., Any]
    session: requests.Session
    options: dict[str, Any]
    library: tuple[str, str]
    wire: tuple[str | None, str, bool]  # content encoding, auth scheme, writeKey in the body (2.4 sends both)


SEGMENT_PYTHON = [
    SegmentPython(
        "segment",
        segment.analytics.client.Client,
        segment.analytics.request._session,
        {},
        ("analytics-python", version("segment-analytics-python")),
        (None, "Basic", True),
    ),
    SegmentPython(
        "segment-gzip",
        segment.analytics.client.Client,
        segment.analytics.request._session,
        {"gzip": True},
        ("analytics-python", version("segment-analytics-python")),
        ("gzip", "Basic", True),
    ),
    SegmentPython(  # gzip and HTTP Basic are rudder's defaults
        "rudder",
        rudderstack.analytics.client.Client,
        rudderstack.analytics.request._session,
        {},
        ("analytics-python", version("rudder-sdk-python")),
        ("gzip", "Basic", False),
    ),
]


@pytest.mark.parametrize("sdk", SEGMENT_PYTHON, ids=lambda sdk: sdk.name)
def test_segment_python_sdks(pipeline: Pipeline, project: Project, run: str, sdk: SegmentPython) -> None:
    calls, errors = Calls(run), Errors()
    started = _now()
    with recorded(sdk.session) as exchanges:
        client = sdk.client(project.key, host=pipeline.capture_url, on_error=errors, **sdk.options)
        results = [
            client.track(calls.user, "compat order", calls.order),
            client.identify(calls.user, calls.traits),
            client.page(calls.user, "Docs", "Pricing", {"run": run, "url": "https://shop.example/pricing"}),
            client.screen(calls.user, None, "Checkout", {"run": run}),
            client.group(calls.user, calls.group, {"name": "Acme"}),
            client.alias(calls.user, calls.alias),
        ]
        client.shutdown()
    finished = _now()

    assert errors == []
    assert all(queued for queued, _ in results), results
    wire = Exchange("POST", "/v1/batch", 200, *sdk.wire)
    assert exchanges and all(e == wire for e in exchanges), exchanges
    messages = [message for _, message in results]
    assert all(_is_uuid(m["messageId"]) for m in messages)  # so the row's uuid is the messageId itself
    expected = _segment_expected(calls, messages, sdk.library)
    assert_delivered(pipeline, project, expected, (started, finished))


def _segment_expected(calls: Calls, messages: list[dict[str, Any]], library: tuple[str, str]) -> list[Expected]:
    """The Segment mapping (PROTOCOLS.md §8): page → $pageview, screen → $screen, group's type 'organization'."""
    uuids = {m["type"]: _segment_uuid(m["messageId"]) for m in messages}
    lib = {"$lib": library[0], "$lib_version": library[1]}
    page = {"run": calls.run, "url": "https://shop.example/pricing", "name": "Pricing", "category": "Docs"}
    group = {"$group_type": "organization", "$group_key": calls.group, "$group_set": {"name": "Acme"}}
    return [
        Expected("compat order", calls.user, uuids["track"], {**calls.order, **lib}),
        Expected("$identify", calls.user, uuids["identify"], lib, person=calls.traits),
        Expected(
            "$pageview",
            calls.user,
            uuids["page"],
            {**page, "$current_url": "https://shop.example/pricing", "$pathname": "/pricing", **lib},
        ),
        Expected("$screen", calls.user, uuids["screen"], {"run": calls.run, "$screen_name": "Checkout", **lib}),
        Expected("$groupidentify", calls.user, uuids["group"], {**group, **lib}),
        Expected("$create_alias", calls.user, uuids["alias"], {"alias": calls.alias, **lib}),
    ]


def _segment_uuid(message_id: str) -> str:
    """The documented rule: a messageId that is a UUID is the uuid; any other is hashed into a UUIDv5."""
    return str(uuid.UUID(message_id)) if _is_uuid(message_id) else str(uuid.uuid5(MESSAGE_ID_NAMESPACE, message_id))


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# --- the JavaScript SDKs: scripts in tests/compat, run by node -------------------------------------------------


def node(compat: Path, script: str, *args: str) -> dict[str, Any]:
    """Run a tests/compat script; its report is the last line it printed, and exit 0 means no SDK error."""
    result = subprocess.run(["node", script, *args], cwd=compat, capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, f"{script} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    report: dict[str, Any] = json.loads(lines[-1])
    assert report["errors"] == []
    return report


def _package_version(compat: Path, package: str) -> str:
    return json.loads((compat / "node_modules" / package / "package.json").read_text())["version"]


def test_posthog_node(pipeline: Pipeline, project: Project, run: str, compat_deps: Path) -> None:
    calls = Calls(run)
    started = _now()
    report = node(compat_deps, "posthog-node.mjs", pipeline.capture_url, project.key, run)
    finished = _now()

    uuids = {message["event"]: message["uuid"] for message in report["sent"]}
    assert len(uuids) == len(report["sent"]) == 4, report["sent"]
    lib = {"$lib": "posthog-node", "$lib_version": _package_version(compat_deps, "posthog-node")}
    assert_delivered(pipeline, project, _posthog_expected(calls, uuids, lib), (started, finished))


def test_segment_node(pipeline: Pipeline, project: Project, run: str, compat_deps: Path) -> None:
    calls = Calls(run)
    started = _now()
    report = node(compat_deps, "segment-node.mjs", pipeline.capture_url, project.key, run)
    finished = _now()

    batch_url = pipeline.capture_url + "/v1/batch"
    sends = [r for r in report["requests"] if "method" in r]
    answers = [r for r in report["requests"] if "status" in r]
    assert sends and all(
        r == {"url": batch_url, "method": "POST", "authorization": "Basic", "retry": None} for r in sends
    )
    assert answers == [{"url": batch_url, "status": 200}] * len(sends)
    messages = report["sent"]
    assert len(messages) == 6
    assert not any(_is_uuid(m["messageId"]) for m in messages)  # node-next-…: the UUIDv5 path
    library = ("@segment/analytics-node", _package_version(compat_deps, "@segment/analytics-node"))
    assert_delivered(pipeline, project, _segment_expected(calls, messages, library), (started, finished))


def test_posthog_js(pipeline: Pipeline, project: Project, run: str, compat_deps: Path, page_origin: str) -> None:
    calls = Calls(run)
    started = _now()
    report = node(compat_deps, "posthog-js.mjs", pipeline.capture_url, project.key, run, page_origin)
    finished = _now()

    _assert_browser_wire(report["requests"], project.key)
    sent = report["sent"]
    on_wire = [event["uuid"] for r in report["requests"] for event in r["events"]]
    assert sorted(on_wire) == sorted(event["uuid"] for event in sent), "each queued event sent exactly once"
    expected = _posthog_js_expected(calls, sent, report["pageUrl"], _package_version(compat_deps, "posthog-js"))
    assert_delivered(pipeline, project, expected, (started, finished))
    _assert_browser_properties(pipeline, project)


def _assert_browser_wire(requests_seen: list[dict[str, Any]], key: str) -> None:
    """Gzip bodies on /e/ answered 200, and remote config (or flags) answered 200 too."""
    captures = [r for r in requests_seen if r["path"].split("?")[0] == "/e/"]
    assert captures and all(r["method"] == "POST" and r["status"] == 200 for r in captures), requests_seen
    assert all(r["gzip"] and r["contentType"] == "text/plain" for r in captures), captures
    config = [
        r for r in requests_seen if r["path"].split("?")[0] in (f"/array/{key}/config", f"/array/{key}/config.js")
    ]
    flags = [r for r in requests_seen if r["path"].startswith("/flags")]
    assert any(r["status"] == 200 for r in config + flags), requests_seen
    assert all(r["status"] == 200 for r in requests_seen), requests_seen


def _posthog_js_expected(calls: Calls, sent: list[dict[str, Any]], page_url: str, lib_version: str) -> list[Expected]:
    by_event = {event["event"]: event for event in sent}
    assert sorted(by_event) == sorted(["$pageview", "compat order", "$identify", "$groupidentify", "$create_alias"]), [
        e["event"] for e in sent
    ]
    anonymous = by_event["compat order"]["properties"]["distinct_id"]
    lib = {"$lib": "web", "$lib_version": lib_version, "$current_url": page_url}
    group = {"$group_type": "company", "$group_key": calls.group, "$group_set": {"name": "Acme"}}
    pageview_id = by_event["$pageview"]["properties"]["distinct_id"]  # anonymous or identified: timing decides
    assert pageview_id in (anonymous, calls.user)
    return [
        Expected("$pageview", pageview_id, by_event["$pageview"]["uuid"], lib),
        Expected("compat order", anonymous, by_event["compat order"]["uuid"], {**calls.order, **lib}),
        Expected(
            "$identify",
            calls.user,
            by_event["$identify"]["uuid"],
            {"$anon_distinct_id": anonymous, **lib},
            person=calls.traits,
            person_once=calls.traits_once,
        ),
        Expected("$groupidentify", calls.user, by_event["$groupidentify"]["uuid"], {**group, **lib}),
        Expected("$create_alias", calls.user, by_event["$create_alias"]["uuid"], {"alias": calls.alias, **lib}),
    ]


def _assert_browser_properties(pipeline: Pipeline, project: Project) -> None:
    """What a browser adds: $browser and $os from posthog-js itself, no write key left in the properties."""
    for row in pipeline.events(project.id, 0):
        properties = json.loads(row["properties"])
        assert properties.get("$browser") and properties.get("$os"), properties
        assert "token" not in properties
