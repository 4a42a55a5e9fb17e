"""Events and person links written straight into ClickHouse, as the consumer and person processing would.

For datasets a test must control exactly (times, order of inserts, which ids are one person); generated
traffic through the whole pipeline is in tests/support/ingest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from clickhouse_connect.driver.client import Client

from ingest.persons import MAPPING_COLUMNS

EVENT_COLUMNS = ["uuid", "project_id", "event", "distinct_id", "properties", "timestamp", "received_at"]


@dataclass(frozen=True)
class Event:
    project_id: int
    event: str
    distinct_id: str
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)
    uuid: uuid.UUID = field(default_factory=uuid.uuid4)

    def row(self) -> list[Any]:
        properties = orjson.dumps(self.properties).decode()
        return [self.uuid, self.project_id, self.event, self.distinct_id, properties, self.timestamp, self.timestamp]


def insert_events(client: Client, events: Iterable[Event]) -> None:
    """One insert, as one consumer batch."""
    client.insert("events", [event.row() for event in events], column_names=EVENT_COLUMNS)


def link(client: Client, project_id: int, person_id: uuid.UUID, distinct_ids: Sequence[str], version: int = 1) -> None:
    """Map the distinct ids to one person, as person processing does after an identity event."""
    rows = [(project_id, distinct_id, person_id, version, 0) for distinct_id in distinct_ids]
    client.insert("person_distinct_ids", rows, column_names=MAPPING_COLUMNS)
