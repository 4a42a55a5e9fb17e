"""Lifecycle: per bucket, how many persons were new, returning, resurrecting, and how many went dormant.

A person is active in a bucket when they did the event (matching the filters) in it. For every bucket of
the range and every active person: ``new`` if it is their first active bucket ever (all history, before
``date_from`` too), else ``returning`` if they were active in the bucket before, else ``resurrecting``. A
person active in the bucket before and not in this one is ``dormant`` here, counted negative (PostHog draws
it below the axis). PostHog's ``new`` is the bucket the person was created in; Clickpath's persons have no
creation time (docs/PERSONS.md), so it is the person's first event of the question, which also keeps the
statuses of one person consistent with each other.

One ClickHouse query: each person's first position ever and their active positions from the bucket before
the range (activity.py), then the statuses, counted per bucket.
"""

from __future__ import annotations

from enum import StrEnum
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


class Status(StrEnum):
    NEW = "new"
    RETURNING = "returning"
    RESURRECTING = "resurrecting"
    DORMANT = "dormant"


class LifecycleQuery(Query):
    kind: Literal["lifecycle"]
    event: str | None = Field(default="$pageview", min_length=1, max_length=KEY_LENGTH)
    """The event that makes a person active; null for any event."""
    interval: activity.Period = Interval.DAY
    """``day``, ``week`` or ``month``."""
    date_from: QueryDate = None
    """Start: relative or ISO 8601, moved back to the start of its bucket; default ``-7d``."""
    date_to: QueryDate = None
    """End (exclusive; a date alone means the end of that day); default now."""
    properties: PropertyFilters
    """Event and person property filters: only matching events make a person active (or new)."""


class LifecycleResult(QueryModel):
    status: Status
    label: str
    """The event and the status: ``$pageview - new``."""
    days: list[str]
    """The start of each bucket, a local date."""
    data: list[int]
    """Persons per bucket; negative for ``dormant``."""
    count: int
    """The sum of data."""


def statuses_sql(query: LifecycleQuery, dates: DateRange, params: Params) -> str:
    """Rows of (position, status, persons) for the buckets of the range."""
    rows = EventRows(params, filters=query.properties, with_person=True).named(query.event)
    rows.where.append(f"timestamp < {params.moment(dates.end)}")  # no start: "new" looks at all history
    buckets = params.add(len(dates.buckets()), "Int64")
    new, returning, resurrecting, dormant = (params.add(str(status), "String") for status in Status)
    return f"""
        SELECT pair.1 AS position, pair.2 AS status, count() AS persons
        FROM (
            SELECT arrayJoin(arrayConcat(
                arrayMap(p -> (p, multiIf(p = first, {new}, has(active, p - 1), {returning}, {resurrecting})),
                    arrayFilter(p -> p >= 0, active)),
                arrayMap(p -> (p + 1, {dormant}),
                    arrayFilter(p -> p + 1 < {buckets} AND NOT has(active, p + 1), active))
            )) AS pair
            FROM (
                SELECT person_id, min(position) AS first, groupUniqArrayIf(position, position >= -1) AS active
                FROM (SELECT person_id, {activity.position_sql(dates, params)} AS position FROM {rows.sql()})
                GROUP BY person_id
            )
        )
        GROUP BY position, status"""


def run(query: LifecycleQuery, context: QueryContext) -> Computed:
    dates = DateRange.of(query.date_from, query.date_to, query.interval, context.timezone, context.now)
    days = activity.labels(dates)
    if len(days) > MAX_BUCKETS:
        raise APIError(400, f"interval: more than {MAX_BUCKETS} buckets; use a longer interval", field="interval")
    params = context.params()
    data = {status: [0] * len(days) for status in Status}
    for position, status, persons in context.rows(statuses_sql(query, dates, params), params):
        if 0 <= position < len(days):
            data[Status(status)][position] = -persons if status == Status.DORMANT else persons
    event = query.event or "All events"
    return Computed(
        [
            LifecycleResult(status=status, label=f"{event} - {status}", days=days, data=values, count=sum(values))
            for status, values in data.items()
        ]
    )
