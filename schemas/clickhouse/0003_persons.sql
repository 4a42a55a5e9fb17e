-- Persons (docs/PERSONS.md): which distinct ids are one person, and each person's properties.
-- Written by ingest/persons.py before the consumer inserts a batch of events.

-- distinct id → person, for the distinct ids an identity event ($identify, $create_alias) ever linked.
-- A distinct id without a row is a person of its own, with the id person_id_of(project_id, distinct_id)
-- (the 16 bytes of MD5('<project_id>:<distinct_id>'), the same expression as in the views below).
-- A merge writes the moved distinct ids again with a higher version: read with FINAL (or argMax by version).
CREATE TABLE IF NOT EXISTS person_distinct_ids
(
    project_id UInt64,
    distinct_id String,
    person_id UUID,
    version UInt64,
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, distinct_id);

-- Every link an identity event made that changed the mapping: enough to rebuild person_distinct_ids,
-- and what Persons.repair reads to join persons that two consumers split by racing (docs/PERSONS.md).
CREATE TABLE IF NOT EXISTS person_links
(
    project_id UInt64,
    distinct_id String,
    other_distinct_id String,
    timestamp DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (project_id, distinct_id, other_distinct_id);

-- $set and $set_once writes, keyed by the distinct id that sent them, so merges never rewrite them.
-- value is JSON text. version makes the table keep one row per key and kind: for $set the latest
-- timestamp, for $set_once the earliest (its bits inverted). Read with FINAL, or argMax/argMin.
CREATE TABLE IF NOT EXISTS person_properties
(
    project_id UInt64,
    distinct_id String,
    key String,
    value String,
    set_once UInt8,
    timestamp DateTime64(6, 'UTC'),
    version UInt64 MATERIALIZED if(
        set_once = 1,
        bitNot(toUInt64(toUnixTimestamp64Micro(timestamp))),
        toUInt64(toUnixTimestamp64Micro(timestamp))
    )
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project_id, distinct_id, key, set_once);

-- The current person of every linked distinct id (unlinked ones are absent: they are their own person).
CREATE VIEW IF NOT EXISTS person_distinct_id_map AS
SELECT project_id, distinct_id, person_id
FROM person_distinct_ids FINAL
WHERE is_deleted = 0;

-- One row per person that has properties: properties is a JSON object, each key resolved over all the
-- person's distinct ids: the latest $set if the key was ever $set, else the earliest $set_once.
CREATE VIEW IF NOT EXISTS persons AS
SELECT
    project_id,
    person_id,
    concat('{', arrayStringConcat(arraySort(groupArray(concat(toJSONString(key), ':', value))), ','), '}')
        AS properties
FROM
(
    SELECT
        p.project_id AS project_id,
        if(m.linked = 1, m.person_id, toUUID(UUIDNumToString(MD5(concat(toString(p.project_id), ':', p.distinct_id)))))
            AS person_id,
        p.key AS key,
        if(
            countIf(p.set_once = 0) > 0,
            argMaxIf(p.value, (p.timestamp, p.distinct_id), p.set_once = 0),
            argMinIf(p.value, (p.timestamp, p.distinct_id), p.set_once = 1)
        ) AS value
    FROM person_properties AS p FINAL
    LEFT JOIN
    (
        SELECT project_id, distinct_id, person_id, toUInt8(1) AS linked
        FROM person_distinct_ids FINAL
        WHERE is_deleted = 0
    ) AS m ON m.project_id = p.project_id AND m.distinct_id = p.distinct_id
    GROUP BY project_id, person_id, key
)
GROUP BY project_id, person_id;
