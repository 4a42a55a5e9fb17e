"""Funnels: how many persons did steps 1…N in order within a window, and how long each step took.

The date range selects the first steps; the later steps may follow within the window, after ``date_to`` too,
as in Mixpanel and Amplitude: a person who entered on the last day has the same time to convert as on the
first. Each person's matching events are gathered into an array (sorted by time, then uuid) and, for every
step-1 event, the earliest later event of each next step within ``window_seconds`` of that first event is taken
(earliest is optimal: it never leaves fewer later events to choose from). The attempt reaching the most
steps counts, the earliest of equals; its event times give the times to convert. This is what windowFunnel
computes for the level, but windowFunnel tells neither the times nor, on DateTime, the order of events
within a second, so the arrays do both. A declared funnel over whole UTC days comes from dbt's table when it
holds exactly this answer (api/queries/funnel_table.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from api.queries import breakdown, funnel_table
from api.queries.base import Query, QueryModel
from api.queries.context import Computed, QueryContext, Source
from api.queries.dates import DateRange, Interval, QueryDate
from api.queries.events import EventRows
from api.queries.filters import KEY_LENGTH, PropertyFilter, PropertyFilters, conditions, property_text
from api.queries.params import Params

MAX_WINDOW_S = 365 * 24 * 3600
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FunnelStep(QueryModel):
    event: str = Field(min_length=1, max_length=KEY_LENGTH)
    properties: PropertyFilters
    """Event property filters of this step (person filters belong on the funnel)."""
    name: str | None = Field(default=None, max_length=KEY_LENGTH)

    @field_validator("properties")
    @classmethod
    def _event_filters_only(cls, value: list[PropertyFilter]) -> list[PropertyFilter]:
        if any(item.type != "event" for item in value):
            raise ValueError("a step filters on event properties only; put person filters on the funnel")
        return value


class FunnelQuery(Query):
    kind: Literal["funnel"]
    steps: list[FunnelStep] = Field(min_length=2, max_length=10)
    window_seconds: int = Field(default=14 * 24 * 3600, ge=1, le=MAX_WINDOW_S)
    """Every step must happen within this many seconds of the first."""
    date_from: QueryDate = None
    date_to: QueryDate = None
    properties: PropertyFilters
    """Filters on every step's events (event properties) and on the persons (person properties)."""
    breakdown: str | None = Field(default=None, min_length=1, max_length=KEY_LENGTH)
    """An event property of the first step's event: one funnel per value, the top N by persons, then $other."""
    breakdown_limit: int = Field(default=10, ge=1, le=100)


class FunnelPersonsQuery(FunnelQuery):
    """The persons who did step ``drop_off_step - 1`` but not ``drop_off_step``, a page at a time."""

    kind: Literal["funnel_persons"]  # type: ignore[assignment]
    drop_off_step: int = Field(ge=2, le=10)
    """1-based: 2 lists those who did step 1 and never step 2 within the window."""
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("drop_off_step")
    @classmethod
    def _step_exists(cls, step: int, info: ValidationInfo) -> int:
        steps = info.data.get("steps")  # absent when the steps themselves were invalid
        if steps is not None and step > len(steps):
            raise ValueError(f"the funnel has {len(steps)} steps")
        return step


class FunnelStepResult(QueryModel):
    step: int
    """1-based."""
    name: str
    event: str
    breakdown_value: str | None = None
    count: int
    """Persons who reached this step."""
    conversion_from_first: float
    """count / the first step's count (0 when nobody entered)."""
    conversion_from_previous: float
    median_seconds_to_convert: float | None
    """From the previous step to this one; null for the first step or when nobody reached it."""
    average_seconds_to_convert: float | None


class FunnelPerson(QueryModel):
    person_id: str
    distinct_ids: list[str]


def _dates(query: FunnelQuery, context: QueryContext) -> DateRange:
    return DateRange.of(query.date_from, query.date_to, Interval.DAY, context.timezone, context.now)


