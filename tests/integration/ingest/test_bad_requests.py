"""Bad requests to the capture API on the test stack: each refused whole, with a 4xx that says what is wrong.

Every case expects one status and an error body naming the field and the problem: ``{"error": {"code",
"message", "field"}}`` on Clickpath's and PostHog's routes, ``{"code", "message", "field"}`` at the top on
Segment's (/v1/*), where the Segment and RudderStack SDKs read them. The limits are the defaults the test
stack runs with (20 MiB a request once decompressed, 1 MiB an event, 5000 events a request).

"Accepted whole or refused whole" is checked against ClickHouse: a batch of good events with one bad one
is refused, and none of the good ones is ever stored (waited for behind a later event of the same
partition, then until the consumer has stored or committed everything the topic holds). At the end, nothing
any refused request of this module carried is in ClickHouse.
"""

from __future__ import annotations

import base64
import gzip
import re
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from api import accounts, db
from infra.settings import Settings
from tests.support.ingest import WAIT_S, Pipeline, Project, consumed

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
DEFAULTS = Settings.model_construct()  # the declared defaults, without reading the environment
MAX_REQUEST = DEFAULTS.capture_max_request_bytes
MAX_EVENT = DEFAULTS.capture_max_event_bytes
MAX_EVENTS = DEFAULTS.capture_max_batch_events
REFUSED = "refused"  # every distinct_id a refused request carries starts so; none may ever be stored
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
AT_THE_LIMIT = "at the limit"  # the one event name this module's project may hold, besides sentinels


# --- what is sent and what must come back ---------------------------------------------------------------------

Body = Callable[[str], bytes]  # the project key → the request body (bodies are built only when sent)


@dataclass(frozen=True)
class Bad:
    """One bad request and the refusal it must get."""

    body: Body
    status: int
    field: str
    problem: str
    """A piece of the message that says what is wrong."""
    path: str = "/batch/"
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    method: str = "POST"


def good(number: int = 0, **fields: Any) -> dict[str, Any]:
    return {"event": "refused", "distinct_id": f"{REFUSED}-{number}", **fields}


def without(name: str) -> dict[str, Any]:
    event = good()
    del event[name]
    return event


def batch(*events: Any, **wrapper: Any) -> Body:
    """PostHog's {api_key, batch} with the project's key."""
    return lambda key: expanded(orjson.dumps({"api_key": key, "batch": list(events), **wrapper}))


def single(event: dict[str, Any]) -> Body:
    """One event, not in a batch: errors name its fields without an index."""
    return lambda key: expanded(orjson.dumps({**event, "api_key": key}))


def segment(*messages: Any) -> Body:
    return lambda key: expanded(orjson.dumps({"writeKey": key, "batch": list(messages)}))


def track(number: int = 0, **fields: Any) -> dict[str, Any]:
    return {"type": "track", "event": "refused", "userId": f"{REFUSED}-{number}", **fields}


def text(data: bytes) -> Body:
    return lambda key: data


def gzipped(body: Body) -> Body:
    return lambda key: gzip.compress(body(key), compresslevel=1)


def padded(size: int, number: int = 0) -> dict[str, Any]:
    """An event whose properties alone take `size` bytes (compresses to almost nothing), once sent."""
    return good(number, properties={"pad": pad(size)})


def pad(size: int) -> str:
    """A stand-in for `size` spaces, expanded only as the body is built (the corpus holds no 20 MiB strings)."""
    return f"<pad {size}>"


def expanded(body: bytes) -> bytes:
    return re.sub(rb'"<pad (\d+)>"', lambda match: b'"' + b" " * int(match[1]) + b'"', body)


# --- the corpus ---------------------------------------------------------------------------------------------

