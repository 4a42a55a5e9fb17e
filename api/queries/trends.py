"""Trends: one or more series of a measure over time buckets, optionally broken down and compared.

One ClickHouse query per series (and per period with ``compare``), over raw events. ``count`` is the sum
of ``data`` (as in PostHog): the total for ``total`` and ``sum``, only a bucket total for the other math.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from api.errors import APIError
from api.queries import breakdown, rollups
from api.queries.base import Query, QueryModel
from api.queries.context import Computed, QueryContext, Source
from api.queries.dates import MAX_BUCKETS, DateRange, Interval, QueryDate
from api.queries.events import EventRows
from api.queries.filters import KEY_LENGTH, PropertyFilters, property_text
from api.queries.params import Params

MAX_SERIES = 20


class Math(StrEnum):
    TOTAL = "total"
    UNIQUE_PERSONS = "unique_persons"
    DAU = "dau"
    WEEKLY_ACTIVE = "weekly_active"
    MONTHLY_ACTIVE = "monthly_active"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    MEDIAN = "median"
    P90 = "p90"
    P99 = "p99"


PERSON_MATH = {Math.UNIQUE_PERSONS, Math.DAU, Math.WEEKLY_ACTIVE, Math.MONTHLY_ACTIVE}
# Rolling windows: each bucket counts the persons active in the window ending with it.
WINDOWS = {Math.WEEKLY_ACTIVE: timedelta(days=7), Math.MONTHLY_ACTIVE: timedelta(days=30)}
# A window shorter than a bucket would leave events of the bucket out of every window.
WINDOW_INTERVALS = {
    Math.WEEKLY_ACTIVE: {Interval.HOUR, Interval.DAY},
    Math.MONTHLY_ACTIVE: {Interval.HOUR, Interval.DAY, Interval.WEEK},
}
PROPERTY_AGGREGATES = {
    Math.SUM: "sum(value)",
    Math.AVG: "avg(value)",
    Math.MIN: "min(value)",
    Math.MAX: "max(value)",
    # inclusive: linear interpolation between neighbours, so the median of 1, 2, 3, 10 is 2.5
    Math.MEDIAN: "quantileExactInclusive(0.5)(value)",
    Math.P90: "quantileExactInclusive(0.9)(value)",
    Math.P99: "quantileExactInclusive(0.99)(value)",
}


class Series(QueryModel):
    event: str | None = Field(default=None, min_length=1, max_length=KEY_LENGTH)
    """The event to count; null (the default) for every event."""
    math: Math = Math.TOTAL
    math_property: str | None = Field(default=None, min_length=1, max_length=KEY_LENGTH)
    """The numeric event property that sum/avg/min/max/median/p90/p99 aggregate (non-numbers are skipped)."""
    properties: PropertyFilters
    name: str | None = Field(default=None, max_length=KEY_LENGTH)
    """The series' label; the event name when not given."""

    @model_validator(mode="after")
    def _property_math(self) -> Series:
        if (self.math in PROPERTY_AGGREGATES) != (self.math_property is not None):
            raise ValueError(f"math_property: needed by sum/avg/min/max/median/p90/p99 and only by them ({self.math})")
        return self


class TrendsQuery(Query):
    kind: Literal["trends"]
    interval: Interval = Interval.DAY
    """Before series: the series are checked against it."""
    series: list[Series] = Field(min_length=1, max_length=MAX_SERIES)
    date_from: QueryDate = None
    """Start: relative (``-7d``, ``-24h``, ``-1m``) or ISO 8601; default ``-7d``."""
    date_to: QueryDate = None
    """End (exclusive; a date alone means the end of that day); default now."""
    properties: PropertyFilters
    """Filters on every series."""
    breakdown: str | None = Field(default=None, min_length=1, max_length=KEY_LENGTH)
    """An event property: one result per value, the top ``breakdown_limit`` by event count, the rest as $other."""
    breakdown_limit: int = Field(default=10, ge=1, le=100)
    compare: bool = False
    """Also answer for the previous period of the same length."""

    @field_validator("series")
    @classmethod
    def _windows_fit_interval(cls, series: list[Series], info: ValidationInfo) -> list[Series]:
        interval = info.data.get("interval")  # absent when the interval itself was invalid
        for index, one in enumerate(series):
            allowed = WINDOW_INTERVALS.get(one.math)
            if interval is not None and allowed is not None and interval not in allowed:
                names = ", ".join(sorted(allowed))
                raise ValueError(f"series.{index}.math: {one.math} needs interval {names}, not {interval}")
        return series


class TrendsSeriesResult(QueryModel):
    label: str
    event: str | None
    math: Math
    breakdown_value: str | None = None
    compare: Literal["current", "previous"] | None = None
    days: list[str]
    """The start of each bucket: a local date, or for hours a local time with its offset."""
    data: list[float]
    """The measure in each bucket, 0 where nothing happened."""
    count: float
    """The sum of data."""


def _bucket_sql(interval: Interval, column: str = "timestamp") -> str:
    """The bucket of a moment, as Unix seconds of its start in the project's zone ({tz:String})."""
    local = {
        Interval.HOUR: f"toStartOfHour({column}, {{tz:String}})",
        Interval.DAY: f"toStartOfDay({column}, {{tz:String}})",
        Interval.WEEK: f"toDateTime(toMonday({column}, {{tz:String}}), {{tz:String}})",
        Interval.MONTH: f"toDateTime(toStartOfMonth({column}, {{tz:String}}), {{tz:String}})",
    }[interval]
    return f"toInt64(toUnixTimestamp({local}))"