def persons_sql(query: FunnelQuery, dates: DateRange, params: Params) -> str:
    """One row per person who did step 1: (person_id, distinct_ids, level, step times in µs, breakdown)."""
    matches = []
    for step in query.steps:
        step_conditions = [f"event = {params.add(step.event, 'String')}"]
        step_conditions += conditions(step.properties, "event", "properties", params)
        matches.append(f"toUInt8({' AND '.join(step_conditions)})")
    rows = EventRows(params, filters=query.properties, with_person=True)
    rows.where.append(f"event IN {params.add(sorted({s.event for s in query.steps}), 'Array(String)')}")
    rows.between(params.moment(dates.start), params.moment(dates.end + timedelta(seconds=query.window_seconds)))
    value = property_text("properties", params.add(query.breakdown, "String")) if query.breakdown else "''"
    window = params.add(query.window_seconds * 1_000_000, "Int64")
    steps = params.add(len(query.steps), "UInt8")
    entered_before = params.add((dates.end - EPOCH) // timedelta(microseconds=1), "Int64")
    # next[k - 1][i]: the index of the first event at or after i that matches step k >= 2 (0: none), so that
    # an attempt finds each of its steps in one look-up, not a scan (a person may have thousands of events).
    next_index = f"""arrayMap(k -> arrayReverseFill(j -> j > 0,
            arrayMap(i -> if(events[i].3[k] = 1, toUInt32(i), toUInt32(0)), arrayEnumerate(events))),
        range(2, toUInt32({steps}) + 1))"""
    # For each step-1 event s: indexes of the earliest next events of steps 2..N, each after the one before
    # and within the window of s; an attempt stops at the first step it cannot find.
    chain = f"""arrayFold((acc, k) -> if(length(acc) = k - 1 AND next[k - 1][acc[-1] + 1] > 0
                AND events[next[k - 1][acc[-1] + 1]].1 <= events[s].1 + {window},
            arrayPushBack(acc, next[k - 1][acc[-1] + 1]), acc), range(2, toUInt32({steps}) + 1), [toUInt32(s)])"""
    return f"""
        SELECT person_id, distinct_ids, length(best) AS level, arrayMap(i -> events[i].1, best) AS times,
            events[best[1]].4 AS breakdown_value
        FROM (
            SELECT person_id, distinct_ids, events, {next_index} AS next,
                arraySort(c -> (-length(c), c[1]), arrayMap(s -> {chain},
                    arrayFilter(i -> events[i].3[1] = 1 AND events[i].1 < {entered_before}, arrayEnumerate(events))))
                    [1] AS best
            FROM (
                SELECT person_id, groupUniqArray(distinct_id) AS distinct_ids,
                    arraySort(e -> (e.1, e.2), groupArray((toUnixTimestamp64Micro(timestamp), toString(uuid),
                        [{", ".join(matches)}], {value}))) AS events
                FROM {rows.sql()} GROUP BY person_id
            )
        )
        WHERE level > 0"""


def steps_sql(query: FunnelQuery, reached: str, params: Params) -> str:
    """Per breakdown value and step: persons, median and average seconds from the previous step, over
    ``reached``'s persons (``breakdown_value`` and the ``times`` of their steps in µs)."""
    grouped = breakdown.grouped_value("reached", query.breakdown, query.breakdown_limit, params)
    # The average from an exact sum of whole microseconds: avg() of floats depends on the order the threads
    # add them in, so two sources (or two runs) could differ in the last digit.
    return f"""WITH reached AS ({reached})
        SELECT {grouped} AS grouped_value, step, count() AS persons,
            quantileExactInclusive(0.5)(micros) / 1e6 AS median_seconds,
            sum(toInt128(micros)) / count(micros) / 1e6 AS average_seconds
        FROM (
            SELECT breakdown_value, step, if(step = 1, NULL, times[step] - times[step - 1]) AS micros
            FROM reached ARRAY JOIN arrayEnumerate(times) AS step
        )
        GROUP BY grouped_value, step"""


def _step_results(query: FunnelQuery, value: str | None, found: dict[int, tuple]) -> list[FunnelStepResult]:
    results, first, previous = [], None, None
    for number, step in enumerate(query.steps, start=1):
        count, median, average = found.get(number, (0, None, None))
        first = count if first is None else first
        results.append(
            FunnelStepResult(
                step=number,
                name=step.name or step.event,
                event=step.event,
                breakdown_value=value,
                count=count,
                conversion_from_first=count / first if first else 0.0,
                conversion_from_previous=count / previous if previous else (1.0 if number == 1 and count else 0.0),
                median_seconds_to_convert=_seconds(median, number, count),
                average_seconds_to_convert=_seconds(average, number, count),
            )
        )
        previous = count
    return results


def _seconds(value: float | None, number: int, count: int) -> float | None:
    return None if number == 1 or not count or value is None else float(value)


def run(query: FunnelQuery, context: QueryContext) -> Computed:
    params, dates = context.params(), _dates(query, context)
    table = _from_table(query, dates, context, params)
    rows = context.rows(steps_sql(query, table or persons_sql(query, dates, params), params), params)
    by_value: dict[str, dict[int, tuple]] = {}
    for value, step, persons, median, average in rows:
        by_value.setdefault(value, {})[step] = (persons, median, average)
    if not by_value and not query.breakdown:
        by_value[""] = {}  # nobody entered: zeros per step, not an empty answer
    ordered = sorted(by_value.items(), key=lambda item: breakdown.order_key(item[0], item[1].get(1, (0,))[0]))
    results = []
    for value, found in ordered:
        results.extend(_step_results(query, value if query.breakdown else None, found))
    return Computed(results, Source.FUNNEL_TABLE if table else Source.EVENTS)


def _from_table(query: FunnelQuery, dates: DateRange, context: QueryContext, params: Params) -> str | None:
    """The persons from the funnel table when it answers exactly (unfiltered steps of a declared funnel)."""
    if query.properties or query.breakdown or any(step.properties for step in query.steps):
        return None
    return funnel_table.reached_sql([s.event for s in query.steps], query.window_seconds, dates, context, params)


def run_persons(query: FunnelPersonsQuery, context: QueryContext) -> Computed:
    params = context.params()
    dropped = params.add(query.drop_off_step - 1, "UInt32")
    persons = persons_sql(query, _dates(query, context), params)
    # ordered as text: ClickHouse orders UUIDs by their two halves, which no client expects
    sql = f"""SELECT toString(person_id) AS id, arraySort(distinct_ids) FROM ({persons})
        WHERE level = {dropped} ORDER BY id
        LIMIT {params.add(query.limit, "UInt32")} OFFSET {params.add(query.offset, "UInt32")}"""
    return Computed([FunnelPerson(person_id=p, distinct_ids=d) for p, d in context.rows(sql, params)])
