"""Trends explorer: events over time, with a measure, an interval, a date range, a breakdown and compare."""

import streamlit as st

from streamlit_app import queries, shaping, ui

MATHS = {
    "total": "Total events",
    "dau": "Unique users",
    "weekly_active": "Weekly active users",
    "monthly_active": "Monthly active users",
    "sum": "Sum of a property",
    "avg": "Average of a property",
    "min": "Minimum of a property",
    "max": "Maximum of a property",
    "median": "Median of a property",
    "p90": "90th percentile of a property",
    "p99": "99th percentile of a property",
}
PROPERTY_MATHS = {"sum", "avg", "min", "max", "median", "p90", "p99"}
INTERVALS = ["hour", "day", "week", "month"]
ALL_EVENTS = "All events"

ctx = ui.context()
st.title("Trends")

names = ui.events(ctx)
options = [ALL_EVENTS, *names]
default = ["$pageview"] if "$pageview" in names else options[:1]

with st.container(border=True):
    top = st.columns([3, 2, 2])
    chosen = top[0].multiselect("Events", options, default=default, key="events", help="One series each")
    math = top[1].selectbox("Measure", list(MATHS), format_func=MATHS.get, key="math")
    math_property = None
    if math in PROPERTY_MATHS:
        keys = ui.property_keys(ctx)
        math_property = top[2].selectbox(
            "Numeric property", keys, index=keys.index("amount") if "amount" in keys else 0, key="math_property"
        )
    else:
        top[2].selectbox("Numeric property", ["—"], disabled=True, key="math_property_off")
    row = st.columns([2, 2, 2, 2, 2], vertical_alignment="bottom")
    range_name = row[0].selectbox("Date range", list(ui.DATE_RANGES), index=3, key="range")
    interval = row[1].selectbox("Interval", INTERVALS, index=1, key="interval")
    breakdown = row[2].selectbox(
        "Breakdown by property", ["(none)", *ui.property_keys(ctx)], key="breakdown", help="The top 10 values"
    )
    compare = row[3].toggle("Compare", key="compare", help="Also draw the period of the same length before")
    chart_kind = row[4].segmented_control("Chart", ["line", "bar", "area"], default="line", key="chart")

if not chosen:
    st.info("Pick at least one event.")
    st.stop()

body = queries.trends(
    [None if name == ALL_EVENTS else name for name in chosen],
    math,
    math_property,
    ui.DATE_RANGES[range_name],
    None,
    interval,
    None if breakdown == "(none)" else breakdown,
    compare,
)
answer = ui.fetch(ctx, body, "the trend")
if answer is not None:
    results = answer["results"]
    if not results:
        st.info("Nothing matched: no event of these in the range.")
    else:
        totals = shaping.trends_totals(results)
        metric_columns = st.columns(min(4, len(totals)))
        for column, row_data in zip(metric_columns, totals.head(len(metric_columns)).itertuples(), strict=False):
            column.metric(row_data.series, ui.number(row_data.total), border=True)
        ui.show_chart(ui.trends_chart(shaping.trends_frame(results), chart_kind or "line"))
        ui.source_caption(answer)
        with st.expander("Totals per series"):
            st.dataframe(totals, hide_index=True, key="totals")
        with st.expander("The query"):
            st.json(body)

ui.done_refreshing()