def _window_bucket_sql(starts: str, ends: str, window: str) -> str:
    """Every bucket whose window [end - window, end) holds the event: an event counts in several buckets."""
    return (
        f"arrayJoin(arrayFilter((s, e) -> e > toInt64(toUnixTimestamp(timestamp)) "
        f"AND e - {window} <= toInt64(toUnixTimestamp(timestamp)), {starts}, {ends}))"
    )


def _value_sql(series: Series, params: Params) -> str:
    if series.math_property is None:
        return "toFloat64(0)"
    return f"JSONExtract(properties, {params.add(series.math_property, 'String')}, 'Nullable(Float64)')"


def _aggregate(series: Series) -> str:
    if series.math in PERSON_MATH:
        return "uniqExact(person_id)"
    return PROPERTY_AGGREGATES.get(series.math, "count()")


def series_sql(query: TrendsQuery, series: Series, dates: DateRange, params: Params) -> str:
    """Rows of (bucket start in Unix seconds, breakdown value, measure)."""
    window = WINDOWS.get(series.math)
    starts = dates.buckets()
    if window is None:
        bucket, read_from = _bucket_sql(dates.interval), dates.start
    else:
        ends = [*(s.timestamp() for s in starts[1:]), dates.end.timestamp()]
        bucket = _window_bucket_sql(
            params.add([int(s.timestamp()) for s in starts], "Array(Int64)"),
            params.add([int(e) for e in ends], "Array(Int64)"),
            params.add(int(window.total_seconds()), "Int64"),
        )
        read_from = dates.start - window
    rows = EventRows(params, filters=[*query.properties, *series.properties], with_person=series.math in PERSON_MATH)
    rows.named(series.event).between(params.moment(read_from), params.moment(dates.end))
    person = "person_id" if series.math in PERSON_MATH else "''"
    value = property_text("properties", params.add(query.breakdown, "String")) if query.breakdown else "''"
    inner = f"""SELECT {bucket} AS bucket, {value} AS breakdown_value, {person} AS person_id,
        {_value_sql(series, params)} AS value FROM {rows.sql()}"""
    grouped = breakdown.grouped_value("rows", query.breakdown, query.breakdown_limit, params)
    return f"""WITH rows AS ({inner})
        SELECT bucket, {grouped} AS grouped_value, {_aggregate(series)} AS measure FROM rows
        GROUP BY bucket, grouped_value"""


def rollup_series_sql(
    query: TrendsQuery, series: Series, dates: DateRange, params: Params, built: Callable[[], bool]
) -> str | None:
    """The series from events_hourly for its whole hours and raw events for the rest; None when the rollup
    cannot give exactly the raw answer (rollups.py says when it can) or is not ``built``, asked only then."""
    if series.math is not Math.TOTAL or query.properties or series.properties or query.breakdown:
        return None
    hours = rollups.whole_hours(dates)
    if hours is None or not built():
        return None
    parts = [rollups.hourly_counts_sql(series.event, hours, _bucket_sql(dates.interval, "hour"), params)]
    if hours[1] < dates.end:  # the hour under way
        parts.append(series_sql(query, series, replace(dates, start=hours[1]), params))
    union = " UNION ALL ".join(f"({part})" for part in parts)
    return f"SELECT bucket, grouped_value, sum(measure) FROM ({union}) GROUP BY bucket, grouped_value"


def _results(
    query: TrendsQuery, series: Series, dates: DateRange, rows: list[tuple], compare: str | None
) -> list[TrendsSeriesResult]:
    starts = dates.buckets()
    index = {int(start.timestamp()): i for i, start in enumerate(starts)}
    values: dict[str, list[float]] = {}
    for bucket, value, measure in rows:
        if bucket in index:
            values.setdefault(value, [0.0] * len(starts))[index[bucket]] = float(measure or 0)
    if not values and not query.breakdown:
        values[""] = [0.0] * len(starts)  # an unknown event is zeros, not an empty answer
    ordered = sorted(values.items(), key=lambda item: breakdown.order_key(item[0], sum(item[1])))
    days = [dates.label(start) for start in starts]
    return [
        TrendsSeriesResult(
            label=series.name or series.event or "All events",
            event=series.event,
            math=series.math,
            breakdown_value=value if query.breakdown else None,
            compare=compare,
            days=days,
            data=data,
            count=sum(data),
        )
        for value, data in ordered
    ]


def run(query: TrendsQuery, context: QueryContext) -> Computed:
    current = DateRange.of(query.date_from, query.date_to, query.interval, context.timezone, context.now)
    if len(current.buckets()) > MAX_BUCKETS:
        raise APIError(400, f"interval: more than {MAX_BUCKETS} buckets; use a longer interval", field="interval")
    periods = [(current, "current"), (current.previous(), "previous")] if query.compare else [(current, None)]
    results, sources = [], set()
    rollup_built = functools.cache(lambda: rollups.exists(context))  # one look, and none if no series could use it
    for dates, label in periods:
        for series in query.series:
            params = context.params()
            params.values["tz"] = str(context.timezone)
            sql = rollup_series_sql(query, series, dates, params, rollup_built)
            sources.add(Source.EVENTS if sql is None else Source.ROLLUP)
            rows = context.rows(sql or series_sql(query, series, dates, params), params)
            results.extend(_results(query, series, dates, rows, label))
    # a rollup answer only when every series came from it
    return Computed(results, Source.ROLLUP if sources == {Source.ROLLUP} else Source.EVENTS)
