"""schemas/event.schema.json compiled into msgspec types, so that checking an event costs about a microsecond.

Only the keywords the schema uses are understood (type, minLength, maxLength, minimum, maximum, format,
properties, required); anything else raises at import, so the schema cannot grow a rule that is silently
not enforced. Capture still uses fastjsonschema on the same schema to explain a refusal in words.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Union

import msgspec

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "event.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
UUID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z"
_KNOWN = {"type", "minLength", "maxLength", "minimum", "maximum", "format", "properties", "required"}
_WORDS = {"description", "title", "$schema", "$id"}


def msgspec_type(
    name: str, node: dict[str, Any], overrides: dict[str, Any] | None = None, read_also: tuple[str, ...] = ()
) -> Any:
    """The msgspec type that accepts exactly what ``node`` accepts; ``overrides`` replaces the types of
    the top object's fields by name (the consumer keeps `properties` as raw text, uuids as UUID objects), and
    the top object also reads the keys ``read_also`` names, whatever their values (None when absent)."""
    overrides = overrides or {}
    unknown = set(node) - _KNOWN - _WORDS
    if unknown:
        raise ValueError(f"{name}: the schema keywords {sorted(unknown)} have no msgspec translation")
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    types = [_one(name, kind, node, overrides, read_also) for kind in kinds]
    return types[0] if len(types) == 1 else Union[tuple(types)]  # noqa: UP007 - built at run time


def _one(name: str, kind: str, node: dict[str, Any], overrides: dict[str, Any], read_also: tuple[str, ...]) -> Any:
    form = node.get("format")
    if kind == "string" and form == "uuid":
        return Annotated[str, msgspec.Meta(pattern=UUID_PATTERN)]
    if kind == "string" and form == "date-time":
        return Annotated[datetime, msgspec.Meta(tz=True)]
    if kind == "string":
        return Annotated[str, msgspec.Meta(min_length=node.get("minLength"), max_length=node.get("maxLength"))]
    if kind == "integer":
        return Annotated[int, msgspec.Meta(ge=node.get("minimum"), le=node.get("maximum"))]
    if kind == "object":
        return _struct(name, node, overrides, read_also)
    raise ValueError(f"{name}: no msgspec type for {kind!r}")


def _struct(name: str, node: dict[str, Any], overrides: dict[str, Any], read_also: tuple[str, ...]) -> Any:
    """An object with known fields: a Struct (other keys ignored); absent optional fields read as None."""
    fields = node.get("properties") or {}
    if not fields and not read_also:
        return dict
    required = set(node.get("required", ()))
    members = [
        (
            field_name(key),
            overrides[key] if key in overrides else msgspec_type(key, child),
            msgspec.field(name=key) if key in required else msgspec.field(name=key, default=None),
        )
        for key, child in fields.items()
    ]
    members += [(field_name(key), Any, msgspec.field(name=key, default=None)) for key in read_also if key not in fields]
    return msgspec.defstruct(name.replace("$", "") or "Event", members, kw_only=True)


def field_name(key: str) -> str:
    """The attribute of a struct made here that holds the JSON key ``key``."""
    return key.replace("$", "dollar_")
