-- What the query cache keys on (api/queries/cache.py, docs/QUERIES.md "Cache"): per project, how many rows
-- were ever written to its events and person tables, kept by materialized views inside every insert. Any
-- insert raises the count, so a cached answer never outlives the data it came from; reading it is one small
-- table, where counting a project's events read its whole column. Deleting a person and rewriting retention
-- add a row here themselves (ingest/lifecycle.py), as deletions do not pass through the views.
CREATE TABLE IF NOT EXISTS project_changes
(
    project_id UInt64,
    changes SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY project_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS project_changes_events_mv TO project_changes AS
SELECT project_id, count() AS changes FROM events GROUP BY project_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS project_changes_person_ids_mv TO project_changes AS
SELECT project_id, count() AS changes FROM person_distinct_ids GROUP BY project_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS project_changes_person_properties_mv TO project_changes AS
SELECT project_id, count() AS changes FROM person_properties GROUP BY project_id;
