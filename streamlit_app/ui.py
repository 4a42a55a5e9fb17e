"""What every page shares: the sidebar (connection, project, refresh), cached API calls, error display, charts.

Answers are cached with ``st.cache_data`` for ``TTL_S`` seconds, keyed on the API, the key, the project and
the query body; "Refresh data" in the sidebar clears the cache (and asks the API to skip its own).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from infra.settings import Settings
from streamlit_app import client as api

TTL_S = 60
DATE_RANGES = {
    "Last 24 hours": "-24h",
    "Last 7 days": "-7d",
    "Last 14 days": "-14d",
    "Last 30 days": "-30d",
    "Last 90 days": "-90d",
}
PALETTE = "tableau10"


@dataclass(frozen=True)
class Context:
    connection: api.Connection
    project: dict[str, Any]

    @property
    def project_id(self) -> int:
        return int(self.project["id"])


@st.cache_data(ttl=TTL_S, show_spinner=False)
def _projects(api_url: str, key: str) -> list[dict[str, Any]]:
    with api.QueryClient(api_url, key) as http:
        return http.projects()


@st.cache_data(ttl=TTL_S, show_spinner="Asking the query API…")
def _query(api_url: str, key: str, project_id: int, body_json: str) -> dict[str, Any]:
    with api.QueryClient(api_url, key) as http:
        return http.query(project_id, json.loads(body_json))


def settings() -> Settings:
    """Read afresh on each run (cheap), so a changed environment is seen without a restart."""
    return Settings()


def context() -> Context:
    """The sidebar: which API and key, the project picker and the refresh button. Stops the page when the
    API cannot be used, saying why."""
    try:
        connection = api.connection(settings())
    except api.NotConfiguredError as exc:
        st.error(f"Not connected: {exc}")
        st.stop()
    try:
        projects = _projects(connection.api_url, connection.personal_key)
    except api.ApiError as exc:
        st.error(f"The query API at {connection.api_url} refused the key from {connection.key_source}: {exc}")
        st.stop()
    if not projects:
        st.warning("This key can read no project yet: create one in the dashboard, or with the API.")
        st.stop()
    ids = [int(p["id"]) for p in projects]
    default = ids.index(connection.project_id) if connection.project_id in ids else 0
    with st.sidebar:
        chosen = st.selectbox(
            "Project",
            projects,
            index=default,
            format_func=lambda p: f"{p['name']} (#{p['id']})",
            key="project",
        )
        if st.button("Refresh data", icon=":material/refresh:", help="Ask the API again instead of the cache"):
            _query.clear()
            _projects.clear()
            st.session_state["refresh"] = True
        st.caption(f"Query API: {connection.api_url}  \nKey from: {connection.key_source}")
    return Context(connection, chosen)


def query(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """The API's answer to ``body`` for the chosen project (cached); raises api.ApiError."""
    if st.session_state.get("refresh"):
        body = body | {"refresh": True}
    answer = _query(ctx.connection.api_url, ctx.connection.personal_key, ctx.project_id, json.dumps(body))
    return answer


def fetch(ctx: Context, body: dict[str, Any], what: str) -> dict[str, Any] | None:
    """Like query, but an error is shown on the page (what failed, and the API's message) and gives None."""
    try:
        return query(ctx, body)
    except api.ApiError as exc:
        st.error(f"Could not load {what}: {exc}")
        return None


def done_refreshing() -> None:
    """Called at the end of a page: the next run reads the cache again."""
    st.session_state.pop("refresh", None)


def source_caption(answer: dict[str, Any]) -> None:
    cached = "from the cache" if answer.get("cached") else "computed"
    st.caption(f"Source: {answer.get('source')} · {cached} in {answer.get('took_ms', 0):.0f} ms")


def events(ctx: Context) -> list[str]:
    """The project's event names, the most frequent first (for pickers)."""
    body = {"kind": "sql", "sql": "SELECT event, count() AS n FROM events GROUP BY event ORDER BY n DESC LIMIT 500"}
    answer = fetch(ctx, body, "the event names")
    return [str(row[0]) for row in answer["results"]["rows"]] if answer else []


def property_keys(ctx: Context) -> list[str]:
    """Event property names seen in the last 30 days, the most frequent first."""
    sql = (
        "SELECT arrayJoin(JSONExtractKeys(properties)) AS key, count() AS n FROM events "
        "WHERE timestamp >= now() - INTERVAL 30 DAY GROUP BY key ORDER BY n DESC LIMIT 300"
    )
    answer = fetch(ctx, {"kind": "sql", "sql": sql}, "the property names")
    return [str(row[0]) for row in answer["results"]["rows"]] if answer else []


# Charts ------------------------------------------------------------------------------------------------------


def trends_chart(frame: pd.DataFrame, kind: str = "line", height: int = 360) -> alt.Chart:
    """Series over time, one colour each; hovering shows the date, the series and the value."""
    base = alt.Chart(frame).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("value:Q", title=None),
        color=alt.Color(
            "series:N",
            sort=list(frame["series"].unique()),  # the order the series were asked in, not alphabetical
            scale=alt.Scale(scheme=PALETTE),
            legend=alt.Legend(orient="bottom", title=None),
        ),
        tooltip=[
            alt.Tooltip("series:N"),
            alt.Tooltip("period_date:N", title="bucket"),
            alt.Tooltip("value:Q", format=",.2f"),
        ],
    )
    if kind == "bar":
        chart = base.mark_bar().encode(xOffset="series:N")
    elif kind == "area":
        chart = base.mark_area(opacity=0.35, line=True)
    else:
        chart = base.mark_line(point=alt.OverlayMarkDef(size=30), interpolate="monotone")
    return chart.properties(height=height)


def bar_chart(frame: pd.DataFrame, category: str, value: str, height: int = 320) -> alt.Chart:
    """Horizontal bars, the largest on top, each labelled with its value."""
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{category}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X(f"{value}:Q", title=None),
        tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=",")],
    )
    bars = base.mark_bar(color="#4c78a8", cornerRadiusEnd=3)
    labels = base.mark_text(align="left", dx=4, color="#333").encode(text=alt.Text(f"{value}:Q", format=","))
    return (bars + labels).properties(height=height)


def show_chart(chart: alt.Chart) -> None:
    st.altair_chart(chart, width="stretch")


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