NOT_JSON: dict[str, Bad] = {
    "truncated JSON": Bad(text(b'{"api_key": "phc_x", "batch": [{"event": '), 400, "body", "not valid JSON"),
    "garbage after the JSON": Bad(lambda key: orjson.dumps(good(api_key=key)) + b" and more", 400, "body", "JSON"),
    "single quotes": Bad(text(b"{'event': 'x'}"), 400, "body", "not valid JSON"),
    "a NaN": Bad(
        lambda key: b'{"event": "x", "distinct_id": NaN, "api_key": "%s"}' % key.encode(), 400, "body", "JSON"
    ),
    "whitespace only": Bad(text(b"   \n"), 400, "body", "not valid JSON"),
    "empty body": Bad(text(b""), 400, "body", "empty request body"),
    "empty body on a GET": Bad(text(b""), 400, "body", "empty request body", path="/e/", method="GET"),
    "bad JSON in ?data= on a GET": Bad(text(b""), 400, "body", "JSON", path="/e/", method="GET", query={"data": "{"}),
    # four letters also read as base64, so `null` is refused as base64 of no JSON; with a space it is JSON
    "null": Bad(text(b"null"), 400, "body", "not valid JSON"),
    "null, spaced": Bad(text(b" null"), 400, "body", "a JSON object or array is expected"),
    "a number": Bad(text(b"42"), 400, "body", "a JSON object or array is expected"),
    "a string": Bad(text(b'"event"'), 400, "body", "a JSON object or array is expected"),
    "invalid UTF-8 in a string": Bad(
        lambda key: b'{"api_key": "%s", "batch": [{"event": "\xff\xfe", "distinct_id": "x"}]}' % key.encode(),
        400,
        "body",
        "UTF-8",
    ),
    "overlong UTF-8": Bad(
        lambda key: b'{"api_key": "%s", "event": "\xc0\xaf", "distinct_id": "x"}' % key.encode(), 400, "body", "UTF-8"
    ),
    "a lone surrogate escape": Bad(
        lambda key: b'{"api_key": "%s", "event": "\\ud800", "distinct_id": "x"}' % key.encode(), 400, "body", "JSON"
    ),
    "Latin-1 text": Bad(
        lambda key: b'{"api_key": "%s", "event": "caf\xe9", "distinct_id": "x"}' % key.encode(),
        400,
        "body",
        "UTF-8",
    ),
    "nested 100,000 deep": Bad(text(b"[" * 100_000 + b"]" * 100_000), 400, "body", "depth"),
    "properties nested 2,000 deep": Bad(
        lambda key: orjson.dumps({"api_key": key, "batch": [good(properties={"a": 1})]}).replace(
            b'{"a":1}', b'{"a":' * 2000 + b"1" + b"}" * 2000
        ),
        400,
        "body",
        "depth",
    ),
}

