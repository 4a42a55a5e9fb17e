"""The consumer's decoding: a good message becomes one whole row; poison is refused with its reason, leaving none."""

from __future__ import annotations

import orjson
import pytest

from ingest.rows import COLUMNS, STATEMENT, PoisonError, Rows

GOOD = {
    "uuid": "0192b1a0-7b2a-7c1e-9a0b-4f3f2a1b0c9d",
    "project_id": 3,
    "event": "$pageview",
    "distinct_id": "user-1",
    "properties": {"$current_url": "https://shop.example/", "amount": 1.5},
    "timestamp": "2026-11-27T12:00:00.123456Z",
    "received_at": "2026-11-27T12:00:01Z",
}


def _lines(rows: Rows) -> list[dict]:
    assert rows.body.startswith(STATEMENT) and rows.body.endswith(b"\n")
    return [dict(zip(COLUMNS, orjson.loads(line), strict=True)) for line in rows.body[len(STATEMENT) :].splitlines()]


def test_a_good_message_becomes_one_line_in_column_order() -> None:
    rows = Rows("events")
    rows.add(orjson.dumps(GOOD), 4, 99)
    [row] = _lines(rows)
    assert row == GOOD | {
        "received_at": "2026-11-27T12:00:01Z",
        "kafka_topic": "events",
        "kafka_partition": 4,
        "kafka_offset": 99,
    }
    assert rows.person_events == []


def test_only_the_checked_fields_are_written_whatever_the_message_carried() -> None:
    """Keys the schema does not know, or given twice, would fail the whole insert in ClickHouse."""
    value = orjson.dumps(GOOD | {"kafka_offset": 7, "extra": [1]})[:-1] + b',"event":"again"}'
    rows = Rows("events")
    rows.add(value, 0, 5)
    [row] = _lines(rows)
    assert list(row) == list(COLUMNS) and row["event"] == "again" and row["kafka_offset"] == 5


def test_lines_join_in_the_order_added() -> None:
    rows = Rows("events")
    for offset in range(3):
        rows.add(orjson.dumps(GOOD), 1, offset)
    assert [row["kafka_offset"] for row in _lines(rows)] == [0, 1, 2] and len(rows) == 3


def test_person_updates_and_identity_events_are_handed_to_persons() -> None:
    rows = Rows("events")
    rows.add(orjson.dumps(GOOD | {"properties": {"$set": {"plan": "pro"}, "$current_url": "/"}}), 0, 1)
    identify = {"$anon_distinct_id": "a", "$process_person_profile": True, "$set_once": {"first": "y"}}
    rows.add(orjson.dumps(GOOD | {"event": "$identify", "properties": {**identify, "$browser": "Firefox"}}), 0, 2)
    rows.add(orjson.dumps(GOOD | {"properties": {"note": "no $set here", "nested": {"$set": {"a": 1}}}}), 0, 3)
    rows.add(orjson.dumps(GOOD | {"event": "$create_alias", "properties": {"alias": 7}}), 0, 4)
    assert [event["event"] for event in rows.person_events] == ["$pageview", "$identify", "$create_alias"]
    # each with the properties person processing reads, and no others
    assert [event["properties"] for event in rows.person_events] == [{"$set": {"plan": "pro"}}, identify, {"alias": 7}]
    assert rows.person_events[0]["timestamp"] == "2026-11-27T12:00:00.123456+00:00"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"uuid": "not-a-uuid"}, "uuid"),
        ({"project_id": 0}, "project_id"),
        ({"distinct_id": ""}, "distinct_id"),
        ({"event": "x" * 201}, "event"),
        ({"properties": [1]}, "properties"),
        ({"properties": {"$set": "pro"}}, r"properties\.\$set`"),
        ({"properties": {"$set_once": [1]}}, r"properties\.\$set_once`"),
        ({"timestamp": "2026-11-27T12:00:00"}, "timezone"),
        ({"timestamp": "9999-01-01T00:00:00Z"}, "1970–2299"),
        ({"timestamp": "1969-12-31T23:59:59Z"}, "1970–2299"),
    ],
)
def test_poison_is_refused_and_leaves_no_partial_row(change: dict, reason: str) -> None:
    rows = Rows("events")
    rows.add(orjson.dumps(GOOD), 0, 1)
    with pytest.raises(PoisonError, match=reason):
        rows.add(orjson.dumps(GOOD | change), 0, 2)
    assert len(rows) == 1 and len(_lines(rows)) == 1


def test_not_json_and_missing_fields_are_poison() -> None:
    for value in (b"", b"not json", orjson.dumps({"event": "e"}), None):
        with pytest.raises(PoisonError):
            Rows("events").add(value, 0, 0)
