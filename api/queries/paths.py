"""Paths: the most common ways through pages (``$pathname`` of ``$pageview``) or events, step by step.

A path is one session's steps in time order (then uuid as text), consecutive repeats of one step collapsed
into one. A session is the events sharing a ``$session_id``; events without one are grouped per person, a
new session starting after more than 30 minutes without a step (the rule of the dbt ``sessions`` model,
applied to the steps the query reads). ``start_point`` keeps what follows the first occurrence of a step,
``end_point`` what leads to the first occurrence of one; then the first ``step_limit`` steps (the last ones
before an end point) are numbered from 1, and each consecutive pair is an edge ``"1_/home" → "2_/pricing"``
(PostHog's keys). An edge's value is the number of sessions that took it: one path holds an edge at most once.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from api.queries.base import Query, QueryModel
from api.queries.context import Computed, QueryContext
from api.queries.dates import DateRange, Interval, QueryDate
from api.queries.events import EventRows
from api.queries.filters import KEY_LENGTH, PropertyFilters, property_text
from api.queries.params import Params

# Events without $session_id: a gap longer than this between two steps of a person starts a new session.
SESSION_IDLE = timedelta(minutes=30)


class PathType(StrEnum):
    PATHNAME = "$pathname"
    EVENT = "event"


class PathsQuery(Query):
    kind: Literal["paths"]
    path_type: PathType = PathType.PATHNAME
    """``$pathname``: the ``$pathname`` of each ``$pageview`` (pageviews without one are skipped); ``event``:
    the name of every event."""
    start_point: str | None = Field(default=None, min_length=1, max_length=KEY_LENGTH)
    """Paths after the first occurrence of this step (a pathname or an event name); sessions without it are left
    out."""
    end_point: str | None = Field(default=None, min_length=1, max_length=KEY_LENGTH)
    """Paths leading to the first occurrence of this step; not together with start_point."""
    step_limit: int = Field(default=5, ge=2, le=10)
    """Steps kept per path, so edges reach step ``step_limit``."""
    date_from: QueryDate = None
    """Start: relative (``-7d``) or ISO 8601; default ``-7d`` (from the start of that day)."""
    date_to: QueryDate = None
    """End (exclusive; a date alone means the end of that day); default now."""
    properties: PropertyFilters
    """Filters on the events that make the steps (event properties) and on their persons."""
    edge_limit: int = Field(default=50, ge=1, le=10_000)
    """Edges answered: the most taken first."""

    @field_validator("end_point")
    @classmethod
    def _one_point(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("start_point") is not None:
            raise ValueError("give start_point or end_point, not both")
        return value


class PathEdge(QueryModel):
    source: str
    """``<step>_<value>``: ``1_/home`` is /home as the first step."""
    target: str
    """The next step, ``<step + 1>_<value>``."""
    value: int
    """Sessions that took this edge."""
    average_seconds: float
    """Mean time from the source step's first event to the target step's first event."""


def _step_sql(query: PathsQuery, params: Params) -> str:
    if query.path_type is PathType.EVENT:
        return "event"
    return property_text("properties", params.add("$pathname", "String"))


def _path_sql(query: PathsQuery, point: str, params: Params) -> str:
    """The steps a path keeps of a session's collapsed steps ``compact`` (their values in ``names``); ``point`` is
    the placeholder of the start or end point."""
    limit = params.add(query.step_limit, "UInt32")
    if query.start_point is not None:
        return f"arraySlice(compact, indexOf(names, {point}), {limit})"
    if query.end_point is not None:
        end = f"indexOf(names, {point})"
        return f"arraySlice(compact, greatest(1, toInt64({end}) - {limit} + 1), least({end}, {limit}))"
    return f"arraySlice(compact, 1, {limit})"


def edges_sql(query: PathsQuery, dates: DateRange, params: Params) -> str:
    """Rows of (source, target, sessions, average seconds), the most taken first."""
    rows = EventRows(params, filters=query.properties, with_person=True)
    if query.path_type is PathType.PATHNAME:
        rows.named("$pageview")
    rows.between(params.moment(dates.start), params.moment(dates.end))
    session_id = property_text("properties", params.add("$session_id", "String"))
    point = params.add(query.start_point or query.end_point or "", "String")  # either, never both
    only_with_point = f"WHERE has(names, {point})" if query.start_point or query.end_point else ""
    idle = params.add(int(SESSION_IDLE.total_seconds() * 1_000_000), "Int64")
    # Per owner (a $session_id, else a person), its steps in order; a person's split where they pause too long.
    return f"""
        WITH steps AS (
            SELECT {session_id} AS session_id, session_id != '' AS by_session_id,
                if(by_session_id, session_id, toString(person_id)) AS owner,
                toUnixTimestamp64Micro(timestamp) AS micros, toString(uuid) AS id, {_step_sql(query, params)} AS step
            FROM {rows.sql()}
            WHERE step != ''
        ),
        paths AS (
            SELECT {_path_sql(query, point, params)} AS path
            FROM (
                SELECT arrayFilter((e, i) -> i = 1 OR e.3 != session[i - 1].3, session, arrayEnumerate(session))
                    AS compact, arrayMap(e -> e.3, compact) AS names
                FROM (
                    SELECT by_session_id, arraySort(e -> (e.1, e.2), groupArray((micros, id, step))) AS events
                    FROM steps GROUP BY by_session_id, owner
                )
                ARRAY JOIN arraySplit((e, pause) -> pause, events, arrayMap(d -> NOT by_session_id AND d > {idle},
                    arrayDifference(arrayMap(e -> e.1, events)))) AS session
            )
            {only_with_point}
        )
        SELECT concat(toString(i), '_', path[i].3) AS source, concat(toString(i + 1), '_', path[i + 1].3) AS target,
            count() AS sessions, avg((path[i + 1].1 - path[i].1) / 1e6) AS average_seconds
        FROM paths ARRAY JOIN arrayEnumerate(arrayPopBack(path)) AS i
        GROUP BY source, target
        ORDER BY sessions DESC, source, target
        LIMIT {params.add(query.edge_limit, "UInt32")}"""


def run(query: PathsQuery, context: QueryContext) -> Computed:
    dates = DateRange.of(query.date_from, query.date_to, Interval.DAY, context.timezone, context.now)
    params = context.params()
    rows = context.rows(edges_sql(query, dates, params), params)
    return Computed(
        [
            PathEdge(source=source, target=target, value=sessions, average_seconds=float(seconds))
            for source, target, sessions, seconds in rows
        ]
    )
