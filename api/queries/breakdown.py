"""Breakdowns: the top N values of a property by volume keep their own result, the rest share $other."""

from __future__ import annotations

from api.queries.params import Params

OTHER = "$other"  # the breakdown value of every value outside the top N
NONE = ""  # the breakdown value of rows without the property


def grouped_value(rows: str, breakdown: str | None, limit: int, params: Params) -> str:
    """An expression over ``breakdown_value`` of the CTE ``rows``: itself when among the ``limit`` values with
    the most rows (ties by value), else $other; just ``breakdown_value`` when there is no breakdown."""
    if breakdown is None:
        return "breakdown_value"
    top = (
        f"SELECT breakdown_value FROM {rows} GROUP BY breakdown_value "
        f"ORDER BY count() DESC, breakdown_value LIMIT {params.add(limit, 'UInt32')}"
    )
    return f"if(breakdown_value IN ({top}), breakdown_value, {params.add(OTHER, 'String')})"


def order_key(value: str, volume: float) -> tuple[bool, float, str]:
    """Results order: the largest first, $other last."""
    return value == OTHER, -volume, value
