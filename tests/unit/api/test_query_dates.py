"""Date ranges and buckets (api/queries/dates.py): relative and absolute dates, zones, DST, bounds."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from api.errors import APIError
from api.queries.dates import DateRange, Interval, check_date

NOW = datetime(2026, 11, 27, 20, 15, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def test_relative_days_start_at_local_midnight_and_end_now() -> None:
    dates = DateRange.of("-7d", None, Interval.DAY, PARIS, NOW)
    assert dates.start == datetime(2026, 11, 20, tzinfo=PARIS) and dates.end == NOW
    assert [dates.label(b) for b in dates.buckets()][::7] == ["2026-11-20", "2026-11-27"]


def test_a_date_as_the_end_is_the_whole_day() -> None:
    dates = DateRange.of("2026-10-01", "2026-10-31", Interval.DAY, UTC, NOW)
    assert dates.end == datetime(2026, 11, 1, tzinfo=UTC) and len(dates.buckets()) == 31


def test_hours_across_the_autumn_dst_change() -> None:
    dates = DateRange.of("2026-10-25", "2026-10-25", Interval.HOUR, PARIS, NOW)
    labels = [dates.label(b) for b in dates.buckets()]
    assert len(labels) == 25 and labels[2:4] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]


@pytest.mark.parametrize(
    ("date_from", "interval", "first"),
    [("-1m", Interval.MONTH, "2026-10-01"), ("-2w", Interval.WEEK, "2026-11-09"), ("-1y", Interval.DAY, "2025-11-27")],
)
def test_relative_starts_are_truncated_to_their_bucket(date_from: str, interval: Interval, first: str) -> None:
    dates = DateRange.of(date_from, None, interval, UTC, NOW)
    assert dates.label(dates.buckets()[0]) == first


def test_month_arithmetic_clamps_the_day() -> None:
    dates = DateRange.of("-1m", None, Interval.DAY, UTC, datetime(2026, 3, 31, 12, tzinfo=UTC))
    assert dates.start == datetime(2026, 2, 28, tzinfo=UTC)


def test_previous_period_has_the_same_length() -> None:
    dates = DateRange.of("2026-10-16", "2026-10-31", Interval.DAY, UTC, NOW).previous()
    assert (dates.start, dates.end) == (datetime(2026, 9, 30, tzinfo=UTC), datetime(2026, 10, 16, tzinfo=UTC))


@pytest.mark.parametrize("value", ["yesterday", "-7x", "7d", "2026-13-01", "0001-01-01", "9999-12-31"])
def test_bad_dates_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        check_date(value)


@pytest.mark.parametrize(("date_from", "date_to"), [("2026-10-07", "2026-10-01"), ("-99999y", None)])
def test_impossible_ranges_are_400(date_from: str, date_to: str | None) -> None:
    with pytest.raises(APIError) as raised:
        DateRange.of(date_from, date_to, Interval.DAY, UTC, NOW)
    assert raised.value.status == 400 and raised.value.field == "date_from"
