-- Fails for each project, UTC day and path that pageviews_daily counts fewer pageviews for than the events
-- table holds; more is a client's repeat, as in events_hourly_matches_events, whose rules this follows.
{{ config(meta={'dagster': {'ref': {'name': 'pageviews_daily'}}}) }}  {#- Dagster: its check #}
{{ rollup_shortfalls(
    raw="select project_id, day, pathname, count() as n from " ~ ref('stg_events')
        ~ " where event = '$pageview' group by project_id, day, pathname",
    rollup="select project_id, day, pathname, sum(pageviews) as n from " ~ ref('pageviews_daily')
        ~ " group by project_id, day, pathname",
    key="pathname",
) }}
