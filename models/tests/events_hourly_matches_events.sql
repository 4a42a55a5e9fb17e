-- Fails for each project, UTC day and event that events_hourly counts fewer times than the events table holds:
-- the view saw every insert, the catch-up every earlier row, and a retried insert (same token) neither twice.
-- More is not a failure: an event a client sent twice (a retry after a lost answer, same uuid, another
-- insert) is counted twice by the view, while the events table folds the two rows into one as its parts
-- merge (docs/MODELS.md). Exact equality is tested on controlled data (tests/integration/models).
-- Days before a project's oldest stored event are skipped (macros/tie_back.sql).
{{ config(meta={'dagster': {'ref': {'name': 'events_hourly'}}}) }}  {#- Dagster: its check #}
{{ rollup_shortfalls(
    raw="select project_id, toDate(timestamp) as day, event, count() as n from " ~ source('clickpath', 'events')
        ~ " group by project_id, day, event",
    rollup="select project_id, toDate(hour) as day, event, sum(events) as n from " ~ ref('events_hourly')
        ~ " group by project_id, day, event",
    key="event",
) }}
