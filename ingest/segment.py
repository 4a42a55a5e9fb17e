"""Segment's HTTP Tracking API (also what RudderStack's SDKs send) read as PostHog-shaped events.

A Segment message becomes the raw event ingest.events stamps (the mapping in docs/INGESTION.md):
track → its event, page → $pageview, screen → $screen, identify → $identify, group → $groupidentify,
alias → $create_alias. A messageId that is no UUID becomes a UUIDv5 of itself, so a retry dedupes.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any
from urllib.parse import urlsplit

from ingest.errors import CaptureError, invalid

TYPES = ("track", "identify", "page", "screen", "group", "alias")
MESSAGE_ID_NAMESPACE = uuid.UUID("6f1c3b0e-5d1a-4c1e-9a55-2f0b8d7c4e10")
DEFAULT_GROUP_TYPE = "organization"  # Segment has no group types; PostHog needs one


def write_key(document: dict[str, Any], authorization: str) -> str | None:
    """The write key from HTTP Basic (RudderStack, analytics-node 3.1+) or the body (analytics-python)."""
    if authorization[:6].lower() == "basic ":
        try:
            user = base64.b64decode(authorization[6:].strip(), validate=True).decode().split(":", 1)[0]
        except (binascii.Error, UnicodeDecodeError):
            raise CaptureError(401, "Authorization: not valid HTTP Basic credentials", "Authorization") from None
        if user:
            return user
    key = document.get("writeKey")
    return key if isinstance(key, str) and key else None


def to_event(message: Any, place: str, implied_type: str | None = None) -> dict[str, Any]:
    """One Segment message as a PostHog-shaped raw event."""
    if not isinstance(message, dict):
        raise invalid(place or "body", "a message must be a JSON object")
    kind = implied_type or message.get("type")
    if kind not in TYPES:
        raise invalid(_at(place, "type"), f"{kind!r} is not one of {', '.join(TYPES)}")
    properties = _object(message, "properties", place)
    traits = _object(message, "traits", place) or _object(_object(message, "context", place), "traits", place)
    event: dict[str, Any] = {"event": _event_name(kind, message, place), "properties": properties}
    _identity(message, event, kind)
    _by_type(kind, message, event, traits)
    _context(_object(message, "context", place), properties)
    timestamp = message.get("timestamp") or message.get("originalTimestamp")
    if timestamp is not None:
        event["timestamp"] = timestamp
    message_id = message.get("messageId")
    if isinstance(message_id, str) and message_id:
        event["uuid"] = _uuid(message_id)
    return event


def _event_name(kind: str, message: dict[str, Any], place: str) -> Any:
    if kind == "track":
        return message.get("event")
    return {"identify": "$identify", "page": "$pageview", "screen": "$screen", "group": "$groupidentify"}.get(
        kind, "$create_alias"
    )


def _identity(message: dict[str, Any], event: dict[str, Any], kind: str) -> None:
    user_id, anonymous_id = _text(message.get("userId")), _text(message.get("anonymousId"))
    if kind == "alias":
        event["distinct_id"] = _text(message.get("previousId")) or anonymous_id
        event["properties"]["alias"] = user_id
        return
    if user_id is not None or anonymous_id is not None:
        event["distinct_id"] = user_id if user_id is not None else anonymous_id
    if user_id is not None and anonymous_id is not None and user_id != anonymous_id:
        event["properties"]["$anon_distinct_id"] = anonymous_id


def _by_type(kind: str, message: dict[str, Any], event: dict[str, Any], traits: dict[str, Any]) -> None:
    properties = event["properties"]
    if kind == "identify" and traits:
        event["$set"] = traits
    elif kind == "page":
        url = properties.get("url")
        if isinstance(url, str):
            properties.setdefault("$current_url", url)
            properties.setdefault("$pathname", urlsplit(url).path or "/")
        for name in ("name", "category"):
            if message.get(name) is not None:
                properties.setdefault(name, message[name])
    elif kind == "screen" and message.get("name") is not None:
        properties["$screen_name"] = message["name"]
    elif kind == "group":
        properties["$group_type"] = traits.get("$group_type", DEFAULT_GROUP_TYPE)
        properties["$group_key"] = _text(message.get("groupId"))
        properties["$group_set"] = traits


def _context(context: dict[str, Any], properties: dict[str, Any]) -> None:
    library = context.get("library")
    if isinstance(library, dict):
        properties.setdefault("$lib", library.get("name"))
        properties.setdefault("$lib_version", library.get("version"))
    if isinstance(context.get("ip"), str):
        properties.setdefault("$ip", context["ip"])
    if isinstance(context.get("userAgent"), str):
        properties.setdefault("$raw_user_agent", context["userAgent"])


def _object(container: dict[str, Any], name: str, place: str) -> dict[str, Any]:
    value = container.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(_at(place, name), "must be an object")
    return value


def _text(value: Any) -> Any:
    """Ids as text: numbers are written out; objects and lists stay, for validation to refuse."""
    if value is None or value == "":
        return None
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _uuid(message_id: str) -> str:
    try:
        return str(uuid.UUID(message_id))
    except ValueError:
        return str(uuid.uuid5(MESSAGE_ID_NAMESPACE, message_id))


def _at(place: str, name: str) -> str:
    return f"{place}.{name}" if place else name
