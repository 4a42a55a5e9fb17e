-- One row per captured event (the ingestion issue may widen it with later migrations).
-- Rows carry their Kafka coordinates, and the table remembers recent insert tokens, so that a batch
-- the consumer retries after a crash is not stored twice.
CREATE TABLE IF NOT EXISTS events
(
    uuid UUID,
    project_id UInt64,
    event LowCardinality(String),
    distinct_id String,
    properties String CODEC(ZSTD(3)),
    timestamp DateTime64(6, 'UTC'),
    received_at DateTime64(6, 'UTC'),
    kafka_partition UInt16,
    kafka_offset UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, toDate(timestamp), event, cityHash64(distinct_id), uuid)
SETTINGS non_replicated_deduplication_window = 10000;
