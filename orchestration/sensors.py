"""The sensor the daemon evaluates: ingestion health, reported as check results on `events`."""

# No `from __future__ import annotations`: Dagster reads these functions' annotations as real types.

from collections.abc import Callable

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    DefaultSensorStatus,
    ResourceParam,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from infra.settings import Settings
from orchestration import checks
from orchestration.resources import ClickHouse, DeadLetterTopic

# Every five minutes: an alert within minutes of ingestion stalling, at the cost of two small queries.
INGESTION_INTERVAL_S = 300


def _evaluate(name: str, evaluate: Callable[[], AssetCheckResult]) -> AssetCheckEvaluation:
    """A service that cannot be asked is a failed check (with why), not a sensor error nobody sees on the asset."""
    try:
        return checks.as_evaluation(evaluate())
    except Exception as exc:  # each client fails in its own way
        return AssetCheckEvaluation(
            asset_key=checks.EVENTS,
            check_name=name,
            passed=False,
            severity=AssetCheckSeverity.ERROR,
            description=f"could not evaluate: {type(exc).__name__}: {exc}"[:500],
        )


def ingestion_sensor(settings: Settings) -> SensorDefinition:
    @sensor(
        name="ingestion_health",
        minimum_interval_seconds=INGESTION_INTERVAL_S,
        default_status=DefaultSensorStatus.RUNNING,
        description="Reports the ingestion freshness and dead-letter checks on `events` without starting a run.",
    )
    def ingestion_health(
        context: SensorEvaluationContext,
        clickhouse: ResourceParam[ClickHouse],
        dead_letter_topic: ResourceParam[DeadLetterTopic],
    ) -> SensorResult:
        evaluations = [
            _evaluate(checks.INGESTION_FRESHNESS, lambda: checks.ingestion_freshness(settings, clickhouse)),
            _evaluate(checks.DEAD_LETTERS, lambda: checks.dead_letters(settings, dead_letter_topic)),
        ]
        for evaluation in evaluations:
            if not evaluation.passed:
                context.log.warning(f"{evaluation.check_name} failed: {evaluation.description}")
        return SensorResult(asset_events=evaluations)

    return ingestion_health