ENCODINGS: dict[str, Bad] = {
    "announced gzip that is plain JSON": Bad(
        batch(good()), 400, "body", "not valid gzip", headers={"Content-Encoding": "gzip"}
    ),
    "announced gzip, truncated": Bad(
        lambda key: gzipped(batch(good()))(key)[:-12], 400, "body", "truncated", headers={"Content-Encoding": "gzip"}
    ),
    "unannounced gzip, truncated": Bad(lambda key: gzipped(batch(good()))(key)[:-12], 400, "body", "truncated"),
    "the gzip magic, then garbage": Bad(text(b"\x1f\x8b" + b"\x00garbage" * 10), 400, "body", "not valid gzip"),
    "gzip-js hint on plain JSON": Bad(batch(good()), 400, "body", "not valid gzip", query={"compression": "gzip-js"}),
    "announced deflate that is not": Bad(
        batch(good()), 400, "body", "not valid deflate", headers={"Content-Encoding": "deflate"}
    ),
    "gzip of invalid JSON": Bad(gzipped(text(b'{"event": ')), 400, "body", "not valid JSON"),
    "base64 hint, bad padding": Bad(text(b"abcde"), 400, "body", "not valid base64", query={"compression": "base64"}),
    "base64 form data, bad padding": Bad(text(b"data=abcde"), 400, "body", "not valid base64", headers=FORM),
    "base64 of invalid JSON": Bad(
        text(b"data=" + base64.b64encode(b'{"event": ')), 400, "body", "not valid JSON", headers=FORM
    ),
    "form without data": Bad(text(b"compression=lz64&ver=1.0"), 400, "data", "without a data field", headers=FORM),
    "form data, a euro sign": Bad(text(b"data=%E2%82%AC"), 400, "body", "not valid JSON", headers=FORM),
    "lz64 form, not LZ-String": Bad(
        text(b"data=!!!notlz&compression=lz64"), 400, "body", "not valid LZ-String", headers=FORM
    ),
    "lz64 hint, truncated stream": Bad(text(b"AAAAA"), 400, "body", "LZ-String", query={"compression": "lz64"}),
    "lz64 hint, garbage": Bad(text(b"zzzz"), 400, "body", "LZ-String", query={"compression": "lz64"}),
    "lz64 hint, no output": Bad(text(b"abc"), 400, "body", "LZ-String", query={"compression": "lz64"}),
    "lz64 hint, bytes beyond base64": Bad(text("€ñ".encode()), 400, "body", "LZ-String", query={"compression": "lz64"}),
    "Content-Encoding br": Bad(
        batch(good()), 415, "Content-Encoding", "not supported", headers={"Content-Encoding": "br"}
    ),
    "Content-Encoding zstd": Bad(
        batch(good()), 415, "Content-Encoding", "not supported", headers={"Content-Encoding": "zstd"}
    ),
    "Content-Encoding compress": Bad(
        batch(good()), 415, "Content-Encoding", "not supported", headers={"Content-Encoding": "compress"}
    ),
    "two Content-Encodings": Bad(
        gzipped(batch(good())), 415, "Content-Encoding", "not supported", headers={"Content-Encoding": "gzip, br"}
    ),
}

TOO_LARGE = "larger than"
SIZES: dict[str, Bad] = {
    "a body over the limit": Bad(batch(padded(MAX_REQUEST)), 413, "body", "at most"),
    "announced gzip bomb": Bad(
        gzipped(batch(padded(MAX_REQUEST))), 413, "body", TOO_LARGE, headers={"Content-Encoding": "gzip"}
    ),
    "unannounced gzip bomb": Bad(gzipped(batch(padded(MAX_REQUEST))), 413, "body", TOO_LARGE),
    "gzip-js bomb": Bad(gzipped(batch(padded(MAX_REQUEST))), 413, "body", TOO_LARGE, query={"compression": "gzip-js"}),
    "deflate bomb": Bad(
        lambda key: zlib.compress(batch(padded(MAX_REQUEST))(key)),
        413,
        "body",
        TOO_LARGE,
        headers={"Content-Encoding": "deflate"},
    ),
    "gzip bomb inside gzip": Bad(
        gzipped(gzipped(batch(padded(MAX_REQUEST)))), 413, "body", TOO_LARGE, headers={"Content-Encoding": "gzip"}
    ),
    "Segment gzip bomb": Bad(
        gzipped(segment(track(properties={"pad": pad(MAX_REQUEST)}))),
        413,
        "body",
        TOO_LARGE,
        path="/v1/batch",
        headers={"Content-Encoding": "gzip"},
    ),
    "one event too many": Bad(batch(*[good()] * (MAX_EVENTS + 1)), 413, "batch", f"at most {MAX_EVENTS}"),
    "one event too many, Segment": Bad(
        segment(*[track()] * (MAX_EVENTS + 1)), 413, "batch", f"at most {MAX_EVENTS}", path="/v1/batch"
    ),
    "an oversized event in a batch": Bad(batch(good(), padded(MAX_EVENT)), 413, "batch[1]", f"at most {MAX_EVENT}"),
    "an oversized single event": Bad(single(padded(MAX_EVENT)), 413, "body", f"at most {MAX_EVENT}", path="/e/"),
    "an oversized gzipped event": Bad(
        gzipped(batch(padded(MAX_EVENT))), 413, "batch[0]", f"at most {MAX_EVENT}", headers={"Content-Encoding": "gzip"}
    ),
}

