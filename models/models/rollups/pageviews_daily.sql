-- Per project, UTC day and path: pageviews and the persons who viewed it, kept live as events_hourly is
-- (read with sum(pageviews) and uniqMerge(visitors), grouped).
{{ config(order_by='(project_id, day, pathname)', partition_by='toYYYYMM(day)') }}

with {{ properties_tuple([('$pathname', 'pathname')], 'events.properties') }} as parsed_properties
select
    events.project_id as project_id,
    toDate(events.timestamp) as day,
    {{- property_columns([('$pathname', 'pathname')], 'parsed_properties') }},
    sumSimpleState(toUInt64(1)) as pageviews,
    uniqState({{ person_id('events.project_id', 'events.distinct_id') }}) as visitors
from {{ source('clickpath', 'events') }} as events
{{ join_person_mapping('events', only_ids_in=source('clickpath', 'events')) }}
where events.event = '$pageview'
group by project_id, day, pathname
