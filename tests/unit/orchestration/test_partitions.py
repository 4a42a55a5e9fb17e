"""The dbt vars a partition window becomes, and the days a backfill covers."""

from __future__ import annotations

from datetime import date

from infra.settings import Settings
from orchestration.backfill import days, validate
from orchestration.partitions import daily_partitions, dbt_vars


def test_one_day_is_from_that_day_to_the_next_exclusive() -> None:
    partitions = daily_partitions(Settings())
    window = partitions.time_window_for_partition_key("2026-03-31")
    assert dbt_vars(window) == {"from_date": "2026-03-31", "to_date": "2026-04-01"}


def test_todays_partition_exists_so_the_hourly_schedule_can_fill_it() -> None:
    partitions = daily_partitions(Settings())
    assert partitions.end_offset == 1


def test_a_backfill_covers_both_ends() -> None:
    assert days(date(2026, 2, 27), date(2026, 3, 1)) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]


def test_a_backfill_before_the_first_partition_or_after_today_is_refused() -> None:
    settings = Settings(partitions_start=date(2026, 1, 1))
    today = date(2026, 5, 1)
    for first, last in ((date(2025, 12, 31), date(2026, 1, 2)), (date(2026, 4, 30), date(2026, 5, 2))):
        try:
            validate(settings, first, last, today)
        except ValueError:
            continue
        raise AssertionError(f"{first}..{last} accepted")
    validate(settings, date(2026, 1, 1), today, today)
