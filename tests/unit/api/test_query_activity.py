"""Retention, lifecycle and stickiness without a server: windows (DateRange.ending), bodies, bucket positions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chdb
import pytest
from pydantic import ValidationError

from api.errors import APIError
from api.queries.activity import position_sql
from api.queries.dates import DateRange, Interval
from api.queries.lifecycle import LifecycleQuery
from api.queries.params import Params
from api.queries.retention import RetentionQuery, RetentionType
from api.queries.stickiness import StickinessQuery, _labels

NOW = datetime(2026, 11, 27, 20, 15, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def labels(dates: DateRange) -> list[str]:
    return [dates.label(start) for start in dates.buckets()]


def test_ending_now_holds_the_current_bucket() -> None:
    dates = DateRange.ending(8, None, Interval.DAY, NEW_YORK, NOW)
    assert labels(dates) == [f"2026-11-{day}" for day in range(20, 28)]
    assert dates.end == datetime(2026, 11, 28, tzinfo=NEW_YORK)  # the whole of today, ahead of now


def test_ending_on_a_date_holds_that_day() -> None:
    assert labels(DateRange.ending(3, "2026-10-31", Interval.DAY, UTC, NOW)) == [
        "2026-10-29",
        "2026-10-30",
        "2026-10-31",
    ]
    # a date-time at midnight ends before that day: the range is half-open
    assert labels(DateRange.ending(2, "2026-11-01T00:00", Interval.DAY, UTC, NOW)) == ["2026-10-30", "2026-10-31"]


def test_ending_in_weeks_and_months_across_dst() -> None:
    """New York's clocks go back on 2026-11-01: every bucket still starts at local midnight."""
    weeks = DateRange.ending(3, "2026-11-04", Interval.WEEK, NEW_YORK, NOW)
    assert labels(weeks) == ["2026-10-19", "2026-10-26", "2026-11-02"]
    assert weeks.start == datetime(2026, 10, 19, 4, tzinfo=UTC) and weeks.end == datetime(2026, 11, 9, 5, tzinfo=UTC)
    months = DateRange.ending(14, "2026-03-31", Interval.MONTH, NEW_YORK, NOW)
    assert labels(months)[0] == "2025-02-01" and labels(months)[-1] == "2026-03-01" and len(labels(months)) == 14


def test_ending_before_1970_is_a_400_naming_date_to() -> None:
    with pytest.raises(APIError) as refused:
        DateRange.ending(30, "1971-06-01", Interval.MONTH, UTC, NOW)
    assert refused.value.status == 400 and refused.value.field == "date_to"


def test_stickiness_labels() -> None:
    assert _labels(3, Interval.DAY) == ["1 day", "2 days", "3 days"]
    assert _labels(2, Interval.WEEK) == ["1 week", "2 weeks"]


def test_retention_defaults() -> None:
    query = RetentionQuery(kind="retention")
    assert (query.target_event, query.returning_event, query.retention_type) == (
        "$pageview",
        None,
        RetentionType.FIRST_TIME,
    )
    assert (query.period, query.total_intervals, query.date_to) == (Interval.DAY, 8, None)


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (RetentionQuery, {"kind": "retention", "period": "hour"}, "period"),
        (RetentionQuery, {"kind": "retention", "total_intervals": 1}, "total_intervals"),
        (RetentionQuery, {"kind": "retention", "date_from": "-7d"}, "date_from"),
        (LifecycleQuery, {"kind": "lifecycle", "interval": "hour"}, "interval"),
        (LifecycleQuery, {"kind": "lifecycle", "date_to": "tomorrow"}, "date_to"),
        (StickinessQuery, {"kind": "stickiness", "series": []}, "series"),
        (StickinessQuery, {"kind": "stickiness", "series": [{"event": "x"}], "interval": "hour"}, "interval"),
    ],
)
def test_bad_bodies_name_the_field(model: Any, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    assert refused.value.errors()[0]["loc"][0] == field


def positions(dates: DateRange, moments: list[datetime]) -> list[int]:
    """activity.position_sql of each moment, run by the embedded ClickHouse (chdb), no server needed."""
    params = Params()
    sql = "SELECT [" + ", ".join(position_sql(dates, params, params.moment(m)) for m in moments) + "]"
    values = {k: v.isoformat(sep=" ") if isinstance(v, datetime) else v for k, v in params.values.items()}
    return json.loads(str(chdb.query(sql, "JSONCompact", params=values)))["data"][0][0]


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "Europe/Paris", "UTC"])
@pytest.mark.parametrize(
    ("interval", "date_from", "date_to"),
    [
        (Interval.DAY, "2026-10-20", "2026-11-05"),
        (Interval.WEEK, "2026-09-01", "2026-12-01"),
        (Interval.MONTH, "2025-11-15", "2026-12-31"),
    ],
)
def test_positions_are_the_buckets_of_date_range(zone: str, interval: Interval, date_from: str, date_to: str) -> None:
    """Bucket k of DateRange.buckets() is position k in SQL, from its first microsecond to its last (DST too)."""
    dates = DateRange.of(date_from, date_to, interval, ZoneInfo(zone), NOW)
    starts = dates.buckets()
    moments = [moment for start in starts for moment in (start, start - timedelta(microseconds=1))]
    expected = [position for k in range(len(starts)) for position in (k, k - 1)]
    assert positions(dates, moments) == expected
