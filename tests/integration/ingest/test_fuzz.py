"""Fuzz the capture API over HTTP on the test stack: from its OpenAPI document (schemathesis), then blindly.

The document is the one the service serves at /openapi.json (the first test checks that the in-process
build below is exactly that). Every operation gets generated valid and invalid requests, sent with the
project's key (Bearer for Clickpath's and PostHog's routes, HTTP Basic for Segment's) so they get past
the key check to the decoding and validation behind it. Every answer must not be a server error and must
conform to the document: a documented status code and content type, a body valid against its schema.

The blind fuzz needs no document: seeded random bytes and random JSON, in every encoding the SDKs use,
to every PostHog route. Anything but a 5xx passes, and a refusal must be the documented error shape.

Bounded and reproducible: a fixed seed, derandomized Hypothesis, no example database, few examples.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import time
import uuid
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.settings import Settings
from ingest.capture.app import POSTHOG_ROUTES, create_app
from tests.support.fuzz import fuzz_settings
from tests.support.ingest import WAIT_S, Pipeline, Project

pytestmark = pytest.mark.integration

SEED = 20261127
MAX_EXAMPLES = 5  # per operation, on top of the examples and coverage phases
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BLIND_REQUESTS = 300
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# Building the app touches no service (the producer is made on startup), so the document is read at
# collection time; schemathesis' lazy fixture loader fails under pytest 9.2.
DOCUMENT = create_app(Settings()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict({"seed": SEED}))


@pytest.fixture(scope="module")
def fuzzed(pipeline: Pipeline) -> Project:
    """A project of the fuzzer's own: what it manages to store lands there and nowhere else."""
    return pipeline.new_project()


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


def test_the_served_document_is_the_one_fuzzed(pipeline: Pipeline) -> None:
    served = httpx.get(f"{pipeline.capture_url}/openapi.json", timeout=10)
    assert served.status_code == 200, served.text[:300]
    assert served.json() == orjson.loads(orjson.dumps(DOCUMENT))


def credentials(path: str, key: str) -> dict[str, str]:
    """How each dialect's SDKs send the key: Segment's as the HTTP Basic user, the others as a Bearer token."""
    if path.startswith("/v1/"):
        return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@fuzz_settings(MAX_EXAMPLES)
def test_no_server_error_and_answers_match_the_document(
    case: schemathesis.Case, pipeline: Pipeline, fuzzed: Project, session: requests.Session
) -> None:
    headers = {**(case.headers or {}), **credentials(case.path, fuzzed.key)}
    case.call_and_validate(base_url=pipeline.capture_url, session=session, headers=headers, checks=CHECKS)


# --- blind fuzz ----------------------------------------------------------------------------------------------


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, leaning towards what events hold, nested a few levels at most."""
    scalars = [
        None,
        True,
        rng.randint(-(2**63), 2**64 - 1),
        rng.random() * 10 ** rng.randint(-5, 300),
        "",
        "\x00\ud7ff\ue000\U0010ffff",
        "x" * rng.randint(0, 300),
        rng.choice(["$pageview", "$identify", "$set", "distinct_id", "2026-11-27T12:00:00Z", "phc_x"]),
    ]
    if depth >= 4 or rng.random() < 0.4:
        return rng.choice(scalars)
    if rng.random() < 0.5:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    names = ["event", "distinct_id", "properties", "timestamp", "uuid", "$set", "$set_once", "offset", "batch"]
    return {rng.choice([*names, "x"]): random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def random_event(rng: random.Random, key: str) -> dict[str, Any]:
    """Mostly a real event, with one or two fields replaced by anything."""
    event: dict[str, Any] = {"event": "fuzz", "distinct_id": f"blind-{rng.randint(0, 9)}", "api_key": key}
    for _ in range(rng.randint(0, 2)):
        event[rng.choice(["event", "distinct_id", "properties", "timestamp", "uuid", "$set", "offset"])] = random_json(
            rng
        )
    return event


def random_document(rng: random.Random, key: str) -> Any:
    shape = rng.randrange(4)
    if shape == 0:
        return random_json(rng)
    events = [random_event(rng, key) for _ in range(rng.randint(0, 5))]
    if shape == 1:
        return events
    if shape == 2:
        return {"api_key": key, "batch": events}
    return events[0] if events else {}


def random_bytes(rng: random.Random) -> bytes:
    prefix = rng.choice([b"", b"\x1f\x8b", b"\x1f\x8b\x08\x00", b"{", b"[", b"data=", b"\xef\xbb\xbf"])
    return prefix + rng.randbytes(rng.randint(0, 2000))


def encoded(rng: random.Random, body: bytes) -> tuple[bytes, dict[str, str], dict[str, str]]:
    """The body as one of the SDKs' encodings: (content, headers, query)."""
    choice = rng.randrange(7)
    if choice == 1:
        return gzip.compress(body), {"Content-Encoding": "gzip"}, {}
    if choice == 2:
        return gzip.compress(body), {}, {"compression": "gzip-js"}
    if choice == 3:
        return zlib.compress(body), {"Content-Encoding": "deflate"}, {}
    if choice == 4:
        form = b"data=" + base64.b64encode(body) + b"&compression=base64"
        return form, {"Content-Type": "application/x-www-form-urlencoded"}, {}
    if choice == 5:
        return body, {"Content-Type": "application/x-www-form-urlencoded"}, {"compression": "lz64"}
    if choice == 6:
        return body, {"Content-Encoding": rng.choice(["br", "zstd", "gzip, deflate", "identity"])}, {}
    return body, {}, {}


