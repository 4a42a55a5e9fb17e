-- Fails for each project, UTC day and event that events_hourly counts fewer times than the events table holds:
-- the view saw every insert, the catch-up every earlier row, and a retried insert (same token) neither twice.
-- More is not a failure: an event a client sent twice (a retry after a lost answer, same uuid, another
-- insert) is counted twice by the view, while the events table folds the two rows into one as its parts
-- merge (docs/MODELS.md). Exact equality is tested on controlled data (tests/integration/models).
-- Days before a project's oldest stored event are skipped: retention (a TTL) deletes events, not rollups.
{{ config(meta={'dagster': {'ref': {'name': 'events_hourly'}}}) }}  {#- Dagster: its check #}
with
    raw as (
        select project_id, toDate(timestamp) as day, event, count() as events
        from {{ source('clickpath', 'events') }}
        group by project_id, day, event
    ),
    rollup as (
        select project_id, toDate(hour) as day, event, sum(events) as events
        from {{ ref('events_hourly') }}
        group by project_id, day, event
    ),
    -- a project with no stored event gets 1970-01-01 (a LEFT JOIN fills defaults): nothing of it is skipped
    oldest as (select project_id, min(day) as oldest_day from raw group by project_id)
select counts.project_id, counts.day, counts.event, sum(raw_events) as raw, sum(rollup_events) as rollup
from (
    select project_id, day, event, events as raw_events, 0 as rollup_events from raw
    union all
    select project_id, day, event, 0 as raw_events, events as rollup_events from rollup
) as counts
left join oldest on oldest.project_id = counts.project_id
where counts.day >= oldest.oldest_day
group by counts.project_id, counts.day, counts.event
having rollup < raw
