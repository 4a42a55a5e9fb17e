"""Property filters on events and persons, as SQL conditions over bound parameters.

A property's value is compared as text: a JSON string as itself, anything else as its JSON text (``12.5``,
``true``), so ``exact`` works on numbers too. A missing property reads as an empty string; ``is_not`` and
``icontains``' negations are not offered, so nothing depends on how missing compares except ``is_not``,
which a missing property satisfies (as in PostHog).
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from api.queries.base import QueryModel
from api.queries.params import Params

Scalar = str | bool | int | float
KEY_LENGTH = 400
MAX_FILTERS = 50  # property filters on a query or a series


class Operator(StrEnum):
    EXACT = "exact"
    IS_NOT = "is_not"
    ICONTAINS = "icontains"
    REGEX = "regex"
    GT = "gt"
    LT = "lt"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"


class PropertyFilter(QueryModel):
    """One condition on an event's or its person's property."""

    key: str = Field(min_length=1, max_length=KEY_LENGTH)
    operator: Operator = Operator.EXACT
    value: Scalar | list[Scalar] | None = None
    """exact / is_not: a value or a list of values (any matches); icontains / regex: text; gt / lt: a number;
    is_set / is_not_set: none."""
    type: Literal["event", "person"] = "event"

    @model_validator(mode="after")
    def _value_fits_operator(self) -> PropertyFilter:
        value, operator = self.value, self.operator
        if operator in (Operator.IS_SET, Operator.IS_NOT_SET):
            if value is not None:
                raise ValueError(f"value: {operator} takes no value")
        elif operator in (Operator.EXACT, Operator.IS_NOT):
            if value is None or value == []:
                raise ValueError(f"value: {operator} needs a value or a non-empty list of values")
        elif operator in (Operator.GT, Operator.LT):
            if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
                raise ValueError(f"value: {operator} needs a (finite, 64-bit) number")
        elif not isinstance(value, str) or not value:
            raise ValueError(f"value: {operator} needs a non-empty string")
        return self


def _finite(value: float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer past what a Float64 holds
        return False


def as_text(value: Scalar) -> str:
    """A value as the JSON text ClickHouse shows for it (``true``, ``3``, ``12.5``, or the string itself)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def property_text(column: str, key: str) -> str:
    """The text of property ``key`` (a placeholder) of a JSON ``column``: strings unquoted, others as JSON."""
    string, raw = f"JSONExtractString({column}, {key})", f"JSONExtractRaw({column}, {key})"
    return f"if(JSONType({column}, {key}) = 'String', {string}, {raw})"


def condition(item: PropertyFilter, column: str, params: Params) -> str:
    key = params.add(item.key, "String")
    text = property_text(column, key)
    match item.operator:
        case Operator.EXACT | Operator.IS_NOT:
            values = item.value if isinstance(item.value, list) else [item.value]
            listed = f"{text} IN {params.add([as_text(v) for v in values], 'Array(String)')}"
            return listed if item.operator is Operator.EXACT else f"NOT ({listed})"
        case Operator.ICONTAINS:
            return f"positionCaseInsensitiveUTF8({text}, {params.add(item.value, 'String')}) > 0"
        case Operator.REGEX:
            return f"match({text}, {params.add(item.value, 'String')})"
        case Operator.GT | Operator.LT:
            sign = ">" if item.operator is Operator.GT else "<"
            return f"toFloat64OrNull({text}) {sign} {params.add(float(item.value), 'Float64')}"  # type: ignore[arg-type]
        case Operator.IS_SET:
            return f"(JSONHas({column}, {key}) AND JSONType({column}, {key}) != 'Null')"
        case Operator.IS_NOT_SET:
            return f"NOT (JSONHas({column}, {key}) AND JSONType({column}, {key}) != 'Null')"


def conditions(items: list[PropertyFilter], kind: str, column: str, params: Params) -> list[str]:
    return [condition(item, column, params) for item in items if item.type == kind]


PropertyFilters = Annotated[list[PropertyFilter], Field(default_factory=list, max_length=MAX_FILTERS)]
"""A query's or a series' property filters, all of which an event (or its person) must match."""
