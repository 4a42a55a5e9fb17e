"""Kafka messages of the events topic turned into ClickHouse columns, and the ones that cannot be.

A message is checked against the event schema (schemas/event.schema.json, widened with the fields the
capture API stamps); one that fails is poison: it goes to the dead-letter topic with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import fastjsonschema
import orjson

from ingest.events import SCHEMA, explain

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
        "project_id": {"type": "integer", "minimum": 1},
        "timestamp": {"type": "string", "minLength": 20, "maxLength": 32},
        "received_at": {"type": "string", "minLength": 20, "maxLength": 32},
    },
}
_validate = fastjsonschema.compile(STAMPED_SCHEMA)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class PoisonError(ValueError):
    """A message that is no stamped event; the text says why."""


@dataclass
class Rows:
    """Column-wise rows for one insert, plus the decoded events (person processing reads them)."""

    columns: list[list[Any]] = field(default_factory=lambda: [[] for _ in COLUMNS])
    events: list[dict[str, Any]] = field(default_factory=list)

    def add(self, value: bytes, topic: str, partition: int, offset: int) -> None:
        """Decode one message and append it; PoisonError when it cannot be."""
        event = decode(value)
        row = (
            event["uuid"],
            event["project_id"],
            event["event"],
            event["distinct_id"],
            orjson.dumps(event["properties"]).decode(),
            _micros(event["timestamp"], "timestamp"),
            _micros(event["received_at"], "received_at"),
            topic,
            partition,
            offset,
        )
        for column, cell in zip(self.columns, row, strict=True):
            column.append(cell)
        self.events.append(event)

    def __len__(self) -> int:
        return len(self.events)


def decode(value: bytes | None) -> dict[str, Any]:
    try:
        event = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise PoisonError(f"not JSON: {exc}") from None
    try:
        _validate(event)
    except fastjsonschema.JsonSchemaValueException as exc:
        field, problem = explain("", exc)
        raise PoisonError(f"{field}: {problem}") from None
    return event


def _micros(text: str, name: str) -> int:
    """Microseconds since the epoch of the capture API's `…Z` times (DateTime64(6) takes them as is).

    The capture API always writes `YYYY-MM-DDTHH:MM:SS.ffffffZ`; events of a batch share few distinct
    seconds, so those are parsed once each. Any other form takes the general path.
    """
    if len(text) == 27 and text[19] == "." and text[26] == "Z" and text[20:26].isdigit():
        return _second(text[:19]) + int(text[20:26])
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PoisonError(f"data.{name} is not an ISO 8601 time") from None
    if moment.tzinfo is None or moment.utcoffset():
        raise PoisonError(f"data.{name} must be UTC")
    return (moment - _EPOCH) // _MICROSECOND


@lru_cache(maxsize=65536)
def _second(text: str) -> int:
    try:
        return (datetime.fromisoformat(text).replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND
    except ValueError:
        raise PoisonError(f"{text!r} is not an ISO 8601 time") from None
