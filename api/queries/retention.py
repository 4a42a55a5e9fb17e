"""Retention: of the persons who did the target event in a period (a cohort), how many came back later.

``total_intervals`` periods end with the one holding ``date_to`` (whole periods, as PostHog's); each starts
a cohort. ``first_time``: a person's cohort is the period of their first target event ever (all history);
``recurring``: every period they did the target event in. A person of a cohort counts as back in period k
(1, 2, …) when they did the returning event in the k-th period after the cohort's; period 0 is the cohort
itself, whatever the returning event (as in PostHog). ``properties`` filter both events (and the first
target event of ``first_time``). Only periods that have started are answered: the last cohort has one
value, the one before two, and so on.

One ClickHouse query: per person, the positions (activity.py) of their target and returning events, then
per cohort and period the persons.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from api.queries import activity
from api.queries.base import Query, QueryModel
from api.queries.context import Computed, QueryContext
from api.queries.dates import DateRange, Interval, QueryDate
from api.queries.events import EventRows
from api.queries.filters import KEY_LENGTH, PropertyFilters
from api.queries.params import Params

DEFAULT_INTERVALS = 8  # day 0 to day 7: the week after the first visit, "D7 retention"
MAX_INTERVALS = 60  # a year of weeks; cohorts × periods grow with its square


class RetentionType(StrEnum):
    FIRST_TIME = "first_time"
    RECURRING = "recurring"


class RetentionQuery(Query):
    kind: Literal["retention"]
    target_event: str = Field(default="$pageview", min_length=1, max_length=KEY_LENGTH)
    """The event that puts a person in a cohort."""
    returning_event: str | None = Field(default=None, min_length=1, max_length=KEY_LENGTH)
    """The event that counts a person as back; default the target event."""
    retention_type: RetentionType = RetentionType.FIRST_TIME
    """``first_time``: the cohort of a person's first target event ever; ``recurring``: every period they did it."""
    period: activity.Period = Interval.DAY
    """``day``, ``week`` (Monday to Sunday) or ``month``, in the project's time zone."""
    total_intervals: int = Field(default=DEFAULT_INTERVALS, ge=2, le=MAX_INTERVALS)
    """How many cohorts, and periods after the first cohort's."""
    date_to: QueryDate = None
    """The last cohort is the period holding it (a date alone: that day); default now."""
    properties: PropertyFilters
    """Event and person property filters on the target and the returning events."""


class RetentionValue(QueryModel):
    count: int
    """Persons of the cohort active in this period (period 0: the cohort)."""
    rate: float
    """count / cohort_size (0 for an empty cohort)."""


class RetentionCohort(QueryModel):
    date: str
    """The start of the cohort's period, a local date."""
    cohort_size: int
    values: list[RetentionValue]
    """Period 0 (the cohort's own), 1, 2, … up to the last period that has started."""


def retention_sql(query: RetentionQuery, dates: DateRange, params: Params) -> str:
    """Rows of (cohort position, period, persons); period 0 is the cohort's size."""
    target = params.add(query.target_event, "String")
    returning = params.add(query.returning_event or query.target_event, "String")
    start, end = params.moment(dates.start), params.moment(dates.end)
    rows = EventRows(params, filters=query.properties, with_person=True)
    rows.where.append(f"event IN ({target}, {returning}) AND timestamp < {end}")
    if query.retention_type is RetentionType.FIRST_TIME:  # target events of all history; returns of the range
        rows.where.append(f"(timestamp >= {start} OR event = {target})")
        first = f"minIf(position, event = {target})"
        cohorts = f"if(countIf(event = {target}) > 0 AND {first} >= 0, [{first}], [])"
    else:
        rows.where.append(f"timestamp >= {start}")
        cohorts = f"groupUniqArrayIf(position, event = {target})"
    return f"""
        SELECT cohort, period, count() AS persons
        FROM (
            SELECT cohort,
                arrayJoin(arrayConcat([0], arrayFilter(k -> k > 0, arrayMap(r -> r - cohort, returns)))) AS period
            FROM (
                SELECT arrayJoin(cohorts) AS cohort, returns
                FROM (
                    SELECT person_id, {cohorts} AS cohorts,
                        groupUniqArrayIf(position, event = {returning} AND position >= 0) AS returns
                    FROM (SELECT person_id, event, {activity.position_sql(dates, params)} AS position FROM {rows.sql()})
                    GROUP BY person_id
                )
            )
        )
        GROUP BY cohort, period"""


def run(query: RetentionQuery, context: QueryContext) -> Computed:
    dates = DateRange.ending(query.total_intervals, query.date_to, query.period, context.timezone, context.now)
    # only periods that have started: a date_to ahead of now does not make empty cohorts up
    starts = [start for start in dates.buckets() if start <= context.now]
    params = context.params()
    rows = context.rows(retention_sql(query, dates, params), params)
    counts = {(cohort, period): persons for cohort, period, persons in rows}
    results = []
    for cohort, start in enumerate(starts):
        size = counts.get((cohort, 0), 0)
        values = [counts.get((cohort, period), 0) for period in range(len(starts) - cohort)]
        results.append(
            RetentionCohort(
                date=dates.label(start),
                cohort_size=size,
                values=[RetentionValue(count=count, rate=count / size if size else 0.0) for count in values],
            )
        )
    return Computed(results)
