"""The events an SDK call produces: the wire format of POST /capture (sdks/contract/*.json)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from clickpath.version import VERSION

LIB = {"$lib": "clickpath-python", "$lib_version": VERSION}

Event = dict[str, Any]


def now_iso() -> str:
    """UTC with milliseconds: what capture's time rule (timestamp vs sent_at) compares."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def event(
    name: str,
    distinct_id: str,
    properties: Mapping[str, Any] | None = None,
    *,
    super_properties: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    event_uuid: str | None = None,
) -> Event:
    """One event: its own properties win over super properties, and the library's over both.

    The uuid is made here, once, so a batch that is retried carries the same uuids and capture
    stores each event once (the uuid is ClickHouse's dedup key).
    """
    return {
        "event": name,
        "distinct_id": str(distinct_id),
        "properties": {**(super_properties or {}), **(properties or {}), **LIB},
        "timestamp": _iso(timestamp) if timestamp else now_iso(),
        "uuid": event_uuid or str(uuid.uuid4()),
    }


def identify_properties(
    set: Mapping[str, Any] | None, set_once: Mapping[str, Any] | None, anon_distinct_id: str | None
) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if set:
        properties["$set"] = dict(set)
    if set_once:
        properties["$set_once"] = dict(set_once)
    if anon_distinct_id:
        properties["$anon_distinct_id"] = anon_distinct_id
    return properties


def group_properties(group_type: str, group_key: str, properties: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"$group_type": group_type, "$group_key": group_key, "$group_set": dict(properties or {})}


def page_properties(url: str, properties: Mapping[str, Any] | None) -> dict[str, Any]:
    parts = urlsplit(url)
    return {"$current_url": url, "$host": parts.netloc, "$pathname": parts.path or "/", **(properties or {})}


def encode(event: Event) -> bytes:
    """JSON for one event; values JSON lacks (datetimes, UUIDs, Decimals, sets) become text."""
    return json.dumps(event, default=_to_json, separators=(",", ":"), ensure_ascii=False).encode()


def batch_body(api_key: str, encoded_events: list[bytes]) -> bytes:
    """The request body, with sent_at stamped now: capture corrects a skewed client clock with it, so it is
    made again for every attempt (a retry a minute later must not shift its events by a minute)."""
    head = json.dumps({"api_key": api_key, "sent_at": now_iso()})[:-1].encode()
    return head + b',"batch":[' + b",".join(encoded_events) + b"]}"


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)
