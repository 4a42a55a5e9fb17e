-- Fails for each project, UTC day and path that pageviews_daily counts fewer pageviews for than the events
-- table holds; more is a client's repeat, as in events_hourly_matches_events, whose rules this follows.
{{ config(meta={'dagster': {'ref': {'name': 'pageviews_daily'}}}) }}  {#- Dagster: its check #}
with
    raw as (
        select project_id, day, pathname, count() as pageviews
        from {{ ref('stg_events') }}
        where event = '$pageview'
        group by project_id, day, pathname
    ),
    rollup as (
        select project_id, day, pathname, sum(pageviews) as pageviews
        from {{ ref('pageviews_daily') }}
        group by project_id, day, pathname
    ),
    oldest as (select project_id, min(day) as oldest_day from raw group by project_id)
select counts.project_id, counts.day, counts.pathname, sum(raw_pageviews) as raw, sum(rollup_pageviews) as rollup
from (
    select project_id, day, pathname, pageviews as raw_pageviews, 0 as rollup_pageviews from raw
    union all
    select project_id, day, pathname, 0 as raw_pageviews, pageviews as rollup_pageviews from rollup
) as counts
left join oldest on oldest.project_id = counts.project_id
where counts.day >= oldest.oldest_day
group by counts.project_id, counts.day, counts.pathname
having rollup < raw
