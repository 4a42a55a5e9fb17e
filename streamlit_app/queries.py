"""The query bodies the pages send (docs/QUERIES.md): plain dicts, so a test sends exactly the same."""

from __future__ import annotations

from typing import Any

OVERVIEW_MATH = {"Events": "total", "DAU": "dau", "WAU": "weekly_active", "MAU": "monthly_active"}
TOP_LIMIT = 10


def overview_activity() -> dict[str, Any]:
    """Events, DAU, WAU and MAU per day over the last 30 days (today is the last bucket)."""
    series = [{"event": None, "math": math, "name": name} for name, math in OVERVIEW_MATH.items()]
    return {"kind": "trends", "series": series, "date_from": "-30d", "interval": "day"}


def top_events(days: int = 7) -> dict[str, Any]:
    sql = (
        "SELECT event, count() AS events, uniq(distinct_id) AS distinct_ids FROM events "
        f"WHERE timestamp >= now() - INTERVAL {int(days)} DAY GROUP BY event ORDER BY events DESC, event "
        f"LIMIT {TOP_LIMIT}"
    )
    return {"kind": "sql", "sql": sql}


def top_pages(date_from: str = "-7d") -> dict[str, Any]:
    """Pageviews broken down by path: the top paths, the rest as $other."""
    return {
        "kind": "trends",
        "series": [{"event": "$pageview", "math": "total"}],
        "date_from": date_from,
        "interval": "day",
        "breakdown": "$pathname",
        "breakdown_limit": TOP_LIMIT,
    }


def trends(
    events: list[str | None],
    math: str,
    math_property: str | None,
    date_from: str,
    date_to: str | None,
    interval: str,
    breakdown: str | None,
    compare: bool,
) -> dict[str, Any]:
    series = []
    for event in events:
        one: dict[str, Any] = {"event": event, "math": math}
        if math_property:
            one["math_property"] = math_property
        if event is None:
            one["name"] = "All events"
        series.append(one)
    body: dict[str, Any] = {"kind": "trends", "series": series, "date_from": date_from, "interval": interval}
    if date_to:
        body["date_to"] = date_to
    if breakdown:
        body["breakdown"] = breakdown
    if compare:
        body["compare"] = True
    return body


def funnel(
    steps: list[str], window_seconds: int, date_from: str, date_to: str | None, breakdown: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "funnel",
        "steps": [{"event": event} for event in steps],
        "window_seconds": window_seconds,
        "date_from": date_from,
    }
    if date_to:
        body["date_to"] = date_to
    if breakdown:
        body["breakdown"] = breakdown
    return body


def funnel_persons(funnel_body: dict[str, Any], drop_off_step: int, limit: int = 100) -> dict[str, Any]:
    body = {key: value for key, value in funnel_body.items() if key != "breakdown"}
    return body | {"kind": "funnel_persons", "drop_off_step": drop_off_step, "limit": limit}


def retention(
    target_event: str, returning_event: str | None, period: str, total_intervals: int, retention_type: str
) -> dict[str, Any]:
    """Cohorts of the persons who did ``target_event`` (their first time, or every time: ``retention_type``)
    in each of the last ``total_intervals`` periods, and how many did ``returning_event`` in each period after."""
    body: dict[str, Any] = {
        "kind": "retention",
        "target_event": target_event,
        "period": period,
        "total_intervals": total_intervals,
        "retention_type": retention_type,
    }
    if returning_event:
        body["returning_event"] = returning_event
    return body


def events_per_minute(minutes: int = 60) -> dict[str, Any]:
    """The project's events received per minute (as events per second) over the last ``minutes``."""
    sql = (
        "SELECT toStartOfMinute(received_at) AS minute, count() / 60 AS events_per_second FROM events "
        f"WHERE received_at >= now() - INTERVAL {int(minutes)} MINUTE GROUP BY minute ORDER BY minute"
    )
    return {"kind": "sql", "sql": sql}


def sql(text: str) -> dict[str, Any]:
    return {"kind": "sql", "sql": text}
