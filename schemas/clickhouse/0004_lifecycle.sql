-- Data lifecycle (docs/LIFECYCLE.md): per-project retention of events, enforced by ClickHouse's TTL.
-- A TTL expression may not call a dictionary (it must be deterministic), so each row carries its project's
-- retention, stamped at insert from the dictionary below; `clickpath retention set` rewrites the rows already
-- stored. 0 days means keep forever (the default for a project without a row).
CREATE TABLE IF NOT EXISTS project_retention
(
    project_id UInt64,
    days UInt32,
    updated_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY project_id;

-- The latest setting per project: the table above may hold older rows until its parts merge.
CREATE VIEW IF NOT EXISTS project_retention_latest AS
SELECT project_id, argMax(days, updated_at) AS days
FROM project_retention
GROUP BY project_id;

-- Its source is the view, in this same database; reloaded every 10–30 s, and at once by the CLI.
CREATE DICTIONARY IF NOT EXISTS project_retention_dict
(
    project_id UInt64,
    days UInt32
)
PRIMARY KEY project_id
SOURCE(CLICKHOUSE(TABLE 'project_retention_latest'))
LAYOUT(HASHED())
LIFETIME(MIN 10 MAX 30);

ALTER TABLE events
    ADD COLUMN IF NOT EXISTS retention_days UInt32
    DEFAULT dictGetOrDefault('project_retention_dict', 'days', project_id, toUInt32(0));

ALTER TABLE events
    MODIFY TTL toDateTime(timestamp) + toIntervalDay(retention_days) DELETE WHERE retention_days > 0;
