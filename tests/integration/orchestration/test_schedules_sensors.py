"""Schedules pick the right day; the ingestion sensor reports against the real ClickHouse and Kafka."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from confluent_kafka import Producer
from dagster import Definitions, RunRequest, build_schedule_context, build_sensor_context

from infra import clients
from infra.settings import Settings
from orchestration import checks
from orchestration.resources import resources
from tests.integration.orchestration.conftest import insert_events

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("name", "at", "days"),
    [
        # hourly: yesterday too, for events of yesterday that arrive today
        ("models_hourly", datetime(2026, 3, 10, 14, 5, tzinfo=UTC), ("2026-03-09", "2026-03-10")),
        ("models_hourly", datetime(2026, 3, 1, 0, 5, tzinfo=UTC), ("2026-02-28", "2026-03-01")),
        ("models_daily", datetime(2026, 3, 1, 0, 30, tzinfo=UTC), ("2026-02-28", "2026-02-28")),
    ],
)
def test_a_schedule_runs_the_days_it_is_for(
    definitions: Definitions, name: str, at: datetime, days: tuple[str, str]
) -> None:
    schedule = definitions.get_schedule_def(name)
    context = build_schedule_context(scheduled_execution_time=at, repository_def=definitions.get_repository_def())
    requests = schedule.evaluate_tick(context).run_requests
    assert requests is not None and len(requests) == 1
    request = requests[0]
    assert isinstance(request, RunRequest)
    if request.partition_key_range is not None:
        assert (request.partition_key_range.start, request.partition_key_range.end) == days
    else:
        assert (request.partition_key, request.partition_key) == days
    job = definitions.resolve_job_def("models_job")
    keys = job.partitions_def.get_partition_keys(current_time=at)  # type: ignore[union-attr]
    assert set(days) <= set(keys)


def _evaluate(definitions: Definitions, settings: Settings) -> dict[str, object]:
    sensor = definitions.get_sensor_def("ingestion_health")
    with build_sensor_context(resources=resources(settings), definitions=definitions) as context:
        result = sensor.evaluate_tick(context)
    return {event.check_name: event for event in result.asset_events}  # type: ignore[attr-defined]


def test_fresh_events_pass_and_a_dead_letter_fails(definitions: Definitions, settings: Settings) -> None:
    insert_events(settings, random.randrange(10**8, 10**9), [datetime.now(UTC)])
    producer = Producer(clients.kafka_config(settings) | {"acks": "all"})
    producer.produce(settings.kafka_dlq_topic, b"not json", headers={"clickpath_reason": f"test {uuid.uuid4()}"})
    assert producer.flush(30) == 0

    evaluations = _evaluate(definitions, settings)
    freshness, dead = evaluations[checks.INGESTION_FRESHNESS], evaluations[checks.DEAD_LETTERS]
    assert freshness.passed, freshness.description  # type: ignore[attr-defined]
    assert not dead.passed  # type: ignore[attr-defined]
    assert dead.metadata["dead_letters"].value >= 1  # type: ignore[attr-defined]
    assert "test " in dead.metadata["recent_reasons"].value  # type: ignore[attr-defined]


def test_stale_ingestion_fails_its_check(settings: Settings) -> None:
    later = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1)
    result = checks.ingestion_freshness(settings, resources(settings)["clickhouse"], now=later)  # type: ignore[arg-type]
    assert not result.passed and result.severity.value == "ERROR"


def test_an_unreachable_service_is_a_failed_check_not_a_sensor_error(definitions: Definitions) -> None:
    nowhere = Settings(
        clickhouse_url="http://127.0.0.1:9", kafka_bootstrap_servers="127.0.0.1:9", dead_letter_window_s=60
    )
    sensor = definitions.get_sensor_def("ingestion_health")
    with build_sensor_context(resources=resources(nowhere), definitions=definitions) as context:
        result = sensor.evaluate_tick(context)
    assert all(not event.passed for event in result.asset_events)  # type: ignore[attr-defined]
