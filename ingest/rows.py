"""Kafka messages of the events topic turned into ClickHouse columns, and the ones that cannot be.

A message is checked against the event schema (schemas/event.schema.json, widened with the fields the
capture API stamps): the schema is compiled into a msgspec decoder, which checks and decodes a message
in about a microsecond. `properties` is kept as the JSON text it arrived as (it is stored as text) and
parsed only for the events that carry person updates. A message that fails is poison: it goes to the
dead-letter topic with the reason.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
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
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LATEST = (datetime(2299, 12, 31, tzinfo=UTC) - _EPOCH) // _MICROSECOND  # DateTime64's range, as capture keeps
_PERSON_UPDATES = b'"$set'  # both $set and $set_once


class PoisonError(ValueError):
    """A message that is no stamped event; the text says why."""


# properties stay the JSON text they arrived as (they are stored as text); uuids as UUID objects, which
# clickhouse-connect writes faster than text
StampedEvent = msgspec_type("StampedEvent", STAMPED_SCHEMA, {"properties": msgspec.Raw, "uuid": uuid.UUID})
_decode = msgspec.json.Decoder(StampedEvent).decode


class Rows:
    """Column-wise rows of one topic for one insert, plus the events person processing must see (as dicts)."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self._cells: list[list[Any]] = [[] for name in COLUMNS if name != "kafka_topic"]
        self.person_events: list[dict[str, Any]] = []
        (
            self._uuid,
            self._project_id,
            self._event,
            self._distinct_id,
            self._properties,
            self._timestamp,
            self._received_at,
            self._partition,
            self._offset,
        ) = (cells.append for cells in self._cells)

    def add(self, value: bytes | None, partition: int, offset: int) -> None:
        """Decode one message and append it; PoisonError when it cannot be."""
        try:
            event = _decode(value or b"")
        except msgspec.DecodeError as exc:
            raise PoisonError(str(exc)) from None
        properties = bytes(event.properties)
        timestamp = (event.timestamp - _EPOCH) // _MICROSECOND
        received_at = (event.received_at - _EPOCH) // _MICROSECOND
        if properties[:1] != b"{":
            raise PoisonError("Expected `object` - at `$.properties`")
        if not (0 <= timestamp <= _LATEST and 0 <= received_at <= _LATEST):
            raise PoisonError("Expected a time in 1970–2299 - at `$.timestamp` or `$.received_at`")
        # every check is behind us: a row is appended whole or not at all
        self._uuid(event.uuid)
        self._project_id(event.project_id)
        self._event(event.event)
        self._distinct_id(event.distinct_id)
        self._properties(properties)
        self._timestamp(timestamp)
        self._received_at(received_at)
        self._partition(partition)
        self._offset(offset)
        if event.event in IDENTITY_EVENTS or _PERSON_UPDATES in properties:
            self.person_events.append(_as_dict(event, properties))

    @property
    def columns(self) -> list[list[Any]]:
        """In COLUMNS order; the topic is the same for every row."""
        cells = self._cells
        return [*cells[:7], [self.topic] * len(self), *cells[7:]]

    def __len__(self) -> int:
        return len(self._cells[0])


def _as_dict(event: Any, properties: bytes) -> dict[str, Any]:
    return {
        "uuid": str(event.uuid),
        "project_id": event.project_id,
        "event": event.event,
        "distinct_id": event.distinct_id,
        "properties": orjson.loads(properties),
        "timestamp": event.timestamp.isoformat(),
        "received_at": event.received_at.isoformat(),
    }
