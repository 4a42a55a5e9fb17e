"""The analyst app's shaping of API answers, on answers written out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd

from infra.settings import Settings
from streamlit_app import client, shaping


def trend(label: str, days: list[str], data: list[float], **extra: object) -> dict[str, object]:
    return {"label": label, "event": label, "math": "total", "days": days, "data": data, "count": sum(data)} | extra


def test_previous_period_is_drawn_over_the_current_one() -> None:
    results = [
        trend("$pageview", ["2026-10-08", "2026-10-09"], [3, 4], compare="current"),
        trend("$pageview", ["2026-10-06", "2026-10-07"], [1, 2], compare="previous"),
    ]
    frame = shaping.trends_frame(results)
    previous = frame[frame["series"] == "$pageview (previous period)"]
    assert list(previous["date"]) == [pd.Timestamp("2026-10-08"), pd.Timestamp("2026-10-09")]
    assert list(previous["period_date"]) == ["2026-10-06", "2026-10-07"] and list(previous["value"]) == [1, 2]
    assert list(shaping.trends_totals(results)["total"]) == [7, 3]


def test_breakdown_labels_and_hours_with_offsets() -> None:
    hours = ["2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+01:00"]
    results = [trend("buy", hours, [1, 0], breakdown_value=""), trend("buy", hours, [2, 2], breakdown_value="$other")]
    frame = shaping.trends_frame(results)
    assert set(frame["series"]) == {"buy · (none)", "buy · other values"}
    assert list(frame["date"][:2]) == [pd.Timestamp("2026-10-25 01:00"), pd.Timestamp("2026-10-25 02:00")]


def test_overview_metrics_and_top_pages() -> None:
    metrics = shaping.overview_metrics([trend("DAU", ["2026-10-08", "2026-10-09"], [5, 7])])
    assert metrics["DAU"] == {"today": 7.0, "yesterday": 5.0, "day": "2026-10-09"}
    assert shaping.delta(7, 5) == "+2 vs yesterday" and shaping.delta(7, None) is None
    pages = [
        trend("$pageview", ["d"], [9], breakdown_value="/"),
        trend("$pageview", ["d"], [50], breakdown_value="$other"),
    ]
    assert shaping.top_pages(pages).to_dict("records") == [{"page": "/", "pageviews": 9}]


def test_sql_frame_types_and_chart_columns() -> None:
    result = {
        "columns": ["day", "event", "count()", "count()"],
        "types": ["Date", "LowCardinality(String)", "UInt64", "Nullable(Float64)"],
        "rows": [["2026-10-08", "buy", "12", 1.5], ["2026-10-09", "buy", "3", None]],
    }
    frame = shaping.sql_frame(result)
    assert list(frame.columns) == ["day", "event", "count()", "count()_2"]
    assert frame["count()"].tolist() == [12, 3] and frame["day"].iloc[0] == pd.Timestamp("2026-10-08")
    assert shaping.chart_columns(result) == ("day", ["count()", "count()_2"])
    assert shaping.to_csv(frame).decode().splitlines()[0] == "day,event,count(),count()_2"


def test_funnel_frame_and_durations() -> None:
    steps = [
        {"step": 1, "name": "$pageview", "event": "$pageview", "breakdown_value": None, "count": 10,
         "conversion_from_first": 1.0, "conversion_from_previous": 1.0, "median_seconds_to_convert": None,
         "average_seconds_to_convert": None},
        {"step": 2, "name": "purchase", "event": "purchase", "breakdown_value": None, "count": 3,
         "conversion_from_first": 0.3, "conversion_from_previous": 0.3, "median_seconds_to_convert": 3725,
         "average_seconds_to_convert": 200000},
    ]  # fmt: skip
    frame = shaping.funnel_frame(steps)
    assert frame["conversion_from_first_pct"].tolist() == [100.0, 30.0]
    assert frame["median_time_to_convert"].tolist() == ["", "1h 2m"]
    assert frame["average_time_to_convert"].tolist() == ["", "2d 7h"]
    assert [shaping.duration(s) for s in (0, 59, 61)] == ["0s", "59s", "1m 1s"]


def test_retention_grid() -> None:
    results = [
        {"date": "2026-10-01", "cohort_size": 4, "values": [{"count": 4, "rate": 1.0}, {"count": 1, "rate": 0.25}]},
        {"date": "2026-10-02", "cohort_size": 2, "values": [{"count": 2, "rate": 1.0}]},
    ]
    grid = shaping.retention_table(shaping.retention_frame(results))
    assert grid.columns.tolist() == ["cohort", "persons", "period 0", "period 1"]
    assert grid["period 1"].tolist()[0] == 25.0 and pd.isna(grid["period 1"].tolist()[1])


def test_per_minute_fills_the_hour_with_zeros() -> None:
    frame = pd.DataFrame({"minute": [pd.Timestamp("2026-10-08 11:58")], "eps": [2.5]})
    filled = shaping.per_minute(frame, "minute", "eps", 3, now=datetime(2026, 10, 8, 11, 59, 30, tzinfo=UTC))
    assert filled["label"].tolist() == ["11:57", "11:58", "11:59"] and filled["eps"].tolist() == [0, 2.5, 0]
    assert str(filled["minute"].dt.tz) == "UTC"


def test_lag_frame() -> None:
    assert shaping.lag_frame([(0, -1, 5), (1, 3, 4)])["lag"].tolist() == [5, 1]


def test_connection_prefers_the_setting_then_demo_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "demo.json").write_text(json.dumps({"demo": {"personal_api_key": "phx_demo", "project_id": 3}}))
    demo = client.connection(Settings(home=tmp_path, port_offset=100))
    assert (demo.api_url, demo.personal_key, demo.project_id) == ("http://127.0.0.1:8101", "phx_demo", 3)
    own = client.connection(Settings(home=tmp_path, streamlit_personal_key="phx_own", api_url="http://api:9/"))
    assert (own.api_url, own.personal_key, own.project_id) == ("http://api:9", "phx_own", None)
