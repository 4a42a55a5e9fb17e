"""Persons' activity by bucket, shared by retention, lifecycle and stickiness.

These three ask which buckets a person was active in, so each event's bucket is a whole number: its
position from the range's first bucket (0, 1, …; -1 is the bucket before the range, -5 five before). The
bucket before is the previous position whatever the interval's length (a 23-hour DST day, February), so
"the previous bucket" is plain arithmetic in SQL. Positions come from ClickHouse's local calendar
(``toRelativeDayNum`` / ``WeekNum`` (weeks from Monday) / ``MonthNum`` in the project's zone), the same
buckets as ``DateRange.buckets()``: position k is ``buckets()[k]``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from api.queries.dates import DateRange, Interval
from api.queries.params import Params

PERIODS = (Interval.DAY, Interval.WEEK, Interval.MONTH)
RELATIVE_NUMBER = {
    Interval.DAY: "toRelativeDayNum",
    Interval.WEEK: "toRelativeWeekNum",
    Interval.MONTH: "toRelativeMonthNum",
}


def check_period(value: Interval) -> Interval:
    """Pydantic validator: day, week or month (local hours repeat or vanish at DST changes)."""
    if value not in PERIODS:
        raise ValueError(f"must be {', '.join(PERIODS[:-1])} or {PERIODS[-1]}")
    return value


Period = Annotated[Interval, AfterValidator(check_period)]
"""The interval of retention, lifecycle and stickiness: day, week or month, checked by check_period."""


def position_sql(dates: DateRange, params: Params, column: str = "timestamp") -> str:
    """The position of ``column``'s bucket from the range's first bucket, an Int64 (negative before it)."""
    number, zone = RELATIVE_NUMBER[dates.interval], params.add(str(dates.zone), "String")
    return f"(toInt64({number}({column}, {zone})) - toInt64({number}({params.moment(dates.start)}, {zone})))"


def labels(dates: DateRange) -> list[str]:
    return [dates.label(start) for start in dates.buckets()]
