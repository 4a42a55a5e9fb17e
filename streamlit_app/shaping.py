"""From the query API's answers to the tables the pages show and chart (pandas), and back again.

No Streamlit here: every number a page shows is computed by one of these functions, so a test can compute
the same from the API's answer and compare.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

OTHER = "$other"


def series_name(result: dict[str, Any]) -> str:
    """A trends result's legend entry: its label, its breakdown value, and "(previous)" for compare."""
    name = str(result["label"])
    value = result.get("breakdown_value")
    if value is not None:
        name += f" · {breakdown_label(value)}"
    if result.get("compare") == "previous":
        name += " (previous period)"
    return name


def breakdown_label(value: str) -> str:
    if value == OTHER:
        return "other values"
    return value if value != "" else "(none)"


def trends_frame(results: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (series, bucket): ``series``, ``date``, ``value``, ``bucket``, for a line or bar chart.

    A previous period (compare) is drawn over the current one: its n-th bucket at the current n-th date,
    the date it really had in ``period_date``.
    """
    current_days: dict[tuple[str, str | None], list[str]] = {}
    for result in results:
        if result.get("compare") != "previous":
            current_days.setdefault((result["label"], result.get("breakdown_value")), result["days"])
    rows = []
    for result in results:
        days = result["days"]
        shown = days
        if result.get("compare") == "previous":
            shown = current_days.get((result["label"], result.get("breakdown_value")), days)
        for index, (day, value) in enumerate(zip(days, result["data"], strict=True)):
            rows.append(
                {
                    "series": series_name(result),
                    "date": _as_time(shown[index] if index < len(shown) else day),
                    "value": float(value),
                    "bucket": index,
                    "period_date": day,
                }
            )
    frame = pd.DataFrame(rows, columns=["series", "date", "value", "bucket", "period_date"])
    return frame


def trends_totals(results: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per series: its total over the range (``count``, as the API gives it)."""
    return pd.DataFrame(
        [{"series": series_name(r), "event": r.get("event") or "all events", "math": r["math"], "total": r["count"]}
         for r in results],
        columns=["series", "event", "math", "total"],
    )  # fmt: skip


def _as_time(label: str) -> pd.Timestamp:
    """A bucket label (a local date, or an hour with its UTC offset) as a time to plot (wall-clock, naive)."""
    stamp = pd.Timestamp(label)
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


# Overview ----------------------------------------------------------------------------------------------------


OVERVIEW_SERIES = ("Events", "DAU", "WAU", "MAU")


def overview_metrics(results: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """For each overview series (by label): today's value (the last bucket) and yesterday's."""
    metrics: dict[str, dict[str, float | None]] = {}
    for result in results:
        data = result["data"]
        metrics[result["label"]] = {
            "today": float(data[-1]) if data else 0.0,
            "yesterday": float(data[-2]) if len(data) > 1 else None,
            "day": result["days"][-1] if result["days"] else None,
        }
    return metrics


def delta(today: float, yesterday: float | None) -> str | None:
    """The change against yesterday as a metric's delta text (None when there is no yesterday)."""
    if yesterday is None:
        return None
    change = today - yesterday
    return f"{change:+,.0f} vs yesterday"


def top_pages(results: list[dict[str, Any]]) -> pd.DataFrame:
    """Pageviews per path, the top paths first (a trends answer broken down by ``$pathname``; the paths
    beyond the top ones, ``$other``, are left out)."""
    rows = [
        {"page": breakdown_label(str(r.get("breakdown_value"))), "pageviews": int(r["count"])}
        for r in results
        if r.get("breakdown_value") != OTHER
    ]
    frame = pd.DataFrame(rows, columns=["page", "pageviews"])
    return frame[frame["pageviews"] > 0].reset_index(drop=True)


# SQL -----------------------------------------------------------------------------------------------------------


NUMERIC_TYPES = ("Int", "UInt", "Float", "Decimal")
TIME_TYPES = ("Date", "DateTime")


def _base_type(clickhouse_type: str) -> str:
    for wrapper in ("Nullable(", "LowCardinality("):
        while clickhouse_type.startswith(wrapper):
            clickhouse_type = clickhouse_type[len(wrapper) : -1]
    return clickhouse_type


def is_numeric(clickhouse_type: str) -> bool:
    return _base_type(clickhouse_type).startswith(NUMERIC_TYPES)


def is_time(clickhouse_type: str) -> bool:
    return _base_type(clickhouse_type).startswith(TIME_TYPES)


def sql_frame(result: dict[str, Any]) -> pd.DataFrame:
    """A SQL answer (``columns``, ``types``, ``rows``) as a table with numbers and times typed as such."""
    columns: list[str] = result["columns"]
    frame = pd.DataFrame(result["rows"], columns=_unique(columns))
    for name, clickhouse_type in zip(frame.columns, result["types"], strict=True):
        if is_numeric(clickhouse_type):
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
        elif is_time(clickhouse_type):
            frame[name] = pd.to_datetime(frame[name], errors="coerce", utc=True).dt.tz_localize(None)
    return frame


def _unique(columns: list[str]) -> list[str]:
    """Column names made unique (``count()`` twice would confuse a table): a suffix on repeats."""
    seen: dict[str, int] = {}
    unique = []
    for name in columns:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique


def chart_columns(result: dict[str, Any]) -> tuple[str | None, list[str]]:
    """What to chart a SQL answer by: an x column (a time, else the first text column) and the numeric columns."""
    names = _unique(result["columns"])
    types = result["types"]
    numeric = [n for n, t in zip(names, types, strict=True) if is_numeric(t)]
    times = [n for n, t in zip(names, types, strict=True) if is_time(t)]
    others = [n for n, t in zip(names, types, strict=True) if not is_numeric(t) and not is_time(t)]
    x = times[0] if times else (others[0] if others else None)
    if x is None and len(numeric) > 1:
        x = numeric[0]
    return x, [n for n in numeric if n != x]


def to_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


# Funnels ---------------------------------------------------------------------------------------------------------


def funnel_frame(results: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per step (and breakdown value), with conversions as percentages and times in readable units."""
    rows = []
    for step in results:
        value = step.get("breakdown_value")
        rows.append(
            {
                "step": int(step["step"]),
                "name": f"{step['step']}. {step.get('name') or step['event']}",
                "event": step["event"],
                "breakdown": breakdown_label(value) if value is not None else "",
                "persons": int(step["count"]),
                "conversion_from_first_pct": round(100 * float(step["conversion_from_first"]), 1),
                "conversion_from_previous_pct": round(100 * float(step["conversion_from_previous"]), 1),
                "median_time_to_convert": duration(step.get("median_seconds_to_convert")),
                "average_time_to_convert": duration(step.get("average_seconds_to_convert")),
            }
        )
    columns = [
        "step", "name", "event", "breakdown", "persons", "conversion_from_first_pct", "conversion_from_previous_pct",
        "median_time_to_convert", "average_time_to_convert",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def duration(seconds: float | None) -> str:
    """Seconds as "45s", "12m 3s", "3h 20m", "2d 4h"; "" for none."""
    if seconds is None:
        return ""
    whole = round(float(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


# Retention -------------------------------------------------------------------------------------------------------


def retention_frame(results: list[dict[str, Any]]) -> pd.DataFrame:
    """A retention answer as a long table: ``cohort``, ``cohort_size``, ``period``, ``persons``, ``rate``.

    One entry per cohort (``date``, ``cohort_size``, ``values``: ``{count, rate}`` for period 0, 1, …).
    """
    rows = []
    for cohort in results:
        size = int(cohort["cohort_size"])
        for period, value in enumerate(cohort["values"]):
            rows.append(
                {
                    "cohort": str(cohort["date"]),
                    "cohort_size": size,
                    "period": period,
                    "persons": int(value["count"]),
                    "rate": float(value["rate"]),
                }
            )
    return pd.DataFrame(rows, columns=["cohort", "cohort_size", "period", "persons", "rate"])


def retention_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The cohort grid as people read it: a row per cohort, its size, then the rate (%) of each period."""
    if frame.empty:
        return pd.DataFrame(columns=["cohort", "persons"])
    grid = frame.pivot(index=["cohort", "cohort_size"], columns="period", values="rate") * 100
    grid.columns = [f"period {period}" for period in grid.columns]
    grid = grid.round(1).reset_index().rename(columns={"cohort_size": "persons"})
    return grid


# Pipeline health -------------------------------------------------------------------------------------------------


def lag_frame(partitions: list[tuple[int, int, int]]) -> pd.DataFrame:
    """Per partition: the group's committed offset (-1: none yet), the topic's end, and the lag between."""
    rows = [
        {"partition": p, "committed": committed, "end": end, "lag": end - max(committed, 0)}
        for p, committed, end in partitions
    ]
    return pd.DataFrame(rows, columns=["partition", "committed", "end", "lag"])


def per_minute(frame: pd.DataFrame, time: str, value: str, minutes: int, now: datetime | None = None) -> pd.DataFrame:
    """Values per minute for each of the last ``minutes`` minutes up to now, 0 where the frame has none.

    ``time`` holds naive UTC times (as sql_frame gives them); the result's are UTC-aware, so a chart shows
    them as UTC whatever the browser's zone; ``label`` is the minute as HH:MM.
    """
    end = pd.Timestamp(now or datetime.now(UTC)).tz_convert("UTC").floor("min")
    index = pd.date_range(end=end, periods=minutes, freq="min")
    series = frame.set_index(time)[value] if not frame.empty else pd.Series(dtype=float)
    series.index = pd.to_datetime(series.index).tz_localize("UTC") if len(series) else index[:0]
    filled = series.groupby(level=0).sum().reindex(index, fill_value=0.0).astype(float)
    result = pd.DataFrame({time: index, value: filled.to_numpy()})
    result["label"] = result[time].dt.strftime("%H:%M")
    return result


def age_seconds(timestamp: float | None, now: datetime | None = None) -> float | None:
    if timestamp is None:
        return None
    now = now or datetime.now(UTC)
    return max(0.0, now.timestamp() - timestamp)
