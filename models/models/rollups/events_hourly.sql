-- Per project, event and UTC hour: how many events, and which persons did them. ClickHouse runs this query
-- on every block inserted into events and adds the result to the table (AggregatingMergeTree sums `events`
-- and merges the `persons` states as parts merge): read with sum(events) and uniqMerge(persons), grouped.
-- Persons are resolved as of the insert, reading the mapping only for the block's distinct ids
-- (docs/MODELS.md, "Live rollups").
{{ config(order_by='(project_id, event, hour)', partition_by='toYYYYMM(hour)') }}

select
    events.project_id as project_id,
    events.event as event,
    toStartOfHour(toDateTime(events.timestamp, 'UTC')) as hour,
    sumSimpleState(toUInt64(1)) as events,
    uniqState({{ person_id('events.project_id', 'events.distinct_id') }}) as persons
from {{ source('clickpath', 'events') }} as events
{{ join_person_mapping('events', only_ids_in=source('clickpath', 'events')) }}
group by project_id, event, hour
