"""Each page of the Streamlit app run by Streamlit's AppTest against the test session's stack.

A page must run without an exception, and every number it shows must be the query API's answer to the
same question, asked here directly (the bodies come from streamlit_app/queries.py, the shaping from
streamlit_app/shaping.py; what is checked is that the page shows them, and shows them right).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from streamlit_app import health, queries, shaping
from streamlit_app.client import ApiError
from streamlit_app.ui import number
from tests.integration.streamlit.conftest import Analyst
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

VIEWS = Path(__file__).resolve().parents[3] / "streamlit_app" / "views"
TIMEOUT_S = 120


def page(name: str) -> AppTest:
    app = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=TIMEOUT_S)
    return app.run()


def ask(analyst: Analyst, body: dict[str, Any]) -> list[Any]:
    with analyst.client() as client:
        answer = client.query(analyst.project_id, body)
    return answer["results"]  # type: ignore[no-any-return]


def clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def table(app: AppTest, *columns: str) -> pd.DataFrame:
    """The table shown with these columns (a dataframe element of AppTest does not keep its key)."""
    shown = [frame.value for frame in app.dataframe]
    for frame in shown:
        if list(frame.columns) == list(columns):
            return frame.reset_index(drop=True)
    raise AssertionError(f"no table of {columns}; tables: {[list(frame.columns) for frame in shown]}")


def shows(app: AppTest, expected: pd.DataFrame) -> pd.DataFrame:
    """The table of the expected one's columns, checked equal to it."""
    shown = table(app, *expected.columns)
    pd.testing.assert_frame_equal(shown, expected.reset_index(drop=True), check_dtype=False)
    return shown


def test_overview(app_env: Analyst) -> None:
    app = page("overview")
    clean(app)
    expected = shaping.overview_metrics(ask(app_env, queries.overview_activity()))
    shown = metrics(app)
    assert shown == {
        "Events today": number(expected["Events"]["today"]),
        "Daily active users": number(expected["DAU"]["today"]),
        "Weekly active users": number(expected["WAU"]["today"]),
        "Monthly active users": number(expected["MAU"]["today"]),
    }
    assert expected["MAU"]["today"] > 0  # the generated month has visitors up to now
    shows(app, shaping.sql_frame(ask(app_env, queries.top_events())))
    pages = shows(app, shaping.top_pages(ask(app_env, queries.top_pages())))
    assert "/" in set(pages["page"]) and len(pages) <= queries.TOP_LIMIT


def test_trends_default_and_changed(app_env: Analyst) -> None:
    app = page("trends")
    clean(app)
    body = queries.trends(["$pageview"], "total", None, "-30d", None, "day", None, False)
    results = ask(app_env, body)
    assert metrics(app) == {"$pageview": number(results[0]["count"])}
    assert results[0]["count"] > 0

    # two events, unique users, by week, broken down by browser, over two weeks against the two before
    app.multiselect(key="events").set_value(["$pageview", "purchase"])
    app.selectbox(key="range").set_value("Last 14 days")
    app.selectbox(key="math").set_value("dau")
    app.selectbox(key="interval").set_value("week")
    app.selectbox(key="breakdown").set_value("$browser")
    app.toggle(key="compare").set_value(True)
    app.run()
    clean(app)
    body = queries.trends(["$pageview", "purchase"], "dau", None, "-14d", None, "week", "$browser", True)
    shows(app, shaping.trends_totals(ask(app_env, body)))
    assert any("(previous period)" in name for name in table(app, "series", "event", "math", "total")["series"])

    # a sum of a property: the purchases' amounts
    app.multiselect(key="events").set_value(["purchase"])
    app.selectbox(key="math").set_value("sum")
    app.selectbox(key="breakdown").set_value("(none)")
    app.toggle(key="compare").set_value(False)
    app.run()
    clean(app)
    body = queries.trends(["purchase"], "sum", "amount", "-14d", None, "week", None, False)
    [revenue] = ask(app_env, body)
    assert metrics(app) == {"purchase": number(revenue["count"])} and revenue["count"] > 0