# (the bad event, the field named, the problem) — each sent in a batch after a good event, as batch[1]
WRONG_EVENTS: dict[str, tuple[dict[str, Any], str, str]] = {
    "event a number":             (good(event=5), "event", "must be string"),
    "event null":                 (good(event=None), "event", "must be string"),
    "event a list":               (good(event=["x"]), "event", "must be string"),
    "event an object":            (good(event={"name": "x"}), "event", "must be string"),
    "event a boolean":            (good(event=True), "event", "must be string"),
    "event empty":                (good(event=""), "event", "longer than or equal to 1"),
    "event 201 characters":       (good(event="e" * 201), "event", "shorter than or equal to 200"),
    "event missing":              (without("event"), "event", "is required"),
    "distinct_id a list":         (good(distinct_id=["x"]), "distinct_id", "must be string"),
    "distinct_id an object":      (good(distinct_id={"id": 1}), "distinct_id", "must be string"),
    "distinct_id a boolean":      (good(distinct_id=False), "distinct_id", "must be string"),
    "distinct_id empty":          (good(distinct_id=""), "distinct_id", "longer than or equal to 1"),
    "distinct_id blank":          (good(distinct_id="   "), "distinct_id", "longer than or equal to 1"),
    "distinct_id 201 characters": (good(distinct_id="d" * 201), "distinct_id", "shorter than or equal to 200"),
    "distinct_id null":           (good(distinct_id=None), "distinct_id", "is required"),
    "distinct_id missing":        (without("distinct_id"), "distinct_id", "is required"),
    "nothing at all":             ({}, "event", "is required"),
    "properties a string":        (good(properties="x"), "properties", "must be object"),
    "properties a list":          (good(properties=[1]), "properties", "must be object"),
    "properties a number":        (good(properties=5), "properties", "must be object"),
    "properties null":            (good(properties=None), "properties", "must be object"),
    "timestamp not a time":       (good(timestamp="half past nine"), "timestamp", "not an ISO 8601 time"),
    "timestamp too short":        (good(timestamp="yesterday"), "timestamp", "longer than or equal to 10"),
    "timestamp February 30th":    (good(timestamp="2026-02-30T00:00:00Z"), "timestamp", "not an ISO 8601 time"),
    "timestamp offset +25:00":    (good(timestamp="2026-01-01T00:00:00+25:00"), "timestamp", "not an ISO 8601"),
    "timestamp a boolean":        (good(timestamp=True), "timestamp", "must be string or integer"),
    "timestamp a list":           (good(timestamp=[2026]), "timestamp", "must be string or integer"),
    "timestamp an object":        (good(timestamp={"ms": 1}), "timestamp", "must be string or integer"),
    "timestamp a fraction":       (good(timestamp=1.5), "timestamp", "must be string or integer"),
    "timestamp negative":         (good(timestamp=-1), "timestamp", "bigger than or equal to 0"),
    "timestamp after 2299 (ms)":  (good(timestamp=10413792000001), "timestamp", "smaller than or equal to"),
    "timestamp before 1970":      (good(timestamp="1969-12-31T23:59:59Z"), "timestamp", "outside 1970–2299"),
    "timestamp after 2299":       (good(timestamp="2300-01-01T00:00:00Z"), "timestamp", "outside 1970–2299"),
    "uuid not a uuid":            (good(uuid="not-a-uuid"), "uuid", "must be uuid"),
    "uuid without hyphens":       (good(uuid=uuid.uuid4().hex), "uuid", "must be uuid"),
    "uuid in braces":             (good(uuid=f"{{{uuid.uuid4()}}}"), "uuid", "must be uuid"),
    "uuid with a newline":        (good(uuid=f"{uuid.uuid4()}\n"), "uuid", "must be uuid"),
    "uuid a number":              (good(uuid=5), "uuid", "must be string"),
    "uuid a list":                (good(uuid=[str(uuid.uuid4())]), "uuid", "must be string"),
    "$set a string":              (good(**{"$set": "plan=pro"}), "$set", "must be object"),
    "$set a list":                (good(**{"$set": ["plan"]}), "$set", "must be object"),
    "$set a number":              (good(**{"$set": 1}), "$set", "must be object"),
    "$set_once a string":         (good(**{"$set_once": "x"}), "$set_once", "must be object"),
    "properties.$set a string":   (good(properties={"$set": "x"}), "properties.$set", "must be object"),
    "properties.$set_once a list": (good(properties={"$set_once": []}), "properties.$set_once", "must be object"),
    "offset negative":            (good(offset=-1), "offset", "bigger than or equal to 0"),
    "offset a string":            (good(offset="5"), "offset", "must be integer"),
}  # fmt: skip

