"""Stickiness: how many persons did the event in exactly 1, 2, … N of the range's N intervals.

Per series, one ClickHouse query: each person's number of distinct active buckets (activity.py), then the
persons per number. ``data[k]`` is the persons active in exactly k + 1 intervals, ``count`` all of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.errors import APIError
from api.queries import activity
from api.queries.base import Query, QueryModel
from api.queries.context import Computed, QueryContext
from api.queries.dates import MAX_BUCKETS, DateRange, Interval, QueryDate
from api.queries.events import EventRows
from api.queries.filters import KEY_LENGTH, PropertyFilters
from api.queries.params import Params

MAX_SERIES = 20


class StickinessSeries(QueryModel):
    event: str | None = Field(default=None, min_length=1, max_length=KEY_LENGTH)
    """The event; null (the default) for every event."""
    properties: PropertyFilters
    name: str | None = Field(default=None, max_length=KEY_LENGTH)
    """The series' label; the event name when not given."""


class StickinessQuery(Query):
    kind: Literal["stickiness"]
    series: list[StickinessSeries] = Field(min_length=1, max_length=MAX_SERIES)
    interval: activity.Period = Interval.DAY
    """``day``, ``week`` or ``month``: what one active interval is."""
    date_from: QueryDate = None
    """Start: relative or ISO 8601, moved back to the start of its bucket; default ``-7d``."""
    date_to: QueryDate = None
    """End (exclusive; a date alone means the end of that day); default now."""
    properties: PropertyFilters
    """Filters on every series."""


class StickinessSeriesResult(QueryModel):
    label: str
    event: str | None
    days: list[str]
    """``1 day``, ``2 days``, … (or weeks, months): one per interval of the range."""
    data: list[int]
    """data[k]: the persons who did the event in exactly k + 1 intervals."""
    count: int
    """The persons who did it at all: the sum of data."""


def series_sql(query: StickinessQuery, series: StickinessSeries, dates: DateRange, params: Params) -> str:
    """Rows of (number of active intervals, persons)."""
    rows = EventRows(params, filters=[*query.properties, *series.properties], with_person=True).named(series.event)
    rows.between(params.moment(dates.start), params.moment(dates.end))
    return f"""
        SELECT intervals, count() AS persons
        FROM (
            SELECT person_id, uniqExact({activity.position_sql(dates, params)}) AS intervals FROM {rows.sql()}
            GROUP BY person_id
        )
        GROUP BY intervals"""


def _labels(count: int, interval: Interval) -> list[str]:
    return [f"{n} {interval}{'' if n == 1 else 's'}" for n in range(1, count + 1)]


def run(query: StickinessQuery, context: QueryContext) -> Computed:
    dates = DateRange.of(query.date_from, query.date_to, query.interval, context.timezone, context.now)
    buckets = len(dates.buckets())
    if buckets > MAX_BUCKETS:
        raise APIError(400, f"interval: more than {MAX_BUCKETS} buckets; use a longer interval", field="interval")
    results = []
    for series in query.series:
        params = context.params()
        data = [0] * buckets
        for intervals, persons in context.rows(series_sql(query, series, dates, params), params):
            if 1 <= intervals <= buckets:
                data[intervals - 1] = persons
        results.append(
            StickinessSeriesResult(
                label=series.name or series.event or "All events",
                event=series.event,
                days=_labels(buckets, query.interval),
                data=data,
                count=sum(data),
            )
        )
    return Computed(results)
