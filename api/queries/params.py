"""Bound parameters for one query: values never enter the SQL text, only ``{name:Type}`` placeholders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class Params:
    """Collects values and hands out unique placeholders for them (``{p0:String}``, ``{p1:Float64}``…)."""

    def __init__(self, **fixed: Any) -> None:
        self.values: dict[str, Any] = dict(fixed)
        self._next = 0

    def add(self, value: Any, type_: str) -> str:
        name = f"p{self._next}"
        self._next += 1
        self.values[name] = value
        return f"{{{name}:{type_}}}"

    def moment(self, value: datetime) -> str:
        """A point in time as DateTime64(6, 'UTC'), sent naive in UTC so nothing shifts it on the way."""
        return self.add(value.astimezone(UTC).replace(tzinfo=None), "DateTime64(6, 'UTC')")
