"""Pipeline health: consumer lag per partition, events per second, dead letters, freshness of each dbt asset.

Kafka and Dagster are read straight from the stack's settings (streamlit_app/health.py); the project's own
ingestion rate comes from the query API. The live part refreshes itself every few seconds.
"""

import time

import altair as alt
import pandas as pd
import streamlit as st

from streamlit_app import health, queries, shaping, ui

REFRESH_S = 5

ctx = ui.context()
settings = ui.settings()
st.title("Pipeline health")
st.caption(
    f"Topic `{settings.kafka_events_topic}`, consumer group `{settings.consumer_group}`, dead letters in "
    f"`{settings.kafka_dlq_topic}`; refreshes every {REFRESH_S} s."
)


@st.fragment(run_every=REFRESH_S)
def live() -> None:
    try:
        now = health.read_offsets(settings)
        previous = st.session_state.get("offsets")
        if previous is None or now.at - previous.at < 0.5:
            time.sleep(1.0)  # the first look: two readings a second apart give a rate at once
            previous, now = now, health.read_offsets(settings)
        st.session_state["offsets"] = now
        captured, stored = health.per_second(previous, now)
    except Exception as exc:  # Kafka unreachable, topic missing: say so, keep the rest of the page
        st.error(f"Cannot read the events topic's offsets from Kafka: {exc}")
        return
    try:
        letters = health.dead_letters(settings)
        letters_text, pending = f"{letters.total:,}", f"{letters.pending:,} not replayed"
    except Exception as exc:
        letters_text, pending = "?", f"unreadable: {exc}"

    columns = st.columns(4)
    columns[0].metric(
        "Consumer lag",
        f"{now.lag:,} events",
        border=True,
        help="Events in the topic the group has not committed (one batch in flight is normal)",
    )
    columns[1].metric(
        "Captured per second", f"{captured:,.1f}", border=True, help="How fast the end of the events topic moves"
    )
    columns[2].metric(
        "Stored per second",
        f"{stored:,.1f}",
        border=True,
        help="How fast the consumer group commits (after ClickHouse acknowledged)",
    )
    columns[3].metric("Dead letters", letters_text, pending, delta_color="off", delta_arrow="off", border=True,
                      help="Messages the consumer could not store; `clickpath dlq list` shows them")  # fmt: skip

    lag = shaping.lag_frame(now.partitions)
    st.subheader("Consumer lag per partition")
    chart = (
        alt.Chart(lag)
        .mark_bar(color="#e45756")
        .encode(
            x=alt.X("partition:O", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "lag:Q",
                title="events behind",
                scale=alt.Scale(domain=[0, max(10, int(lag["lag"].max()))]),
                axis=alt.Axis(format=",d"),
            ),
            tooltip=["partition", "committed", "end", "lag"],
        )
    )
    ui.show_chart(chart.properties(height=220))
    st.dataframe(lag, hide_index=True, key="lag_table")


live()

st.subheader(f"Events received by {ctx.project['name']}, last hour")
answer = ui.fetch(ctx, queries.events_per_minute(), "the ingestion rate")
if answer is not None:
    rate = shaping.per_minute(shaping.sql_frame(answer["results"]), "minute", "events_per_second", 60)
    if rate["events_per_second"].sum() == 0:
        st.info("No event received in the last hour.")
    else:
        chart = (
            alt.Chart(rate)
            .mark_area(line=True, opacity=0.3, interpolate="step-after")
            .encode(
                x=alt.X("minute:T", title="UTC", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%H:%M")),
                y=alt.Y("events_per_second:Q", title="events per second"),
                tooltip=[
                    alt.Tooltip("label:N", title="minute (UTC)"),
                    alt.Tooltip("events_per_second:Q", format=",.2f"),
                ],
            )
        )
        ui.show_chart(chart.properties(height=200))

st.subheader("Freshness of the dbt assets")
try:
    assets = health.assets(settings)
except Exception as exc:
    st.error(f"Cannot ask Dagster at {health.dagster_url(settings)}: {exc}")
    assets = []
try:
    tables = health.tables(settings)
except Exception as exc:
    st.warning(f"Cannot read ClickHouse's system tables: {exc}")
    tables = {}
rows = []
for asset in assets:
    table = tables.get(asset.key.split("/")[-1])
    dagster_age = shaping.age_seconds(asset.last_materialized)
    write_age = shaping.age_seconds(table.last_write) if table else None
    view = table is not None and table.engine == "View"
    newest = min((age for age in (dagster_age, write_age) if age is not None), default=None)
    if view:
        status = "view: always current"
    elif newest is None:
        status = "never built"
    elif newest <= settings.models_freshness_s:
        status = "fresh"
    else:
        status = "stale"
    rows.append(
        {
            "asset": asset.key,
            "group": asset.group,
            "status": status,
            "materialized by Dagster": shaping.duration(dagster_age) + " ago" if dagster_age is not None else "never",
            "partition": asset.partition or "",
            "last write in ClickHouse": shaping.duration(write_age) + " ago" if write_age is not None else "",
            "rows": table.rows if table and table.rows is not None else None,
            "minutes since update": round(newest / 60, 1) if newest is not None else None,
        }
    )
freshness = pd.DataFrame(rows)
if freshness.empty:
    st.info("Dagster lists no dbt asset.")
else:
    fresh, stale = (freshness["status"] == "fresh").sum(), (freshness["status"].isin(["stale", "never built"])).sum()
    st.caption(
        f"{fresh} fresh, {stale} stale or never built (limit: {settings.models_freshness_s // 60} minutes, "
        "CLICKPATH_MODELS_FRESHNESS_S). Dagster records what its runs built; the first `up` builds with dbt "
        "directly, which only ClickHouse's last write shows."
    )
    dated = freshness.dropna(subset=["minutes since update"])
    if not dated.empty:
        chart = (
            alt.Chart(dated)
            .mark_bar(cornerRadiusEnd=3)
            .encode(
                y=alt.Y("asset:N", sort="x", title=None, axis=alt.Axis(labelLimit=240)),
                x=alt.X("minutes since update:Q", scale=alt.Scale(domainMin=0)),
                color=alt.Color(
                    "status:N", scale=alt.Scale(domain=["fresh", "stale"], range=["#54a24b", "#e45756"]), title=None
                ),
                tooltip=list(dated.columns),
            )
            .properties(height=alt.Step(22))
        )
        ui.show_chart(chart)
    st.dataframe(freshness, hide_index=True, key="freshness_table")

ui.done_refreshing()
