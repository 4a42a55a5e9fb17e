"""The Dagster code location: `dagster dev -m orchestration.definitions`, and what the stack loads.

Everything is built from settings, so the tests build the same definitions against their own stack.
"""

from __future__ import annotations

from dagster import Definitions, definitions

from infra.settings import Settings, get_settings
from orchestration import assets, checks, project, resources, schedules, sensors


def build_definitions(settings: Settings) -> Definitions:
    # dbt reads its profile from the environment; settings may have come from a .env file instead
    project.export_environment(settings)
    if project.is_stale(settings):
        project.prepare(settings)
    dbt_project = resources.dbt_project(settings)
    dbt_assets = assets.dbt_model_assets(settings, dbt_project)
    job = schedules.models_job(dbt_assets)
    return Definitions(
        assets=[*assets.source_specs(), *dbt_assets],
        asset_checks=[checks.ingestion_checks(settings)],
        jobs=[job],
        schedules=schedules.schedules(job),
        sensors=[sensors.ingestion_sensor(settings)],
        resources=resources.resources(settings),
    )


@definitions
def defs() -> Definitions:
    """Built when Dagster loads the code location, not on import: the tests import this module freely."""
    return build_definitions(get_settings())
