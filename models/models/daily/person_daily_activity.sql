-- One row per person and UTC day they did anything: the base of DAU/WAU/MAU, retention, lifecycle and
-- stickiness. person_id is resolved when the day is built; distinct_ids lets a reader resolve the day
-- again after persons merged (person_first_seen does).
{{ config(order_by='(project_id, day, person_id)') }}

select
    project_id,
    day,
    person_id,
    count() as events,
    countIf(event = '$pageview') as pageviews,
    min(timestamp) as first_event_at,
    max(timestamp) as last_event_at,
    sumMap(map(toString(event), toUInt64(1))) as event_counts,
    arraySort(groupUniqArray(distinct_id)) as distinct_ids
from {{ ref('stg_events') }}
where {{ in_build_days() }}
group by project_id, day, person_id
