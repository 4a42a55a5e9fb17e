"""The code location loads, and it is the dbt project: every model an asset, lineage from the sources."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey, Definitions

from infra.settings import Settings
from orchestration import assets, project

pytestmark = pytest.mark.integration


def _manifest(settings: Settings) -> dict:
    return json.loads(project.manifest_path(settings).read_text())


def test_the_definitions_validate(definitions: Definitions) -> None:
    Definitions.validate_loadable(definitions)
    assert {schedule.name for schedule in definitions.schedules or []} == {"models_hourly", "models_daily"}
    assert {sensor.name for sensor in definitions.sensors or []} == {"ingestion_health"}


def test_every_dbt_model_is_an_asset_and_daily_ones_are_partitioned(
    definitions: Definitions, settings: Settings
) -> None:
    graph = definitions.resolve_asset_graph()
    models = assets.models(_manifest(settings))
    assert models, "the dbt project has no models"
    for node in models:
        key = assets.Translator().get_asset_key(node)
        assert graph.has(key), f"{node['unique_id']} is not an asset"
        partitioned = graph.get(key).partitions_def is not None
        assert partitioned == assets.is_daily(node), f"{key.to_user_string()}: partitioned={partitioned}"


def test_the_sources_are_external_assets_upstream_of_every_model(definitions: Definitions, settings: Settings) -> None:
    graph = definitions.resolve_asset_graph()
    sources = {assets.source_key(table) for table in assets.SOURCE_TABLES}
    for key in sources:
        assert graph.has(key) and not graph.get(key).is_materializable
    declared = {
        assets.source_key(node["name"])
        for node in _manifest(settings)["sources"].values()
        if node["source_name"] == assets.SOURCE_NAME
    }
    assert declared <= sources, "a source of the dbt project has no external asset"
    # a model computed from vars alone (the funnels' definitions) has no input to trace
    reading = [node for node in assets.models(_manifest(settings)) if node["depends_on"]["nodes"]]
    assert reading
    for node in reading:
        ancestors = _ancestors(graph, assets.Translator().get_asset_key(node))
        assert ancestors & sources, f"{node['name']} does not trace back to the ClickHouse sources"


def _ancestors(graph, key: AssetKey) -> set[AssetKey]:  # type: ignore[no-untyped-def]
    seen: set[AssetKey] = set()
    todo = [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_dbt_tests_are_asset_checks(definitions: Definitions, settings: Settings) -> None:
    graph = definitions.resolve_asset_graph()
    tests = [node for node in _manifest(settings)["nodes"].values() if node["resource_type"] == "test"]
    check_names = {key.name for key in graph.asset_check_keys}
    assert {"ingestion_freshness", "no_recent_dead_letters"} <= check_names
    attached = [test for test in tests if test.get("attached_node") or test["depends_on"]["nodes"]]
    assert attached, "the dbt project has no tests"
    assert any(test["name"] in check_names for test in attached)
