"""Every asset materializes in-process against the test stack's ClickHouse, with the real resources."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance, Definitions, build_schedule_context

from infra import clients
from infra.settings import Settings
from orchestration import assets
from orchestration.backfill import JOB
from orchestration.partitions import day_key
from orchestration.resources import dbt_project
from tests.integration.orchestration.conftest import insert_events

pytestmark = pytest.mark.integration


def test_every_model_materializes_for_todays_partition(definitions: Definitions, settings: Settings) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    project_id = random.randrange(10**8, 10**9)
    insert_events(settings, project_id, [today + timedelta(minutes=minute) for minute in range(0, 120, 7)])

    job = definitions.resolve_job_def(JOB)
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, partition_key=day_key(today), raise_on_error=False)
    assert result.success, [event.message for event in result.all_events if event.is_failure]

    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    manifest = assets.manifest(dbt_project(settings))
    keys = {assets.Translator().get_asset_key(node) for node in assets.models(manifest)}
    assert keys <= materialized, f"not materialized: {keys - materialized}"
    failed = [evaluation for evaluation in result.get_asset_check_evaluations() if not evaluation.passed]
    assert not failed, [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in failed]

    client = clients.clickhouse(settings, database=settings.clickhouse_database)
    try:
        tables = set(
            client.query("SELECT name FROM system.tables WHERE database = currentDatabase()").result_columns[0]
        )
    finally:
        client.close()
    for node in assets.models(manifest):
        assert node["alias"] in tables, f"{node['alias']} is not in ClickHouse"


def test_the_hourly_run_rebuilds_yesterday_and_today(definitions: Definitions, settings: Settings) -> None:
    """One run over two days, as the hourly schedule asks, so events of yesterday arriving today count."""
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    insert_events(settings, random.randrange(10**8, 10**9), [yesterday, now])
    schedule = definitions.get_schedule_def("models_hourly")
    context = build_schedule_context(scheduled_execution_time=now, repository_def=definitions.get_repository_def())
    (request,) = schedule.evaluate_tick(context).run_requests or []

    job = definitions.resolve_job_def(JOB)
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
        assert result.success, [event.message for event in result.all_events if event.is_failure]
        graph = definitions.resolve_asset_graph()
        daily = [key for key in graph.materializable_asset_keys if graph.get(key).partitions_def is not None]
        assert daily
        for key in daily:
            partitions = instance.get_materialized_partitions(key)
            assert {day_key(yesterday), day_key(now)} <= partitions, key.to_user_string()
