"""SQL explorer: a SELECT over the project's `events` and `persons`, as a table, a chart and a CSV file."""

import altair as alt
import streamlit as st

from streamlit_app import client as api
from streamlit_app import queries, shaping, ui

EXAMPLE = """SELECT toDate(timestamp) AS day, event, count() AS events
FROM events
WHERE timestamp >= toStartOfDay(now()) - INTERVAL 13 DAY
  AND event IN ('$pageview', 'add_to_cart', 'purchase')
GROUP BY day, event
ORDER BY day, event"""

ctx = ui.context()
st.title("SQL explorer")
st.caption(
    "ClickHouse SQL over the tables `events` and `persons` of this project only "
    "(docs/QUERIES.md: one SELECT, no table functions, at most 10 000 rows)."
)

with st.form("sql_form", border=True):
    text = st.text_area("Query", value=EXAMPLE, height=200, key="sql")
    submitted = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:")
if submitted:
    st.session_state["ran_sql"] = text

ran = st.session_state.get("ran_sql", EXAMPLE)
try:
    answer = ui.query(ctx, queries.sql(ran))
except api.ApiError as exc:
    st.error(f"The query was refused: {exc.message}" if exc.status in (400, 422) else f"The query failed: {exc}")
    st.stop()

result = answer["results"]
frame = shaping.sql_frame(result)
summary = f"{len(frame):,} row{'s' if len(frame) != 1 else ''}"
if result.get("truncated"):
    summary += " (cut at the row limit)"
st.caption(f"{summary} · {answer.get('took_ms', 0):.0f} ms · {'cached' if answer.get('cached') else 'computed'}")

chart, table = st.tabs(["Chart", "Table"])
with chart:
    x, numeric = shaping.chart_columns(result)
    if x is None or not numeric or frame.empty:
        st.info("A chart needs a time or text column and a numeric column: the answer is in the Table tab.")
    else:
        texts = [c for c in frame.columns if c not in (x, *numeric)]
        x_is_time = shaping.is_time(result["types"][list(frame.columns).index(x)])
        row = st.columns(3)
        y = row[0].selectbox("Value", numeric, key="chart_y")
        color = row[1].selectbox("Colour by", ["(none)", *texts], index=1 if texts else 0, key="chart_color")
        mark = row[2].segmented_control(
            "Kind", ["line", "bar"], default="line" if x_is_time else "bar", key="chart_kind"
        )
        # plain field names: Vega-Lite reads dots, brackets and "count()" in a name as something else
        safe = {name: f"c{index}" for index, name in enumerate(frame.columns)}
        plot = frame.rename(columns=safe)
        encoding = {
            "x": alt.X(f"{safe[x]}:{'T' if x_is_time else 'N'}", title=x),
            "y": alt.Y(f"{safe[y]}:Q", title=y),
            "tooltip": [alt.Tooltip(f"{safe[name]}:N", title=name) for name in frame.columns],
        }
        if color != "(none)":
            encoding["color"] = alt.Color(f"{safe[color]}:N", title=color, scale=alt.Scale(scheme=ui.PALETTE))
        drawn = alt.Chart(plot).mark_bar() if mark == "bar" else alt.Chart(plot).mark_line(point=True)
        ui.show_chart(drawn.encode(**encoding).properties(height=380))
with table:
    dates = {
        name: st.column_config.DateColumn(name)
        for name, kind in zip(frame.columns, result["types"], strict=True)
        if shaping.is_time(kind) and not shaping.is_numeric(kind) and "DateTime" not in kind
    }
    st.dataframe(frame, hide_index=True, column_config=dates, key="sql_result")
st.download_button(
    "Download CSV", shaping.to_csv(frame), file_name="clickpath-query.csv", mime="text/csv",
    icon=":material/download:", key="csv",
)  # fmt: skip

ui.done_refreshing()
