-- Warns for each project and day in person_daily_activity whose events differ from the events table's:
-- events that arrived after the day was last built (later than the 2 days a plain run rebuilds) wait for
-- a rebuild of their day (docs/MODELS.md, "Daily models").
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'person_daily_activity'}}}) }}  {#- Dagster: its check #}

select project_id, day, sum(raw_events) as raw, sum(activity_events) as activity
from (
    select project_id, toDate(timestamp) as day, count() as raw_events, 0 as activity_events
    from {{ source('clickpath', 'events') }}
    where (project_id, toDate(timestamp)) in (select project_id, day from {{ ref('person_daily_activity') }})
    group by project_id, day
    union all
    select project_id, day, 0 as raw_events, sum(events) as activity_events
    from {{ ref('person_daily_activity') }}
    group by project_id, day
)
group by project_id, day
having raw != activity
