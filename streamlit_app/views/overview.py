"""Overview: DAU, WAU, MAU and events today, their last 30 days, the top events and the top pages."""

import streamlit as st

from streamlit_app import queries, shaping, ui

ctx = ui.context()
st.title("Overview")
st.caption(f"{ctx.project['name']} · today is the last day in the project's time zone ({ctx.project['timezone']})")

activity = ui.fetch(ctx, queries.overview_activity(), "the activity trends")
if activity is not None:
    metrics = shaping.overview_metrics(activity["results"])
    columns = st.columns(len(shaping.OVERVIEW_SERIES))
    labels = {"Events": "Events today", "DAU": "Daily active users", "WAU": "Weekly active users",
              "MAU": "Monthly active users"}  # fmt: skip
    for column, name in zip(columns, shaping.OVERVIEW_SERIES, strict=True):
        metric = metrics[name]
        column.metric(
            labels[name],
            ui.number(float(metric["today"] or 0)),
            shaping.delta(float(metric["today"] or 0), metric["yesterday"]),
            border=True,
            help=f"{name} on {metric['day']}, from the query API's trends ({queries.OVERVIEW_MATH[name]})",
        )
    frame = shaping.trends_frame(activity["results"])
    left, right = st.columns(2)
    with left:
        st.subheader("Active users, last 30 days")
        users = frame[frame["series"].isin(["DAU", "WAU", "MAU"])]
        ui.show_chart(ui.trends_chart(users, "line", height=300))
    with right:
        st.subheader("Events per day")
        ui.show_chart(ui.trends_chart(frame[frame["series"] == "Events"], "bar", height=300))
    ui.source_caption(activity)

left, right = st.columns(2)
with left:
    st.subheader("Top events, last 7 days")
    answer = ui.fetch(ctx, queries.top_events(), "the top events")
    if answer is not None:
        top = shaping.sql_frame(answer["results"])
        if top.empty:
            st.info("No events in the last 7 days.")
        else:
            ui.show_chart(ui.bar_chart(top, "event", "events"))
            with st.expander("As a table"):
                st.dataframe(top, hide_index=True, key="top_events")
with right:
    st.subheader("Top pages, last 7 days")
    answer = ui.fetch(ctx, queries.top_pages(), "the top pages")
    if answer is not None:
        pages = shaping.top_pages(answer["results"])
        if pages.empty:
            st.info("No pageviews in the last 7 days.")
        else:
            ui.show_chart(ui.bar_chart(pages, "page", "pageviews"))
            with st.expander("As a table"):
                st.dataframe(pages, hide_index=True, key="top_pages")

ui.done_refreshing()
