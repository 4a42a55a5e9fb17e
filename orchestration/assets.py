"""The ClickHouse tables ingestion writes (external assets) and the dbt models built on them.

The models split in two multi-assets: those tagged `daily` are partitioned by day and rebuild exactly
the days of a run (dbt vars from_date/to_date); the rest (staging views, live materialized-view
rollups) are not partitioned: a run brings them up to date with the project's code.
"""

# No `from __future__ import annotations`: Dagster reads these functions' annotations as real types.

import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec, BackfillPolicy, FreshnessPolicy
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from infra.settings import Settings
from orchestration.partitions import daily_partitions, dbt_vars_arg

DAILY_TAG = "daily"
SOURCE_NAME = "clickpath"
# The tables the migrations make (schemas/clickhouse/), which the dbt project declares as source `clickpath`.
SOURCE_TABLES = {
    "events": "One row per captured event, written by the ingest consumer.",
    "person_distinct_ids": "Which person each linked distinct id belongs to (ReplacingMergeTree by version).",
    "person_properties": "$set and $set_once writes per distinct id.",
    "person_links": "Every identity link that changed the distinct id → person mapping.",
}


def source_key(table: str) -> AssetKey:
    """The key dagster-dbt gives source `clickpath`'s table: [source name, table name]."""
    return AssetKey([SOURCE_NAME, table])


def source_specs() -> list[AssetSpec]:
    # Not materializable from Dagster: the consumer writes these tables; their checks watch ingestion.
    return [
        AssetSpec(source_key(table), description=text, group_name="ingestion", kinds={"clickhouse", "kafka"})
        for table, text in SOURCE_TABLES.items()
    ]


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # the folder under models/ (staging, rollups, funnels, …): the layers of the project in the UI
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "model" and len(fqn) > 2:
            return str(fqn[1])
        return super().get_group_name(dbt_resource_props)


def manifest(dbt: DbtProject) -> dict[str, Any]:
    return json.loads(dbt.manifest_path.read_text())


def models(manifest_json: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [node for node in manifest_json["nodes"].values() if node["resource_type"] in ("model", "seed", "snapshot")]


def is_daily(node: Mapping[str, Any]) -> bool:
    return DAILY_TAG in node.get("tags", [])


def dbt_model_assets(settings: Settings, dbt: DbtProject) -> list[AssetsDefinition]:
    """The two multi-assets; either is left out when no model falls in it (a project still growing)."""
    manifest_json = manifest(dbt)
    nodes = models(manifest_json)
    translator = Translator()
    built: list[AssetsDefinition] = []

    if any(is_daily(node) for node in nodes):

        @dbt_assets(
            manifest=manifest_json,
            project=dbt,
            select=f"tag:{DAILY_TAG}",
            name="daily_models",
            partitions_def=daily_partitions(settings),
            dagster_dbt_translator=translator,
            # a backfill of many days is one dbt run over all of them (from_date .. to_date), not one per day
            backfill_policy=BackfillPolicy.single_run(),
        )
        def daily_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
            yield from dbt.cli(["build", *dbt_vars_arg(context.partition_time_window)], context=context).stream()

        # Freshness of a daily model: updated within models_freshness_s (the hourly schedule keeps today
        # current). The daemon evaluates it; the UI shows each model fresh, late (warn) or stale (fail).
        fail = timedelta(seconds=settings.models_freshness_s)
        policy = FreshnessPolicy.time_window(fail_window=fail, warn_window=fail / 2)
        built.append(daily_models.map_asset_specs(lambda spec: spec.replace_attributes(freshness_policy=policy)))

    if any(not is_daily(node) for node in nodes):

        @dbt_assets(
            manifest=manifest_json,
            project=dbt,
            exclude=f"tag:{DAILY_TAG}",
            name="models",
            dagster_dbt_translator=translator,
        )
        def unpartitioned_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
            yield from dbt.cli(["build"], context=context).stream()

        built.append(unpartitioned_models)

    return built
