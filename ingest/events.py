"""The event model: a raw event as an SDK sent it, checked against schemas/event.schema.json and stamped.

What leaves here is the internal event that goes to Kafka and on to ClickHouse (docs/INGESTION.md):
``{uuid, project_id, event, distinct_id, properties, timestamp, received_at}``, with person updates
(``$set``/``$set_once``, top level or inside properties) merged into properties, the client's IP in
``$ip`` and, for browsers, ``$browser``/``$os``/``$device_type`` unless the SDK set them already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fastjsonschema
import msgspec
import orjson
import uuid_utils

from ingest.errors import CaptureError, invalid, too_large
from ingest.schema import SCHEMA, UUID_PATTERN, msgspec_type

# The schema compiled twice: msgspec checks every event fast; fastjsonschema words the refusal of a bad one.
# draft-07 has no "uuid" format and fastjsonschema skips formats it does not know: without this, any text passed
FORMATS = {"uuid": UUID_PATTERN}
_validate = fastjsonschema.compile(SCHEMA, formats=FORMATS)
_EVENT = msgspec_type("Event", SCHEMA)

FUTURE_LIMIT = timedelta(hours=23)  # PostHog's rule: a timestamp further ahead is a broken clock; use now
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2299, 12, 31, tzinfo=UTC)  # DateTime64's range
_TOKEN_FIELDS = ("token", "$token", "api_key")


@dataclass(frozen=True)
class Stamp:
    """What the server knows about a request, applied to each of its events."""

    project_id: int
    now: datetime
    sent_at: datetime | None = None
    ip: str | None = None
    browser: tuple[tuple[str, str], ...] = ()
    """$browser, $os, $device_type of the request's User-Agent (useragent.describe), for every event."""
    max_event_bytes: int = 1024 * 1024


def token_of(raw: Any) -> str | None:
    """The project key an event carries itself (posthog-js puts it in properties)."""
    if not isinstance(raw, dict):
        return None
    for name in _TOKEN_FIELDS:
        if isinstance(raw.get(name), str):
            return raw[name]
    properties = raw.get("properties")
    if isinstance(properties, dict) and isinstance(properties.get("token"), str):
        return properties["token"]
    return None


def stamp(raw: Any, place: str, context: Stamp) -> tuple[bytes, bytes]:
    """The Kafka key and value of one event; ``place`` names it in errors (``batch[3]``)."""
    if not isinstance(raw, dict):
        raise invalid(place or "body", "an event must be a JSON object")
    event = _candidate(raw)
    try:
        msgspec.convert(event, _EVENT)
    except msgspec.ValidationError as fast:
        try:
            _validate(event)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise invalid(*explain(place, exc)) from None
        raise invalid(place or "body", str(fast)) from None
    properties = _properties(raw, event, context)
    internal = {
        "uuid": _uuid(event.get("uuid")),
        "project_id": context.project_id,
        "event": event["event"],
        "distinct_id": event["distinct_id"],
        "properties": properties,
        "timestamp": _event_time(event, properties, context, place),
        "received_at": context.now,
    }
    value = orjson.dumps(internal, option=orjson.OPT_UTC_Z)  # times as RFC 3339 text ending in Z
    if len(value) > context.max_event_bytes:
        raise too_large(place or "body", f"event is {len(value)} bytes; at most {context.max_event_bytes}")
    return f"{context.project_id}:{event['distinct_id']}".encode(), value


def parse_time(value: Any, field: str) -> datetime:
    """ISO 8601 text (no zone means UTC) or epoch milliseconds, as an aware UTC datetime."""
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(value / 1000, UTC)
        else:
            moment = datetime.fromisoformat(value)
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise invalid(field, f"{str(value)[:64]!r} is not an ISO 8601 time or epoch milliseconds") from None
    if not _EARLIEST <= moment <= _LATEST:
        raise invalid(field, f"{value!r} is outside 1970–2299")
    return moment


def _uuid(given: str | None) -> str:
    """The client's uuid in canonical form (it was validated already), else a new UUIDv7."""
    if given is None:
        return str(uuid_utils.uuid7())
    return given.lower()  # the schema admits only the 36-character form


def _candidate(raw: dict[str, Any]) -> dict[str, Any]:
    """The schema's fields, read from wherever PostHog's SDKs put them."""
    properties = raw.get("properties", {})
    inner = properties if isinstance(properties, dict) else {}
    event: dict[str, Any] = {"properties": properties}
    if "event" in raw:
        event["event"] = raw["event"]
    distinct_id = raw.get("distinct_id", raw.get("$distinct_id", inner.get("distinct_id")))
    if isinstance(distinct_id, int | float) and not isinstance(distinct_id, bool):
        distinct_id = str(distinct_id)  # SDKs send numeric user ids as numbers
    elif isinstance(distinct_id, str):
        distinct_id = distinct_id.strip().replace("\x00", "\ufffd")
    if distinct_id is not None:
        event["distinct_id"] = distinct_id
    for name in ("timestamp", "offset", "$set", "$set_once"):
        if raw.get(name) is not None:
            event[name] = raw[name]
    if raw.get("uuid"):  # an empty uuid means none (PostHog)
        event["uuid"] = raw["uuid"]
    return event


def _properties(raw: dict[str, Any], event: dict[str, Any], context: Stamp) -> dict[str, Any]:
    properties: dict[str, Any] = event["properties"]
    properties.pop("token", None)  # the write key is no event data
    for name in ("$set", "$set_once"):
        if name in event:  # top level wins over the same key inside properties
            properties[name] = {**properties.get(name, {}), **event[name]}
    if context.ip is not None:
        properties.setdefault("$ip", context.ip)
    for name, value in context.browser:
        properties.setdefault(name, value)
    return properties


def _event_time(event: dict[str, Any], properties: dict[str, Any], context: Stamp, place: str) -> datetime:
    """PostHog's rule: trust the client's clock only for differences, measured against its sent_at."""
    now = context.now
    if "timestamp" in event:
        try:
            moment = parse_time(event["timestamp"], "timestamp")
        except CaptureError as exc:
            exc.field = _field(place, ["data", "timestamp"])
            raise
        if context.sent_at is not None and not properties.get("$ignore_sent_at"):
            moment = now + (moment - context.sent_at)
    elif "offset" in event:
        try:
            moment = now - timedelta(milliseconds=event["offset"])
        except OverflowError:  # before year 1: as early as any time can be, like any offset before 1970
            moment = _EARLIEST
    else:
        return now
    return now if moment - now > FUTURE_LIMIT else max(moment, _EARLIEST)


def explain(place: str, exc: fastjsonschema.JsonSchemaValueException) -> tuple[str, str]:
    """fastjsonschema's complaint as (field, problem): `batch[3].event`, `is required`."""
    if exc.rule == "required" and isinstance(exc.value, dict):
        missing = [name for name in exc.rule_definition if name not in exc.value]
        return _field(place, [*exc.path, missing[0]]), "is required"
    return _field(place, exc.path), exc.message.removeprefix(exc.name).strip()


def _field(place: str, path: list[str]) -> str:
    """``batch[3]`` + fastjsonschema's ``['data', 'properties', '$set']`` → ``batch[3].properties.$set``."""
    names = [part for part in path[1:]]
    field = ".".join([place, *names] if place else names)
    return field or "body"


def refuse_inconsistent_tokens(tokens: set[str]) -> None:
    if len(tokens) > 1:
        raise CaptureError(401, "the events of one request carry different project keys", "api_key")