SHAPES: dict[str, Bad] = {
    "empty batch": Bad(batch(), 400, "batch", "no events"),
    "empty array": Bad(text(b"[]"), 400, "batch", "no events"),
    "batch a string": Bad(lambda key: orjson.dumps({"api_key": key, "batch": "events"}), 400, "batch", "array"),
    "batch an object": Bad(lambda key: orjson.dumps({"api_key": key, "batch": {"0": good()}}), 400, "batch", "array"),
    "batch null": Bad(lambda key: orjson.dumps({"api_key": key, "batch": None}), 400, "batch", "array"),
    "an event a number": Bad(batch(good(), 5), 400, "batch[1]", "must be a JSON object"),
    "an event a list": Bad(batch(good(), [good()]), 400, "batch[1]", "must be a JSON object"),
    "an event null, in an array": Bad(lambda key: orjson.dumps([good(api_key=key), None]), 400, "batch[1]", "object"),
    "a single event's wrong type": Bad(single(good(distinct_id=["x"])), 400, "distinct_id", "must be string", "/e/"),
    "a single event's bad time": Bad(single(good(timestamp="tomorrow!!")), 400, "timestamp", "not an ISO", "/i/v0/e/"),
    "native: a wrong type": Bad(batch(good(), good(event=5)), 400, "batch[1].event", "must be string", "/capture"),
}

OTHER_KEY = "phc_" + "o" * 43  # a well-formed project key that no project has


def keyed(api_key: Any) -> Body:
    """A good batch under the given key instead of the project's."""
    return text(orjson.dumps({"api_key": api_key, "batch": [good()]}))


KEYS: dict[str, Bad] = {
    "no key": Bad(text(orjson.dumps({"batch": [good()]})), 401, "api_key", "no project key"),
    "no key, native route": Bad(text(orjson.dumps(good())), 401, "api_key", "no project key", path="/capture"),
    "an unknown key": Bad(keyed(OTHER_KEY), 401, "api_key", "unknown"),
    "an unknown Bearer token": Bad(
        text(orjson.dumps(good())), 401, "api_key", "unknown", "/capture", {"Authorization": f"Bearer {OTHER_KEY}"}
    ),
    "a key too long": Bad(keyed("phc_" + "k" * 5000), 401, "api_key", "unknown"),
    "a key of another kind": Bad(keyed("sk_live_123"), 401, "api_key", "unknown"),
    "a key a number": Bad(keyed(12345), 401, "api_key", "no project key"),
    "tokens of two projects in one request": Bad(
        lambda key: orjson.dumps([good(properties={"token": key}), good(1, properties={"token": OTHER_KEY})]),
        401,
        "api_key",
        "different project keys",
    ),
    "token and $token disagree across events": Bad(
        lambda key: orjson.dumps([good(token=key), good(1, **{"$token": OTHER_KEY})]),
        401,
        "api_key",
        "different project keys",
    ),
}


def to_segment(body: Body, status: int, field: str, problem: str, path: str = "/v1/batch", **headers: str) -> Bad:
    return Bad(body, status, field, problem, path, headers)


def segment_body(**document: Any) -> Body:
    return lambda key: orjson.dumps({"writeKey": key, **document})


