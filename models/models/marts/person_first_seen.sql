-- One row per person: the first UTC day they were active. Rebuilt whole on every run from
-- person_daily_activity, whose days keep the person ids of when they were built: the distinct ids are
-- resolved again against the current mapping, so a merge since then counts as one person here.
{{ config(order_by='(project_id, person_id)') }}

select
    activity.project_id as project_id,
    {{ person_id('activity.project_id', 'activity.distinct_id') }} as person_id,
    min(activity.day) as first_seen_day,
    min(activity.first_event_at) as first_event_at
from (
    select project_id, day, first_event_at, arrayJoin(distinct_ids) as distinct_id
    from {{ ref('person_daily_activity') }}
) as activity
{{ join_person_mapping('activity') }}
group by project_id, person_id
