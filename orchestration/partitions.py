"""One partition per UTC day, shared by every dbt model tagged `daily`."""

from __future__ import annotations

import json
from datetime import date, datetime

from dagster import DailyPartitionsDefinition, TimeWindow

from infra.settings import Settings

DAY = "%Y-%m-%d"


def daily_partitions(settings: Settings) -> DailyPartitionsDefinition:
    # end_offset=1: today's partition exists already, so the hourly schedule can keep it current
    return DailyPartitionsDefinition(start_date=settings.partitions_start.strftime(DAY), timezone="UTC", end_offset=1)


def dbt_vars(window: TimeWindow) -> dict[str, str]:
    """The days a run covers as the `daily` models read them: from_date inclusive, to_date exclusive.

    A single-run backfill of several days gets one window over all of them, so dbt runs once.
    """
    return {"from_date": window.start.strftime(DAY), "to_date": window.end.strftime(DAY)}


def dbt_vars_arg(window: TimeWindow) -> list[str]:
    return ["--vars", json.dumps(dbt_vars(window))]


def day_key(day: date | datetime) -> str:
    return day.strftime(DAY)