SEGMENT: dict[str, Bad] = {
    "malformed JSON": to_segment(text(b'{"batch": ['), 400, "body", "not valid JSON"),
    "an array": to_segment(text(b"[]"), 400, "body", "a JSON object is expected"),
    "empty body": to_segment(text(b""), 400, "body", "empty request body"),
    "empty batch": to_segment(segment(), 400, "batch", "no events"),
    "batch a string": to_segment(segment_body(batch="x"), 400, "batch", "array"),
    "a message a string": to_segment(segment(track(), "track"), 400, "batch[1]", "must be a JSON object"),
    "an unknown type": to_segment(segment(track(), track(type="purchase")), 400, "batch[1].type", "not one of"),
    "no type": to_segment(segment(track(), {"event": "x", "userId": "u"}), 400, "batch[1].type", "not one of"),
    "track without event": to_segment(
        segment(track(), {"type": "track", "userId": "u"}), 400, "batch[1].event", "string"
    ),
    "no user": to_segment(
        segment(track(), {"type": "track", "event": "x"}), 400, "batch[1].distinct_id", "is required"
    ),
    "userId an object": to_segment(segment(track(), track(userId={"id": 1})), 400, "batch[1].distinct_id", "string"),
    "properties a string": to_segment(segment(track(), track(properties="x")), 400, "batch[1].properties", "object"),
    "context a list": to_segment(segment(track(), track(context=[])), 400, "batch[1].context", "must be an object"),
    "timestamp not a time": to_segment(
        segment(track(), track(timestamp="half past nine")), 400, "batch[1].timestamp", "not an ISO 8601"
    ),
    "event 201 characters": to_segment(segment(track(event="e" * 201)), 400, "batch[0].event", "shorter than"),
    "single track, event a number": to_segment(
        lambda key: orjson.dumps({**track(event=5), "writeKey": key}), 400, "event", "must be string", "/v1/track"
    ),
    "single identify, traits a list": to_segment(
        segment_body(userId="u", traits=[1]), 400, "traits", "must be an object", "/v1/identify"
    ),
    "no write key": to_segment(text(orjson.dumps({"batch": [track()]})), 401, "api_key", "no project key"),
    "an unknown write key": to_segment(
        text(orjson.dumps({"writeKey": OTHER_KEY, "batch": [track()]})), 401, "api_key", "unknown"
    ),
    "Basic credentials not base64": to_segment(
        text(orjson.dumps({"batch": [track()]})), 401, "Authorization", "Basic", Authorization="Basic !!!"
    ),
    "Basic credentials not UTF-8": to_segment(
        text(orjson.dumps({"batch": [track()]})),
        401,
        "Authorization",
        "Basic",
        Authorization="Basic " + base64.b64encode(b"\xff:").decode(),
    ),
    "Content-Encoding br": to_segment(
        segment(track()), 415, "Content-Encoding", "not supported", **{"Content-Encoding": "br"}
    ),
    "truncated gzip": to_segment(
        lambda key: gzip.compress(segment(track())(key))[:-12], 400, "body", "truncated", **{"Content-Encoding": "gzip"}
    ),
}


# --- fixtures and checks ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(pipeline: Pipeline) -> Project:
    """One project for the whole corpus: the last test checks that none of it was stored there."""
    assert pipeline.settings.capture_max_request_bytes == MAX_REQUEST, "the corpus is built for the default limits"
    assert (pipeline.settings.capture_max_event_bytes, pipeline.settings.capture_max_batch_events) == (
        MAX_EVENT,
        MAX_EVENTS,
    )
    return pipeline.new_project()


@pytest.fixture(scope="module")
def personal_key(pipeline: Pipeline) -> str:
    """A real personal API key (phx_…): it reads the API, and must not write events."""
    name = uuid.uuid4().hex[:10]
    with db.sessions(pipeline.settings)() as session:
        account = accounts.create_account(session, f"refused-{name}@example.com", "password-123", name, name, name)
        credentials = accounts.owner_credentials(session, account.user, account.project, "bad requests")
        session.commit()
    return str(credentials["personal_api_key"])


@pytest.fixture(scope="module")
def client(pipeline: Pipeline) -> Iterator[httpx.Client]:
    # a connection per request: a server error closes its connection, and must not spoil the next case
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=pipeline.capture_url, timeout=60, limits=limits) as http:
        yield http