def assert_refusal_shape(response: httpx.Response) -> None:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "field"} <= set(body["error"]), body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body


def test_random_bytes_and_json_get_no_server_error(pipeline: Pipeline, fuzzed: Project) -> None:
    rng = random.Random(SEED)
    paths = [route + rng.choice(["", "/"]) for route in POSTHOG_ROUTES]
    failures: list[str] = []
    # a fresh connection per request: a server error closes the connection, and must not hide the next answer
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=pipeline.capture_url, timeout=30, limits=limits) as client:
        for number in range(BLIND_REQUESTS):
            raw = random_bytes(rng) if number % 3 == 0 else orjson.dumps(random_document(rng, fuzzed.key))
            content, headers, query = encoded(rng, raw)
            path = rng.choice(paths)
            response = client.post(path, content=content, headers=headers, params=query)
            if response.status_code >= 500:
                failures.append(f"#{number} POST {path} {headers} {query} {raw[:120]!r} → {response.status_code}")
            elif response.status_code != 200:
                assert_refusal_shape(response)
    assert not failures, "server errors:\n" + "\n".join(failures)


# Bugs found -------------------------------------------------------------------------------------------------
# By the fuzzing above; each was a 500 (or worse) and stays here as a regression test. The refusals among them
# (lz64 that is no LZ-String, a uuid that is none, a form with characters beyond Latin-1) are in the corpus of
# test_bad_requests.py.


def stored(pipeline: Pipeline, event_uuid: str, timeout_s: float = WAIT_S) -> dict[str, Any]:
    """The row of one event, once the consumer stored it."""
    client = pipeline.clickhouse()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            rows = list(client.query("SELECT * FROM events WHERE uuid = {u:UUID}", {"u": event_uuid}).named_results())
            if rows:
                return rows[0]
            assert time.monotonic() < deadline, f"event {event_uuid} not stored within {timeout_s} s"
            time.sleep(0.2)
    finally:
        client.close()


def test_an_offset_beyond_the_calendar_is_the_earliest_time(pipeline: Pipeline, fuzzed: Project) -> None:
    """Was: {"offset": 10**15} → 500 (OverflowError in now - offset); offsets before 1970 mean 1970."""
    event = {"event": "far offset", "distinct_id": "offset", "offset": 10**15, "uuid": str(uuid.uuid4())}
    response = httpx.post(f"{pipeline.capture_url}/batch/", json={"api_key": fuzzed.key, "batch": [event]}, timeout=30)
    assert response.status_code == 200, response.text
    assert stored(pipeline, event["uuid"])["timestamp"] == datetime(1970, 1, 1)


def test_a_form_with_percent_encoded_utf8_json_keeps_its_text(pipeline: Pipeline, fuzzed: Project) -> None:
    """Was: data=<url-encoded JSON> with € → 500, with é → 400: the form's bytes were decoded as UTF-8, re-encoded
    as Latin-1. Old SDKs send exactly that form."""
    event = {"event": "form €é😀", "distinct_id": "form", "api_key": fuzzed.key, "uuid": str(uuid.uuid4())}
    body = "data=" + quote(json.dumps(event, ensure_ascii=False))
    response = httpx.post(f"{pipeline.capture_url}/e/", content=body, headers=FORM, timeout=30)
    assert response.status_code == 200, response.text
    assert stored(pipeline, event["uuid"])["event"] == "form €é😀"
