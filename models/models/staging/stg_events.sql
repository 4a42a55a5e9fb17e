-- One row per stored event: the properties queries group and filter by as typed columns, and the event's
-- person resolved against the current mapping. A view, so it costs nothing until read; a reader's filters
-- on project_id and timestamp reach the events table's key through it.
with {{ properties_tuple(event_property_columns(), 'events.properties') }} as parsed_properties
select
    events.uuid as uuid,
    events.project_id as project_id,
    events.event as event,
    events.distinct_id as distinct_id,
    {{ person_id('events.project_id', 'events.distinct_id') }} as person_id,
    events.timestamp as timestamp,
    toDate(events.timestamp) as day,
    events.received_at as received_at,
    {{- property_columns(event_property_columns(), 'parsed_properties') }},
    events.properties as properties
from {{ source('clickpath', 'events') }} as events
{{ join_person_mapping('events') }}