def send(client: httpx.Client, bad: Bad, key: str) -> httpx.Response:
    return client.request(bad.method, bad.path, content=bad.body(key), headers=bad.headers, params=bad.query)


def assert_refused(response: httpx.Response, status: int, field: str, problem: str, path: str = "") -> None:
    """The status, and the dialect's error shape naming the field and the problem."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    body = response.json()
    if not path.startswith("/v1/"):
        assert set(body) == {"error"}, body
        body = body["error"]
    assert set(body) == {"code", "message", "field"}, body
    assert isinstance(body["code"], str) and body["code"], body
    assert body["field"] == field, body
    assert problem in body["message"], body


def check(client: httpx.Client, bad: Bad, key: str) -> None:
    assert_refused(send(client, bad, key), bad.status, bad.field, bad.problem, bad.path)


# --- the tests ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_a_body_that_is_no_json_document_is_refused(client: httpx.Client, project: Project, bad: Bad) -> None:
    check(client, bad, project.key)


@pytest.mark.parametrize("bad", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_a_badly_encoded_body_is_refused(client: httpx.Client, project: Project, bad: Bad) -> None:
    check(client, bad, project.key)


@pytest.mark.parametrize("bad", SIZES.values(), ids=SIZES.keys())
def test_a_body_event_or_batch_over_the_limit_is_refused(client: httpx.Client, project: Project, bad: Bad) -> None:
    check(client, bad, project.key)


def test_a_chunked_body_over_the_limit_is_refused(client: httpx.Client, project: Project) -> None:
    """No Content-Length to refuse early: the body is counted as it streams in."""
    chunk = b" " * MIB

    def body() -> Iterator[bytes]:
        yield orjson.dumps({"api_key": project.key, "batch": [good()]})[:-2] + b',"pad":"'
        for _ in range(MAX_REQUEST // MIB + 1):
            yield chunk
        yield b'"}'

    assert_refused(client.post("/batch/", content=body()), 413, "body", "over")


def test_the_limits_themselves_are_accepted(client: httpx.Client, project: Project) -> None:
    """The limits are inclusive: exactly as many events as allowed go in (and are not refused as a batch)."""
    events = [{"event": AT_THE_LIMIT, "distinct_id": "accepted"}] * MAX_EVENTS
    response = client.post("/batch/", content=orjson.dumps({"api_key": project.key, "batch": events}))
    assert response.status_code == 200, response.text[:500]


@pytest.mark.parametrize("case", WRONG_EVENTS)
@pytest.mark.parametrize("path", ["/batch/", "/capture"])
def test_a_wrong_field_is_refused_naming_it(client: httpx.Client, project: Project, case: str, path: str) -> None:
    event, name, problem = WRONG_EVENTS[case]
    check(client, Bad(batch(good(), event), 400, f"batch[1].{name}", problem, path), project.key)


@pytest.mark.parametrize("bad", SHAPES.values(), ids=SHAPES.keys())
def test_a_batch_of_the_wrong_shape_is_refused(client: httpx.Client, project: Project, bad: Bad) -> None:
    check(client, bad, project.key)


@pytest.mark.parametrize("bad", KEYS.values(), ids=KEYS.keys())
def test_a_request_without_a_good_project_key_is_refused(client: httpx.Client, project: Project, bad: Bad) -> None:
    check(client, bad, project.key)


@pytest.mark.parametrize("where", ["body", "Bearer"])
def test_a_personal_key_cannot_write_events(client: httpx.Client, personal_key: str, where: str) -> None:
    assert personal_key.startswith("phx_")
    if where == "body":
        response = client.post("/batch/", content=orjson.dumps({"api_key": personal_key, "batch": [good()]}))
    else:
        response = client.post("/capture", json=good(), headers={"Authorization": f"Bearer {personal_key}"})
    assert_refused(response, 401, "api_key", "unknown")


@pytest.mark.parametrize("bad", SEGMENT.values(), ids=SEGMENT.keys())
def test_a_bad_segment_request_is_refused_in_segments_shape(client: httpx.Client, project: Project, bad: Bad) -> None:
    check(client, bad, project.key)


# --- accepted whole or refused whole --------------------------------------------------------------------------

# (route, the body of 5 good events and a bad 6th, from the distinct_id they share and the key; the refusal)
WHOLE: dict[str, tuple[str, Callable[[str, str], bytes], int, str]] = {
    "a wrong type": (
        "/batch/",
        lambda user, key: orjson.dumps({"api_key": key, "batch": [*[good(distinct_id=user)] * 5, good(event=5)]}),
        400,
        "batch[5].event",
    ),
    "an impossible time": (
        "/capture",
        lambda user, key: orjson.dumps(
            {"api_key": key, "batch": [*[good(distinct_id=user)] * 5, good(timestamp="2026-02-30T00:00:00Z")]}
        ),
        400,
        "batch[5].timestamp",
    ),
    "a bad uuid": (
        "/e/",
        lambda user, key: orjson.dumps([*[good(distinct_id=user, token=key)] * 5, good(uuid="nope", token=key)]),
        400,
        "batch[5].uuid",
    ),
    "an oversized event": (
        "/batch/",
        lambda user, key: batch(*[good(distinct_id=user)] * 5, padded(MAX_EVENT))(key),
        413,
        "batch[5]",
    ),
    "another project's token": (
        "/e/",
        lambda user, key: orjson.dumps(
            [*[good(distinct_id=user, token=key)] * 5, good(distinct_id=user, token=OTHER_KEY)]
        ),
        401,
        "api_key",
    ),
    "a bad Segment message": (
        "/v1/batch",
        lambda user, key: orjson.dumps({"writeKey": key, "batch": [*[track(userId=user)] * 5, track(userId=[user])]}),
        400,
        "batch[5].distinct_id",
    ),
}


def stored(pipeline: Pipeline, project: Project, condition: str, **parameters: Any) -> int:
    client = pipeline.clickhouse()
    try:
        query = f"SELECT count() FROM events WHERE project_id = {{project:UInt64}} AND {condition}"
        return int(client.query(query, parameters={"project": project.id, **parameters}).result_rows[0][0])
    finally:
        client.close()


def settle(client: httpx.Client, pipeline: Pipeline, project: Project, user: str) -> None:
    """Send a good event as `user` and wait for it, then for the consumer to settle all the topic holds.

    An event's Kafka key is project:distinct_id, so the sentinel shares the partition of the refused events of
    `user` and lands behind them: had any of them been produced, it would be stored no later than the sentinel.
    """
    sentinel = orjson.dumps({"api_key": project.key, "batch": [{"event": "sentinel", "distinct_id": user}]})
    response = client.post("/batch/", content=sentinel)
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + WAIT_S
    while not stored(pipeline, project, "event = 'sentinel' AND distinct_id = {user:String}", user=user):
        assert time.monotonic() < deadline, f"the sentinel of {user} was not stored within {WAIT_S} s"
        time.sleep(0.2)
    consumed(pipeline.settings)


@pytest.mark.parametrize("case", WHOLE)
def test_a_batch_with_one_bad_event_stores_none_of_it(
    client: httpx.Client, pipeline: Pipeline, project: Project, case: str
) -> None:
    path, body, status, name = WHOLE[case]
    user = f"{REFUSED}-whole-{uuid.uuid4().hex[:8]}"
    assert_refused(client.post(path, content=body(user, project.key)), status, name, "", path)

    settle(client, pipeline, project, user)
    assert stored(pipeline, project, "distinct_id = {user:String} AND event != 'sentinel'", user=user) == 0


def test_nothing_any_refused_request_carried_was_stored(
    client: httpx.Client, pipeline: Pipeline, project: Project
) -> None:
    """Run last: every refusal of this module went to this project; only sentinels and the batch at the limit
    were accepted there."""
    settle(client, pipeline, project, f"{REFUSED}-final-{uuid.uuid4().hex[:8]}")
    leaked = stored(pipeline, project, f"event NOT IN ('sentinel', '{AT_THE_LIMIT}')")
    assert leaked == 0, f"{leaked} event(s) of refused requests were stored"
