"""Funnels: the persons who did each step in order within a window, conversion and time to convert."""

import altair as alt
import streamlit as st

from streamlit_app import queries, shaping, ui

WINDOWS = {"1 hour": 3600, "1 day": 86400, "7 days": 7 * 86400, "14 days": 14 * 86400, "30 days": 30 * 86400}
SHOP_FUNNEL = ["$pageview", "product_viewed", "add_to_cart", "checkout_started", "purchase"]

ctx = ui.context()
st.title("Funnels")

names = ui.events(ctx)
default = [step for step in SHOP_FUNNEL if step in names] or names[:2]
with st.container(border=True):
    steps = st.multiselect(
        "Steps, in order", names, default=default, max_selections=10, key="steps", help="2 to 10 events"
    )
    row = st.columns(3)
    range_name = row[0].selectbox("Date range", list(ui.DATE_RANGES), index=3, key="range")
    window = row[1].selectbox("Conversion window", list(WINDOWS), index=1, key="window")
    breakdown = row[2].selectbox("Breakdown by property of the first step", ["(none)", *ui.property_keys(ctx)],
                                 key="breakdown")  # fmt: skip

if len(steps) < 2:
    st.info("Pick at least two steps.")
    st.stop()

body = queries.funnel(
    steps, WINDOWS[window], ui.DATE_RANGES[range_name], None, None if breakdown == "(none)" else breakdown
)
answer = ui.fetch(ctx, body, "the funnel")
if answer is not None:
    frame = shaping.funnel_frame(answer["results"])
    overall = frame[frame["breakdown"] == frame["breakdown"].iloc[0]] if not frame.empty else frame
    if frame.empty or int(overall["persons"].iloc[0]) == 0:
        st.info("Nobody did the first step in this range.")
    else:
        last = overall.iloc[-1]
        columns = st.columns(3)
        columns[0].metric("Entered the funnel", f"{int(overall['persons'].iloc[0]):,}", border=True)
        columns[1].metric("Completed it", f"{int(last['persons']):,}", border=True)
        columns[2].metric("Conversion", f"{last['conversion_from_first_pct']:.1f}%", border=True)

        broken_down = bool(frame["breakdown"].ne("").any())
        base = alt.Chart(frame).encode(
            x=alt.X("name:N", sort=list(frame["name"].unique()), title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("persons:Q", title="persons"),
            tooltip=["name", "breakdown", "persons", "conversion_from_first_pct", "conversion_from_previous_pct",
                     "median_time_to_convert"],
        )  # fmt: skip
        if broken_down:
            bars = base.mark_bar().encode(xOffset="breakdown:N", color=alt.Color("breakdown:N", title=None))
            chart = bars
        else:
            bars = base.mark_bar(color="#4c78a8", cornerRadiusTopLeft=3, cornerRadiusTopRight=3)
            labels = (
                base.transform_calculate(label="format(datum.conversion_from_first_pct, '.1f') + '%'")
                .mark_text(dy=-8, fontWeight="bold")
                .encode(text="label:N")
            )
            chart = bars + labels
        ui.show_chart(chart.properties(height=380))
        ui.source_caption(answer)
        st.dataframe(frame, hide_index=True, key="steps_table")

        with st.expander("Who dropped off"):
            step = st.selectbox(
                "Dropped off before step",
                list(range(2, len(steps) + 1)),
                format_func=lambda n: f"{n}. {steps[n - 1]}",
                key="drop_off_step",
            )
            persons = ui.fetch(ctx, queries.funnel_persons(body, step), "the persons who dropped off")
            if persons is not None:
                rows = [{"person_id": p["person_id"], "distinct_ids": ", ".join(p["distinct_ids"])}
                        for p in persons["results"]]  # fmt: skip
                st.caption(f"The first {len(rows)} (at most 100), by person id")
                st.dataframe(rows, hide_index=True, key="dropped")

ui.done_refreshing()
