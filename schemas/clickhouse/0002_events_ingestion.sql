-- Events as ingestion writes them (docs/INGESTION.md).
-- ReplacingMergeTree: the event's uuid is in the sorting key, so an event a client sent twice (a retry
-- after a lost answer, with the same uuid) collapses to one row when parts merge. The consumer itself
-- never writes a row twice: its inserts carry a deduplication token, and it resumes after the highest
-- offset ClickHouse holds (ingest_offsets, kept by a materialized view in the same insert).
CREATE TABLE IF NOT EXISTS events_next
(
    uuid UUID,
    project_id UInt64,
    event LowCardinality(String),
    distinct_id String,
    properties String CODEC(ZSTD(3)),
    timestamp DateTime64(6, 'UTC'),
    received_at DateTime64(6, 'UTC'),
    kafka_topic LowCardinality(String),
    kafka_partition UInt16,
    kafka_offset UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, toDate(timestamp), event, cityHash64(distinct_id), uuid)
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO events_next (uuid, project_id, event, distinct_id, properties, timestamp, received_at, kafka_partition, kafka_offset)
SELECT uuid, project_id, event, distinct_id, properties, timestamp, received_at, kafka_partition, kafka_offset FROM events;

EXCHANGE TABLES events_next AND events;

DROP TABLE events_next;

CREATE TABLE IF NOT EXISTS ingest_offsets
(
    topic LowCardinality(String),
    partition UInt16,
    max_offset SimpleAggregateFunction(max, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY (topic, partition);

CREATE MATERIALIZED VIEW IF NOT EXISTS ingest_offsets_mv TO ingest_offsets AS
SELECT kafka_topic AS topic, kafka_partition AS partition, max(kafka_offset) AS max_offset
FROM events
GROUP BY topic, partition;
