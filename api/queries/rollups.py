"""Trends from the dbt rollup ``events_hourly`` (docs/MODELS.md) when it gives exactly the raw answer.

The rollup holds, per project, event and UTC hour, the number of events inserted. It answers a trend's
``total`` without filters or breakdown, in any interval whose buckets start on whole UTC hours (every zone
whose offsets in the range are whole hours). Whole hours come from the rollup, the hour still under way from
raw events, so the answer is the raw answer. Unique persons are not read from it: its person states are
approximate (``uniq``) and resolved as of each insert, so a later alias would change the raw answer only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.queries.context import QueryContext
from api.queries.dates import DateRange
from api.queries.params import Params

TABLE = "events_hourly"
EXISTS_SQL = "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = {table:String}"


def whole_hours(dates: DateRange) -> tuple[datetime, datetime] | None:
    """The span [first, last) of whole UTC hours from the range's start, when its buckets start on whole hours;
    what is left, [last, end), is the hour under way."""
    moments = [*dates.buckets(), dates.end.astimezone(dates.zone)]
    if any(moment.utcoffset() % timedelta(hours=1) for moment in moments):  # e.g. +05:30, or a 30-minute DST
        return None
    first = dates.start.astimezone(UTC)  # a bucket's start: a whole hour when the offsets are
    last = dates.end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return (first, last) if first < last else None


def hourly_counts_sql(event: str | None, hours: tuple[datetime, datetime], bucket: str, params: Params) -> str:
    """Rows of (bucket, '' as grouped_value, events) over whole hours; ``bucket`` is an expression of ``hour``."""
    named = f"AND event = {params.add(event, 'String')}" if event is not None else ""
    return f"""SELECT {bucket} AS bucket, '' AS grouped_value, sum(events) AS measure FROM {TABLE}
        WHERE project_id = {{project_id:UInt64}} {named}
            AND hour >= {params.moment(hours[0])} AND hour < {params.moment(hours[1])}
        GROUP BY bucket"""


def exists(context: QueryContext) -> bool:
    """Whether dbt has built the rollup here (a stack whose models were never built answers from events)."""
    return context.rows(EXISTS_SQL, Params(table=TABLE))[0][0] > 0
