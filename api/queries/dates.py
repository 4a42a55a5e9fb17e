"""Date ranges and interval buckets in the project's time zone.

A range is half-open, [start, end), held in UTC. Relative starts (``-7d``) are truncated to the start of
their interval bucket, so the first bucket is whole; the end is ``now`` unless given. A date (``2026-10-31``)
as the end means the end of that day. Runners never do date arithmetic themselves: they ask a DateRange.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

from api.errors import APIError

RELATIVE = re.compile(r"^-(\d{1,5})([hdwmy])$")
# Dates a query may name: events have Unix timestamps, and ClickHouse's DateTime64 ends in 2299.
FIRST_YEAR, LAST_YEAR = 1970, 2200
# Longest range in buckets: an hourly trend over a year is fine, one over ten years is a mistake.
MAX_BUCKETS = 10_000


class Interval(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def check_date(value: str | None) -> str | None:
    """Pydantic validator: a relative date, an ISO date or an ISO date-time."""
    if value is None or RELATIVE.match(value):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "must be relative (-24h, -7d, -2w, -1m, -1y) or ISO 8601 (2026-10-01, 2026-10-01T12:00)"
        ) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


QueryDate = Annotated[str | None, AfterValidator(check_date)]
"""A query's date_from or date_to: relative, an ISO date or an ISO date-time, checked by check_date."""


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    return moment.replace(year=year, month=month + 1, day=min(moment.day, monthrange(year, month + 1)[1]))


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    if unit == "m":
        return _add_months(moment, -amount)
    if unit == "y":
        return _add_months(moment, -12 * amount)
    return moment - timedelta(hours=amount) * {"h": 1, "d": 24, "w": 24 * 7}[unit]


def truncate(moment: datetime, interval: Interval, zone: ZoneInfo) -> datetime:
    """The start of the bucket holding ``moment``, as ClickHouse's toStartOfHour/Day, toMonday, toStartOfMonth."""
    local = moment.astimezone(zone)
    if interval is Interval.HOUR:
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.date()
    if interval is Interval.WEEK:
        day -= timedelta(days=day.weekday())
    elif interval is Interval.MONTH:
        day = day.replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _next_bucket(start: datetime, interval: Interval, zone: ZoneInfo) -> datetime:
    if interval is Interval.HOUR:  # in UTC: a local hour repeated or skipped by a DST change stays one hour
        return (start.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    day = start.date()
    if interval is Interval.MONTH:
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    else:
        day += timedelta(days=7 if interval is Interval.WEEK else 1)
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _earlier_bucket(start: datetime, count: int, interval: Interval, zone: ZoneInfo) -> datetime:
    """The start of the bucket ``count`` buckets before the one starting at ``start``."""
    if interval is Interval.HOUR:
        return (start.astimezone(UTC) - timedelta(hours=count)).astimezone(zone)
    if interval is Interval.MONTH:
        return _add_months(start, -count)
    day = start.date() - timedelta(days=count * (7 if interval is Interval.WEEK else 1))
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _resolve(value: str, zone: ZoneInfo, now: datetime, *, end: bool) -> datetime:
    relative = RELATIVE.match(value)
    if relative:
        return _shift(now.astimezone(zone), int(relative[1]), relative[2])
    parsed = datetime.fromisoformat(value)
    if len(value) == 10:  # a date alone: its whole day, in the project's zone
        parsed = datetime(parsed.year, parsed.month, parsed.day, tzinfo=zone) + timedelta(days=1 if end else 0)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


@dataclass(frozen=True)
class DateRange:
    start: datetime
    end: datetime
    interval: Interval
    zone: ZoneInfo

    @classmethod
    def of(
        cls, date_from: str | None, date_to: str | None, interval: Interval, zone: ZoneInfo, now: datetime
    ) -> DateRange:
        try:
            start = truncate(_resolve(date_from or "-7d", zone, now, end=False), interval, zone)
            end = _resolve(date_to, zone, now, end=True) if date_to else now
        except (ValueError, OverflowError):  # a relative date reaching past year 1
            start = end = datetime.min.replace(tzinfo=UTC)
        if start.year < FIRST_YEAR or end.year > LAST_YEAR:
            raise APIError(400, f"date_from: dates must be between {FIRST_YEAR} and {LAST_YEAR}", field="date_from")
        if start >= end:
            raise APIError(400, "date_from: the range is empty (date_from must be before date_to)", field="date_from")
        return cls(start.astimezone(UTC), end.astimezone(UTC), interval, zone)

    @classmethod
    def ending(cls, count: int, date_to: str | None, interval: Interval, zone: ZoneInfo, now: datetime) -> DateRange:
        """``count`` whole buckets, the last one holding ``date_to`` (default now; a date alone: that day), as
        retention's cohorts are: the range may end after ``date_to``, at the end of its bucket."""
        try:
            moment = _resolve(date_to, zone, now, end=True) if date_to else now
            last = truncate(moment - timedelta(microseconds=1), interval, zone)  # the end is exclusive
            start, end = _earlier_bucket(last, count - 1, interval, zone), _next_bucket(last, interval, zone)
        except (ValueError, OverflowError):  # a bucket before year 1
            start = end = datetime.min.replace(tzinfo=UTC)
        if start.year < FIRST_YEAR or end.year > LAST_YEAR:
            raise APIError(400, f"date_to: dates must be between {FIRST_YEAR} and {LAST_YEAR}", field="date_to")
        return cls(start.astimezone(UTC), end.astimezone(UTC), interval, zone)

    def previous(self) -> DateRange:
        """The period before, as long as this one, ending where it starts (for compare)."""
        start = truncate(self.start - (self.end - self.start), self.interval, self.zone)
        return DateRange(start.astimezone(UTC), self.start, self.interval, self.zone)

    def buckets(self) -> list[datetime]:
        """Start of every bucket in the range, in the project's zone."""
        starts, current = [], truncate(self.start, self.interval, self.zone)
        while current < self.end and len(starts) <= MAX_BUCKETS:
            starts.append(current)
            current = _next_bucket(current, self.interval, self.zone)
        return starts

    def label(self, start: datetime) -> str:
        """Bucket labels: the local date, or for hours the local time with its UTC offset (DST-safe)."""
        return start.isoformat() if self.interval is Interval.HOUR else start.date().isoformat()
