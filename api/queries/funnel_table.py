"""Funnels from dbt's ``funnel_person_steps`` (docs/MODELS.md "Funnels") when it gives exactly the raw answer.

The table holds, per funnel declared in models/dbt_project.yml, project, UTC day and person who did the first
step that day, that person's best try of the day. It answers a funnel query when
- the query is a declared funnel: its event names in order, its window, no filter, no breakdown;
- the range is whole UTC days;
- finished builds (``funnel_builds``) made from the project's current data cover every one of those days, and
  each of them computed this funnel under one name: nothing was written to the project since they read it.
A person's best try over the range is then their furthest try of any day, the earliest among equals.
"""

from __future__ import annotations

from datetime import UTC, date, time

from api.queries.context import QueryContext
from api.queries.dates import DateRange
from api.queries.params import Params

BUILDS_SQL = """SELECT day_from, day_to,
        arrayFirst(f -> f.steps = {steps:Array(String)} AND f.window_seconds = {window:UInt32}, funnels).name
    FROM funnel_builds
    WHERE project_id = {project_id:UInt64} AND changes = {changes:UInt64} AND finished = 1
        AND day_from < {last:Date} AND day_to > {first:Date}"""


def reached_sql(
    steps: list[str], window_seconds: int, dates: DateRange, context: QueryContext, params: Params
) -> str | None:
    """Rows of (person_id, breakdown_value '', times in µs of the steps reached) from the table, as the raw
    funnel's persons give them; None when the table cannot answer exactly."""
    days = _utc_days(dates)
    name = _funnel_built(steps, window_seconds, days, context) if days else None
    if name is None:
        return None
    return f"""
        SELECT person_id, '' AS breakdown_value,
            arraySort(t -> (-length(t), t), groupArray(arrayMap(s -> toUnixTimestamp64Micro(s), step_times)))[1]
                AS times
        FROM funnel_person_steps
        WHERE project_id = {{project_id:UInt64}} AND funnel = {params.add(name, "String")}
            AND day >= {params.add(days[0], "Date")} AND day < {params.add(days[1], "Date")}
        GROUP BY person_id"""


def _utc_days(dates: DateRange) -> tuple[date, date] | None:
    """The range as UTC days [first, last), when it starts and ends on UTC midnights."""
    start, end = dates.start.astimezone(UTC), dates.end.astimezone(UTC)
    if start.time() != time(0) or end.time() != time(0):
        return None
    return start.date(), end.date()


def _funnel_built(steps: list[str], window_seconds: int, days: tuple[date, date], context: QueryContext) -> str | None:
    """The funnel's name in the table when current builds cover ``days`` and all computed it the same way."""
    values = {"steps": steps, "window": window_seconds, "changes": context.data_changes}
    values |= {"first": days[0], "last": days[1]}
    builds = context.rows(BUILDS_SQL, Params(project_id=context.project_id, **values))
    names = {name for _, _, name in builds}
    if len(names) != 1 or "" in names:  # not built, built without this funnel, or under two names
        return None
    covered = days[0]
    for day_from, day_to, _ in sorted(builds):
        if day_from > covered:
            return None  # a day in between that no current build made
        covered = max(covered, day_to)
    return names.pop() if covered >= days[1] else None