def test_funnels(app_env: Analyst) -> None:
    app = page("funnels")
    clean(app)
    steps = ["$pageview", "product_viewed", "add_to_cart", "checkout_started", "purchase"]
    assert app.multiselect(key="steps").value == steps
    results = ask(app_env, queries.funnel(steps, 86400, "-30d", None, None))
    expected = shaping.funnel_frame(results)
    shows(app, expected)
    assert metrics(app) == {
        "Entered the funnel": f"{results[0]['count']:,}",
        "Completed it": f"{results[-1]['count']:,}",
        "Conversion": f"{100 * results[-1]['conversion_from_first']:.1f}%",
    }
    assert results[0]["count"] > results[-1]["count"] > 0
    dropped = ask(app_env, queries.funnel_persons(queries.funnel(steps, 86400, "-30d", None, None), 2))
    shown = table(app, "person_id", "distinct_ids")
    assert list(shown["person_id"]) == [p["person_id"] for p in dropped] and len(dropped) > 0


def test_retention(app_env: Analyst) -> None:
    app = page("retention")
    assert not app.exception, [e.value for e in app.exception]
    body = queries.retention("$pageview", None, "day", 8, "first_time")
    try:
        results = ask(app_env, body)
    except ApiError as exc:  # an API without the retention runner: the page says so instead
        assert exc.unknown_kind, exc
        assert any("not available" in w.value for w in app.warning), [w.value for w in app.warning]
        return
    clean(app)
    frame = shaping.retention_frame(results)
    shows(app, shaping.retention_table(frame))
    assert metrics(app)["Persons in the cohorts"] == f"{int(frame[frame['period'] == 0]['persons'].sum()):,}"
    assert metrics(app)["Cohorts"] == str(len(results)) and len(results) == 8

    app.selectbox(key="period").set_value("week")
    app.number_input(key="intervals").set_value(4)
    app.run()
    clean(app)
    weekly = ask(app_env, queries.retention("$pageview", None, "week", 4, "first_time"))
    shows(app, shaping.retention_table(shaping.retention_frame(weekly)))


def test_sql_explorer(app_env: Analyst) -> None:
    app = page("sql")
    clean(app)
    text = "SELECT event, count() AS events, sum(JSONExtractFloat(properties, 'amount')) AS amount FROM events " \
           "GROUP BY event ORDER BY events DESC, event"  # fmt: skip
    app.text_area(key="sql").input(text)
    app.button[0].click()
    app.run()
    clean(app)
    answer = ask(app_env, queries.sql(text))
    shown = shows(app, shaping.sql_frame(answer))
    assert int(shown["events"].sum()) == app_env.events
    assert app.get("download_button"), "no CSV download"

    # a refused query is shown as what the API said, not as an exception
    app.text_area(key="sql").input("SELECT * FROM system.tables")
    app.button[0].click()
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("refused" in e.value for e in app.error), [e.value for e in app.error]


def test_pipeline_health(app_env: Analyst, stack: Stack) -> None:
    app = page("pipeline")
    clean(app)
    shown = metrics(app)
    offsets = health.read_offsets(stack.settings)
    letters = health.dead_letters(stack.settings)
    assert shown["Consumer lag"] == f"{offsets.lag:,} events"
    assert shown["Dead letters"] == f"{letters.total:,}"
    lag = table(app, "partition", "committed", "end", "lag")
    assert list(lag["partition"]) == list(range(stack.settings.kafka_partitions))
    assert list(lag["end"]) == [end for _, _, end in offsets.partitions]
    freshness = next(frame.value for frame in app.dataframe if "asset" in frame.value.columns)
    dbt_assets = {asset.key for asset in health.assets(stack.settings)}
    assert set(freshness["asset"]) == dbt_assets and {"sessions", "funnels"} <= dbt_assets
    # the session's `up` built every model minutes ago: ClickHouse's last write dates it, though Dagster never ran
    built = freshness[freshness["rows"].fillna(0) > 0]
    assert not built.empty and set(built["status"]) == {"fresh"}, freshness.to_dict("records")


def test_no_key_says_how_to_connect(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKPATH_HOME", str(tmp_path))  # no demo.json there
    monkeypatch.setenv("CLICKPATH_PORT_OFFSET", str(stack.offset))
    monkeypatch.delenv("CLICKPATH_STREAMLIT_PERSONAL_KEY", raising=False)
    app = page("overview")
    assert not app.exception
    assert any("CLICKPATH_STREAMLIT_PERSONAL_KEY" in e.value for e in app.error), [e.value for e in app.error]


def test_wrong_key_is_reported(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKPATH_HOME", str(stack.home))
    monkeypatch.setenv("CLICKPATH_PORT_OFFSET", str(stack.offset))
    monkeypatch.setenv("CLICKPATH_STREAMLIT_PERSONAL_KEY", "phx_not-a-real-key")
    app = page("trends")
    assert not app.exception
    assert any("refused the key" in e.value for e in app.error), [e.value for e in app.error]
