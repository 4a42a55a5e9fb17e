"""Kafka messages of the events topic turned into rows for ClickHouse, and the ones that cannot be.

A message is checked against the event schema (schemas/event.schema.json, widened with the fields the
capture API stamps): the schema is compiled into a msgspec decoder, which checks and decodes a message
in about a microsecond and a half. A good one is written again by msgspec as one JSONCompactEachRow line
(an array in COLUMNS order), which ClickHouse parses itself: the consumer's own work per event stays
small, and the line holds exactly the checked values, nothing the message may have carried besides
(unknown or repeated keys, which would fail the whole insert). `properties` is carried as the JSON text
it arrived as; ClickHouse stores it as text (input_format_json_read_objects_as_strings) and it is parsed
here only for the events that carry person updates. A message that fails is poison: it goes to the
dead-letter topic with the reason.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson

from ingest.persons import IDENTITY_EVENTS
from ingest.schema import SCHEMA, msgspec_type

COLUMNS = (
    "uuid",
    "project_id",
    "event",
    "distinct_id",
    "properties",
    "timestamp",
    "received_at",
    "kafka_topic",
    "kafka_partition",
    "kafka_offset",
)

STAMPED_SCHEMA: dict[str, Any] = {
    **SCHEMA,
    "required": ["uuid", "project_id", "event", "distinct_id", "properties", "timestamp", "received_at"],
    "properties": {
        **SCHEMA["properties"],
        "project_id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},  # a PostgreSQL bigint id
        "timestamp": {"type": "string", "format": "date-time"},
        "received_at": {"type": "string", "format": "date-time"},
    },
}
# the settings the insert needs: times as msgspec writes them (RFC 3339), objects read as their text
INSERT_SETTINGS = {"date_time_input_format": "best_effort", "input_format_json_read_objects_as_strings": 1}
INSERT_FORMAT = "JSONCompactEachRow"
_EARLIEST, _LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2299, 12, 31, tzinfo=UTC)  # as capture keeps
_PERSON_UPDATES = b'"$set'  # both $set and $set_once


class PoisonError(ValueError):
    """A message that is no stamped event; the text says why."""


# properties stay the JSON text they arrived as (they are stored as text); uuids are checked faster as UUID
# objects than by the schema's pattern
StampedEvent = msgspec_type("StampedEvent", STAMPED_SCHEMA, {"properties": msgspec.Raw, "uuid": uuid.UUID})
_decode = msgspec.json.Decoder(StampedEvent).decode
_encode = msgspec.json.Encoder().encode


class Rows:
    """The JSONCompactEachRow body of one insert into events, plus the events person processing must see."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self._lines: list[bytes] = []
        self._line = self._lines.append
        self.person_events: list[dict[str, Any]] = []

    def add(self, value: bytes | None, partition: int, offset: int) -> None:
        """Decode one message and append its row; PoisonError when it cannot be."""
        try:
            event = _decode(value or b"")
        except msgspec.DecodeError as exc:
            raise PoisonError(str(exc)) from None
        properties = event.properties
        if memoryview(properties)[:1] != b"{":
            raise PoisonError("Expected `object` - at `$.properties`")
        if not (_EARLIEST <= event.timestamp <= _LATEST and _EARLIEST <= event.received_at <= _LATEST):
            raise PoisonError("Expected a time in 1970–2299 - at `$.timestamp` or `$.received_at`")
        self._line(
            _encode(
                (
                    event.uuid, event.project_id, event.event, event.distinct_id, properties,
                    event.timestamp, event.received_at, self.topic, partition, offset,
                )
            )
        )  # fmt: skip
        if event.event in IDENTITY_EVENTS or _PERSON_UPDATES in value:  # the message: a false hit costs a parse
            self.person_events.append(_as_dict(event))

    @property
    def body(self) -> bytes:
        """The rows as one JSONCompactEachRow body, in COLUMNS order."""
        return b"\n".join(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


def _as_dict(event: Any) -> dict[str, Any]:
    return {
        "uuid": event.uuid,
        "project_id": event.project_id,
        "event": event.event,
        "distinct_id": event.distinct_id,
        "properties": orjson.loads(memoryview(event.properties)),
        "timestamp": event.timestamp.isoformat(),
        "received_at": event.received_at.isoformat(),
    }
