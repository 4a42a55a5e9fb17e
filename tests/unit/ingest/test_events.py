"""The event model without services: reading SDK shapes, validating, stamping, and the client address."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from ingest import events, payload, segment
from ingest.capture.client_ip import ClientAddress
from ingest.errors import CaptureError

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def stamp(raw: dict, sent_at: datetime | None = None, **context: object) -> dict:
    stamp_context = events.Stamp(project_id=7, now=NOW, sent_at=sent_at, **context)
    key, value = events.stamp(raw, "batch[2]", stamp_context)
    event = orjson.loads(value)
    assert key == f"7:{event['distinct_id']}".encode()
    return event


def test_fields_are_read_from_wherever_posthog_sdks_put_them() -> None:
    event = stamp(
        {"event": "e", "properties": {"distinct_id": 12, "token": "phc_x", "$set": {"a": 1}}, "$set": {"a": 2}}
    )
    assert event["distinct_id"] == "12"
    assert "token" not in event["properties"]
    assert event["properties"]["$set"] == {"a": 2}
    assert event["timestamp"] == event["received_at"] == "2026-11-27T12:00:00Z"


@pytest.mark.parametrize(
    ("raw", "field", "problem"),
    [
        ({"distinct_id": "d"}, "batch[2].event", "is required"),
        ({"event": "e"}, "batch[2].distinct_id", "is required"),
        ({"event": "e", "distinct_id": "   "}, "batch[2].distinct_id", "must be longer than or equal to 1 characters"),
        ({"event": "e", "distinct_id": {"a": 1}}, "batch[2].distinct_id", "must be string"),
        ({"event": 5, "distinct_id": "d"}, "batch[2].event", "must be string"),
        ({"event": "e", "distinct_id": "d", "properties": []}, "batch[2].properties", "must be object"),
        ({"event": "e", "distinct_id": "d", "uuid": "nope"}, "batch[2].uuid", "must be uuid"),
        ({"event": "e", "distinct_id": "d", "timestamp": "yesterday!"}, "batch[2].timestamp", "not an ISO 8601 time"),
        ({"event": "e", "distinct_id": "d", "timestamp": True}, "batch[2].timestamp", "must be string or integer"),
        ({"event": "e", "distinct_id": "d", "$set": "x"}, "batch[2].$set", "must be object"),
        ({"event": "e" * 201, "distinct_id": "d"}, "batch[2].event", "must be shorter than or equal to 200"),
    ],
)
def test_a_bad_event_is_refused_naming_its_index_and_field(raw: dict, field: str, problem: str) -> None:
    with pytest.raises(CaptureError) as refused:
        stamp(raw)
    assert (refused.value.status, refused.value.field) == (400, field)
    assert problem in refused.value.message


def test_clock_skew_is_corrected_with_sent_at_and_offset_counts_back_from_now() -> None:
    fast = NOW + timedelta(hours=2)
    skewed = stamp({"event": "e", "distinct_id": "d", "timestamp": (fast - timedelta(seconds=5)).isoformat()}, fast)
    assert skewed["timestamp"] == "2026-11-27T11:59:55Z"
    ignored = {
        "event": "e",
        "distinct_id": "d",
        "timestamp": "2026-11-27T14:00:00Z",
        "properties": {"$ignore_sent_at": True},
    }
    assert stamp(ignored, fast)["timestamp"] == "2026-11-27T14:00:00Z"
    assert stamp({"event": "e", "distinct_id": "d", "offset": 1500})["timestamp"] == "2026-11-27T11:59:58.500000Z"
    epoch_ms = stamp({"event": "e", "distinct_id": "d", "timestamp": 1764244800000})
    assert epoch_ms["timestamp"] == "2025-11-27T12:00:00Z"
    future = stamp({"event": "e", "distinct_id": "d", "timestamp": "2026-11-29T12:00:00Z"})
    assert future["timestamp"] == "2026-11-27T12:00:00Z"  # more than 23 h ahead: a broken clock: now


def test_uuids_kept_canonical_or_made_v7() -> None:
    given = stamp({"event": "e", "distinct_id": "d", "uuid": "0192B1A0-7B2A-7C1E-9A0B-4F3F2A1B0C9D"})
    assert given["uuid"] == "0192b1a0-7b2a-7c1e-9a0b-4f3f2a1b0c9d"
    assert stamp({"event": "e", "distinct_id": "d", "uuid": ""})["uuid"][14] == "7"


def test_an_event_over_the_size_limit_is_413() -> None:
    with pytest.raises(CaptureError) as refused:
        stamp({"event": "e", "distinct_id": "d", "properties": {"x": "y" * 2000}}, max_event_bytes=1000)
    assert refused.value.status == 413 and refused.value.field == "batch[2]"


def test_bodies_decode_in_every_encoding_and_bombs_are_capped() -> None:
    document = [{"event": "e"}]
    text = orjson.dumps(document)
    assert payload.decode(gzip.compress(text), "text/plain", "", {}, 10_000)[0] == document
    assert payload.decode(gzip.compress(text), "application/json", "gzip", {}, 10_000)[0] == document
    with pytest.raises(CaptureError) as bomb:
        payload.decode(gzip.compress(b"[" + b" " * 1_000_000 + b"]"), "text/plain", "", {}, 10_000)
    assert bomb.value.status == 413
    with pytest.raises(CaptureError) as truncated:
        payload.decode(gzip.compress(text)[:-6], "text/plain", "", {}, 10_000)
    assert "truncated" in truncated.value.message
    with pytest.raises(CaptureError) as encoding:
        payload.decode(text, "application/json", "br", {}, 10_000)
    assert encoding.value.status == 415


def test_segment_messages_map_to_clickpath_events() -> None:
    alias = segment.to_event({"type": "alias", "previousId": "anon", "userId": 42}, "batch[0]")
    assert (alias["event"], alias["distinct_id"], alias["properties"]["alias"]) == ("$create_alias", "anon", "42")
    with pytest.raises(CaptureError) as refused:
        segment.to_event({"type": "launch"}, "batch[3]")
    assert refused.value.field == "batch[3].type"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),  # one trusted proxy
        ("10.0.0.5", "198.51.100.1, 203.0.113.9, 10.0.0.6", "203.0.113.9"),  # the rightmost untrusted hop
        ("10.0.0.5", "not-an-ip", "10.0.0.5"),  # garbled: keep what is known
        ("192.0.2.1", "203.0.113.9", "192.0.2.1"),  # an untrusted peer cannot choose its address
        ("10.0.0.5", "10.0.0.7", "10.0.0.5"),  # only proxies: the peer is the answer
    ],
)
def test_forwarded_for_is_read_only_from_trusted_proxies(peer: str, forwarded: str, client: str) -> None:
    assert ClientAddress(["10.0.0.0/8"]).of(peer, forwarded) == client
