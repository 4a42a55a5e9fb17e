"""Retention: cohorts of the persons who did an event, and the share of them who came back in each period."""

import altair as alt
import streamlit as st

from streamlit_app import client as api
from streamlit_app import queries, shaping, ui

PERIODS = {"day": "Day", "week": "Week", "month": "Month"}
TYPES = {"first_time": "First time", "recurring": "Recurring (every time)"}

ctx = ui.context()
st.title("Retention")

names = ui.events(ctx)
with st.container(border=True):
    row = st.columns([3, 3, 2, 2, 2])
    target = row[0].selectbox(
        "Cohort: persons who did", names, index=names.index("$pageview") if "$pageview" in names else 0, key="target"
    )
    returning = row[1].selectbox("Came back: persons who did", ["(the same event)", *names], key="returning")
    period = row[2].selectbox("Period", list(PERIODS), format_func=PERIODS.get, key="period")
    intervals = row[3].number_input("Periods", min_value=2, max_value=60, value=8, key="intervals")
    kind = row[4].selectbox("Cohort by", list(TYPES), format_func=TYPES.get, key="retention_type")

if not names:
    st.info("This project has no events yet.")
    st.stop()

body = queries.retention(target, None if returning == "(the same event)" else returning, period, int(intervals), kind)
try:
    answer = ui.query(ctx, body)
except api.ApiError as exc:
    if exc.unknown_kind:
        st.warning(
            "Retention is not available: the query API at "
            f"{ctx.connection.api_url} does not answer `retention` queries yet (it said: {exc.message})."
        )
    else:
        st.error(f"Could not load the retention: {exc}")
    st.stop()

frame = shaping.retention_frame(answer["results"])
if frame.empty or int(frame["cohort_size"].sum()) == 0:
    st.info("Nobody did the cohort's event in these periods.")
    st.stop()

later = frame[frame["period"] == 1]
weighted = (later["persons"].sum() / later["cohort_size"].sum()) if not later.empty else 0.0
columns = st.columns(3)
columns[0].metric("Persons in the cohorts", f"{int(frame[frame['period'] == 0]['persons'].sum()):,}", border=True)
columns[1].metric(f"Back after one {period}", f"{100 * weighted:.1f}%", border=True,
                  help="Of the cohorts that have had that period, weighted by their size")  # fmt: skip
columns[2].metric("Cohorts", f"{frame['cohort'].nunique()}", border=True)

base = alt.Chart(frame).encode(
    x=alt.X("period:O", title=f"{PERIODS[period]}s later", axis=alt.Axis(labelAngle=0)),
    y=alt.Y("cohort:O", title=None, sort="ascending"),
    tooltip=[
        alt.Tooltip("cohort:N"),
        alt.Tooltip("cohort_size:Q", title="cohort size", format=","),
        alt.Tooltip("period:O"),
        alt.Tooltip("persons:Q", format=","),
        alt.Tooltip("rate:Q", format=".1%"),
    ],
)
cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
    color=alt.Color("rate:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), legend=alt.Legend(format="%"))
)
labels = base.mark_text(fontSize=12).encode(
    text=alt.Text("rate:Q", format=".0%"),
    color=alt.condition(alt.datum.rate > 0.5, alt.value("white"), alt.value("#1f2d3d")),
)
ui.show_chart((cells + labels).properties(height=max(220, 34 * frame["cohort"].nunique())))
ui.source_caption(answer)
grid = shaping.retention_table(frame)
percent = {name: st.column_config.NumberColumn(format="%.1f%%") for name in grid.columns if name.startswith("period")}
st.dataframe(grid, hide_index=True, column_config=percent, key="retention_table")

ui.done_refreshing()
