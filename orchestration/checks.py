"""Checks beyond dbt's tests (which dagster-dbt turns into checks by itself): is ingestion alive?

Two checks watch the `events` table: how old its newest event is, and whether messages reached the
dead-letter topic lately. Each is a function of the services alone, so the same evaluation runs as an
asset check (from the UI or a job) and from the ingestion sensor, which reports it without a run.
"""

# No `from __future__ import annotations`: Dagster reads these functions' annotations as real types.

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    ResourceParam,
    multi_asset_check,
)

from infra.settings import Settings
from orchestration.assets import source_key
from orchestration.resources import ClickHouse, DeadLetterTopic

EVENTS = source_key("events")
INGESTION_FRESHNESS = "ingestion_freshness"
DEAD_LETTERS = "no_recent_dead_letters"
CHECK_SPECS = [
    AssetCheckSpec(INGESTION_FRESHNESS, asset=EVENTS, description="The newest event arrived recently."),
    AssetCheckSpec(DEAD_LETTERS, asset=EVENTS, description="No message went to the dead-letter topic lately."),
]


def ingestion_freshness(settings: Settings, clickhouse: ClickHouse, now: datetime | None = None) -> AssetCheckResult:
    """Age of the newest row by received_at (when capture stamped it): an event's own timestamp is the
    client's clock, and a late or back-dated event would make a live pipeline look stale."""
    now = now or datetime.now(UTC)
    with clickhouse.client() as client:
        count, newest = client.query("SELECT count(), max(received_at) FROM events").result_rows[0]
    if count == 0:
        return AssetCheckResult(
            check_name=INGESTION_FRESHNESS,
            asset_key=EVENTS,
            passed=False,
            severity=AssetCheckSeverity.WARN,
            description="no event was ever stored",
            metadata={"events": 0},
        )
    age = (now - newest.replace(tzinfo=UTC)).total_seconds()
    severity = AssetCheckSeverity.ERROR if age > settings.ingestion_freshness_error_s else AssetCheckSeverity.WARN
    return AssetCheckResult(
        check_name=INGESTION_FRESHNESS,
        asset_key=EVENTS,
        passed=age <= settings.ingestion_freshness_warn_s,
        severity=severity,
        description=f"newest event received {age:.0f}s ago",
        metadata={
            "newest_received_at": MetadataValue.timestamp(newest.replace(tzinfo=UTC)),
            "age_s": round(age, 1),
            "warn_after_s": settings.ingestion_freshness_warn_s,
            "error_after_s": settings.ingestion_freshness_error_s,
        },
    )


def dead_letters(settings: Settings, topic: DeadLetterTopic, now: datetime | None = None) -> AssetCheckResult:
    window = timedelta(seconds=settings.dead_letter_window_s)
    recent = topic.recent(window, now)
    return AssetCheckResult(
        check_name=DEAD_LETTERS,
        asset_key=EVENTS,
        passed=recent.messages == 0,
        severity=AssetCheckSeverity.ERROR,
        description=f"{recent.messages} message(s) reached {settings.kafka_dlq_topic} in the last {window}",
        metadata={
            "dead_letters": recent.messages,
            "window_s": settings.dead_letter_window_s,
            "topic": settings.kafka_dlq_topic,
            "recent_reasons": MetadataValue.md("\n".join(f"- {reason}" for reason in recent.reasons) or "none"),
            # letters stay until replayed: `clickpath dlq list` shows them, `clickpath dlq replay` resends them
            "pending_letters": recent.pending,
        },
    )


def as_evaluation(result: AssetCheckResult) -> AssetCheckEvaluation:
    """The same result, reported without a run (from a sensor)."""
    assert result.asset_key is not None and result.check_name is not None
    return AssetCheckEvaluation(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        description=result.description,
    )


def ingestion_checks(settings: Settings) -> AssetChecksDefinition:
    @multi_asset_check(specs=CHECK_SPECS, name="ingestion_checks", can_subset=True)
    def checks(
        context: AssetCheckExecutionContext,
        clickhouse: ResourceParam[ClickHouse],
        dead_letter_topic: ResourceParam[DeadLetterTopic],
    ) -> Iterator[AssetCheckResult]:
        selected = {key.name for key in context.selected_asset_check_keys}
        if INGESTION_FRESHNESS in selected:
            yield ingestion_freshness(settings, clickhouse)
        if DEAD_LETTERS in selected:
            yield dead_letters(settings, dead_letter_topic)

    return checks
