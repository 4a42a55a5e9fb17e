"""Events sent in every dialect and encoding arrive in ClickHouse with every field right."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import lzstring
import pytest
from fastapi.testclient import TestClient

from ingest.capture.app import create_app
from ingest.producer import BATCH_LINGER_MS, SINGLE_LINGER_MS
from tests.support.ingest import Pipeline, Project

pytestmark = pytest.mark.integration

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def post(pipeline: Pipeline, path: str, content: bytes | str, **headers: str) -> httpx.Response:
    return httpx.post(pipeline.capture_url + path, content=content, headers=headers, timeout=30)


def by_event(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["event"]: row | {"properties": json.loads(row["properties"])} for row in rows}


def test_native_event_arrives_with_every_field(pipeline: Pipeline, project: Project) -> None:
    client_uuid = str(uuid.uuid4())
    body = {
        "event": "purchase",
        "distinct_id": "user-1",
        "properties": {"amount": 12.5, "$set": {"plan": "free"}},
        "$set": {"plan": "pro"},
        "$set_once": {"first_seen": "2026-01-01"},
        "timestamp": "2026-11-01T10:00:00.250Z",
        "uuid": client_uuid,
    }
    headers = {"Authorization": f"Bearer {project.key}", "Content-Type": "application/json", "User-Agent": CHROME}
    before = datetime.now(UTC)
    response = post(pipeline, "/capture", json.dumps(body), **headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": 1}
    [row] = pipeline.events(project.id, 1)
    properties = json.loads(row["properties"])
    assert str(row["uuid"]) == client_uuid
    assert (row["event"], row["distinct_id"], row["project_id"]) == ("purchase", "user-1", project.id)
    assert row["timestamp"] == datetime(2026, 11, 1, 10, 0, 0, 250000)  # no sent_at: taken as given
    assert before.replace(tzinfo=None) - timedelta(seconds=1) <= row["received_at"] <= datetime.now()
    assert properties["amount"] == 12.5
    assert properties["$set"] == {"plan": "pro"}  # the top level wins over properties.$set
    assert properties["$set_once"] == {"first_seen": "2026-01-01"}
    assert (properties["$browser"], properties["$os"], properties["$device_type"]) == ("Chrome", "Windows", "Desktop")
    assert properties["$ip"] == "127.0.0.1"
    assert row["kafka_topic"] == pipeline.settings.kafka_events_topic


def test_posthog_shapes_and_encodings(pipeline: Pipeline, project: Project) -> None:
    """The four body encodings and three JSON shapes posthog-js, posthog-python and posthog-node send."""

    def event(name: str) -> dict[str, Any]:
        return {"event": name, "properties": {"distinct_id": "anon-1", "token": project.key}}

    array = json.dumps([event("array-gzip")]).encode()
    assert post(pipeline, "/e/", gzip.compress(array), **{"Content-Type": "text/plain"}).status_code == 200
    wrapper = json.dumps({"api_key": project.key, "batch": [event("wrapper-json")], "sent_at": None})
    assert post(pipeline, "/i/v0/e/", wrapper, **{"Content-Type": "application/json"}).status_code == 200
    single = base64.b64encode(json.dumps(event("single-base64")).encode()).decode()
    form = "data=" + quote(single) + "&compression=base64"
    assert (
        post(
            pipeline, "/e/?compression=base64", form, **{"Content-Type": "application/x-www-form-urlencoded"}
        ).status_code
        == 200
    )
    lz = lzstring.LZString().compressToBase64(json.dumps([event("array-lz64")]))
    form = "data=" + quote(lz) + "&compression=lz64"
    assert post(pipeline, "/e", form, **{"Content-Type": "application/x-www-form-urlencoded"}).status_code == 200
    batch = gzip.compress(
        json.dumps({"api_key": project.key, "batch": [{"event": "batch-gzip", "distinct_id": 42}]}).encode()
    )
    assert (
        post(pipeline, "/batch/", batch, **{"Content-Encoding": "gzip", "Content-Type": "application/json"}).status_code
        == 200
    )
    legacy = base64.b64encode(json.dumps(event("get-data")).encode()).decode()
    assert httpx.get(f"{pipeline.capture_url}/capture/", params={"data": legacy}).status_code == 200
    rows = by_event(pipeline.events(project.id, 6))
    assert set(rows) == {"array-gzip", "wrapper-json", "single-base64", "array-lz64", "batch-gzip", "get-data"}
    assert rows["batch-gzip"]["distinct_id"] == "42"  # numbers become text, as PostHog does
    assert all(row["distinct_id"] == "anon-1" for name, row in rows.items() if name != "batch-gzip")
    assert all("token" not in row["properties"] for row in rows.values())


def test_clock_skew_and_offset(pipeline: Pipeline, project: Project) -> None:
    """A client clock 1 h fast: timestamp − sent_at is kept, the absolute error is not."""
    fast = datetime.now(UTC) + timedelta(hours=1)
    batch = [
        {"event": "skewed", "distinct_id": "d", "timestamp": (fast - timedelta(seconds=30)).isoformat()},
        {"event": "offset", "distinct_id": "d", "offset": 60_000},
    ]
    body = json.dumps({"api_key": project.key, "batch": batch, "sent_at": fast.isoformat()})
    assert post(pipeline, "/batch/", body, **{"Content-Type": "application/json"}).status_code == 200
    rows = by_event(pipeline.events(project.id, 2))
    for name, ago in (("skewed", 30), ("offset", 60)):
        row = rows[name]
        assert abs((row["received_at"] - row["timestamp"]).total_seconds() - ago) < 0.5, name


def test_uuid7_made_when_absent_and_segment_message_ids(pipeline: Pipeline, project: Project) -> None:
    auth = "Basic " + base64.b64encode(f"{project.key}:".encode()).decode()
    batch = {
        "batch": [
            {
                "type": "track",
                "event": "Signed Up",
                "userId": "u-9",
                "anonymousId": "a-9",
                "messageId": "node-next-1-x",
            },
            {"type": "identify", "userId": "u-9", "traits": {"email": "u9@example.com"}},
            {"type": "page", "anonymousId": "a-9", "properties": {"url": "https://shop.example/cart?x=1"}},
            {"type": "screen", "userId": "u-9", "name": "Home"},
            {"type": "group", "userId": "u-9", "groupId": "acme", "traits": {"size": 5}},
            {"type": "alias", "previousId": "a-9", "userId": "u-9"},
        ],
        "sentAt": datetime.now(UTC).isoformat(),
    }
    response = post(
        pipeline, "/v1/batch", json.dumps(batch), Authorization=auth, **{"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    single = {"writeKey": project.key, "userId": "u-9", "event": "Single Track"}
    assert post(pipeline, "/v1/track", json.dumps(single), **{"Content-Type": "application/json"}).status_code == 200
    rows = by_event(pipeline.events(project.id, 7))
    assert set(rows) == {
        "Signed Up",
        "$identify",
        "$pageview",
        "$screen",
        "$groupidentify",
        "$create_alias",
        "Single Track",
    }
    assert str(rows["Signed Up"]["uuid"]) == str(
        uuid.uuid5(uuid.UUID("6f1c3b0e-5d1a-4c1e-9a55-2f0b8d7c4e10"), "node-next-1-x")
    )
    assert rows["Signed Up"]["properties"]["$anon_distinct_id"] == "a-9"
    assert rows["$identify"]["properties"]["$set"] == {"email": "u9@example.com"}
    assert rows["$pageview"]["properties"]["$pathname"] == "/cart"
    assert rows["$screen"]["properties"]["$screen_name"] == "Home"
    assert rows["$groupidentify"]["properties"]["$group_key"] == "acme"
    assert (rows["$create_alias"]["distinct_id"], rows["$create_alias"]["properties"]["alias"]) == ("a-9", "u-9")
    assert uuid.UUID(str(rows["Single Track"]["uuid"])).version == 7  # no messageId: the server made one


def test_browser_endpoints_and_cors(pipeline: Pipeline) -> None:
    origin = "https://shop.example"
    preflight = httpx.options(
        pipeline.capture_url + "/e/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-custom",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "x-custom" in preflight.headers["access-control-allow-headers"].lower()
    config = httpx.get(pipeline.capture_url + "/array/phc_x/config", headers={"Origin": origin})
    assert config.json()["supportedCompression"] == ["gzip", "gzip-js"]
    assert config.headers["access-control-allow-origin"] == origin
    script = httpx.get(pipeline.capture_url + "/array/phc_x/config.js").text
    assert 'window._POSTHOG_REMOTE_CONFIG["phc_x"]' in script
    for path in ("/flags/?v=2&config=true", "/decide/?v=3"):
        flags = httpx.post(pipeline.capture_url + path, content="data=e30%3D")
        assert flags.status_code == 200 and flags.json()["featureFlags"] == {} and flags.json()["flags"] == {}
    assert httpx.get(pipeline.capture_url + "/_health").json() == {"status": "ok"}
    assert httpx.get(pipeline.capture_url + "/_ready").status_code == 200
    metrics = httpx.get(pipeline.capture_url + "/metrics").text
    assert "clickpath_capture_requests_total" in metrics


def test_forwarded_for_only_from_trusted_proxies(pipeline: Pipeline, project: Project) -> None:
    """The stack's capture trusts no proxy: a client cannot choose its own $ip. One that trusts loopback does."""
    event = {"api_key": project.key, "event": "xff", "distinct_id": "d"}
    assert post(pipeline, "/capture", json.dumps(event), **{"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    [row] = pipeline.events(project.id, 1)
    assert json.loads(row["properties"])["$ip"] == "127.0.0.1"
    settings = pipeline.settings.model_copy(update={"capture_trusted_proxies": ["127.0.0.0/8"]})
    with TestClient(create_app(settings), client=("127.0.0.1", 5555)) as client:
        headers = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9, 127.0.0.2"}
        assert client.post("/capture", json=event | {"event": "xff-trusted"}, headers=headers).status_code == 200
    rows = by_event(pipeline.events(project.id, 2))
    assert rows["xff-trusted"]["properties"]["$ip"] == "203.0.113.9"  # the last hop that is no trusted proxy


def test_rate_limit_answers_429_with_retry_after(pipeline: Pipeline, project: Project) -> None:
    settings = pipeline.settings.model_copy(update={"capture_rate_limit": "5/minute"})
    batch = {"api_key": project.key, "batch": [{"event": "limited", "distinct_id": "d"}] * 3}
    with TestClient(create_app(settings)) as client:
        assert client.post("/batch/", json=batch).status_code == 200
        refused = client.post("/batch/", json=batch)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "limit" in refused.json()["error"]["message"]
    sentinel = {"api_key": project.key, "event": "sentinel", "distinct_id": "d"}
    assert post(pipeline, "/capture", json.dumps(sentinel)).status_code == 200
    rows = pipeline.events(project.id, 4)
    assert sorted(row["event"] for row in rows) == ["limited"] * 3 + ["sentinel"]  # the refused three never left


def test_single_events_and_batches_have_producers_of_their_own(
    pipeline: Pipeline, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone event goes out after 2 ms; a batch lingers longer, for fuller Kafka requests (ingest/producer.py)."""
    sent: list[tuple[int, int]] = []
    with TestClient(create_app(pipeline.settings)) as client:
        capture = client.app.state.capture  # type: ignore[attr-defined]
        for producer in capture.producers:
            monkeypatch.setattr(producer, "send", _recording(producer.send, producer._config["linger.ms"], sent))
        single = {"api_key": project.key, "event": "alone", "distinct_id": "d"}
        assert client.post("/capture", json=single).status_code == 200
        batch = {"api_key": project.key, "batch": [{"event": "together", "distinct_id": f"d{i}"} for i in range(3)]}
        assert client.post("/capture", json=batch).status_code == 200
    assert sent == [(SINGLE_LINGER_MS, 1), (BATCH_LINGER_MS, 3)]
    assert SINGLE_LINGER_MS < BATCH_LINGER_MS
    assert sorted(row["event"] for row in pipeline.events(project.id, 4)) == ["alone"] + ["together"] * 3


def _recording(send: Any, linger_ms: int, sent: list[tuple[int, int]]) -> Any:
    async def recorded(messages: list[tuple[bytes, bytes]]) -> None:
        sent.append((linger_ms, len(messages)))
        await send(messages)

    return recorded
