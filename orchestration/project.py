"""The dbt project as Dagster sees it: where it is, the environment its profile reads, its manifest.

The manifest (target/manifest.json) is never kept in git: `prepare` parses the project whenever a file
of it is newer than the manifest, at `clickpath up`, before the tests, and when the definitions load
without one. Everything here runs without importing Dagster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from infra import clients
from infra.settings import Settings
from ingest.lag import partition_lag

PARSE_TIMEOUT_S = 300
# A change to a file of these kinds makes the manifest stale (target/, logs/ and packages are dbt's own output).
PROJECT_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")
NOT_SOURCES = ("target", "logs", "dbt_packages")


def dbt_executable() -> Path:
    """dbt from this virtualenv: the stack's processes need not have it on PATH."""
    return Path(sys.executable).parent / "dbt"


def target_dir(settings: Settings) -> Path:
    """dbt's artifacts, per stack: the tests' stack and `make up`'s never share a manifest or partial parse."""
    return settings.home_dir / "dbt" / "target"


def manifest_path(settings: Settings) -> Path:
    return target_dir(settings) / "manifest.json"


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The variables models/profiles.yml reads, from settings (which may have come from a .env file)."""
    environment = {
        "CLICKPATH_PORT_OFFSET": str(settings.port_offset),
        "CLICKPATH_CLICKHOUSE_DATABASE": settings.clickhouse_database,
        "CLICKPATH_WAREHOUSE_USER": settings.warehouse_user,
        "CLICKPATH_WAREHOUSE_PASSWORD": settings.warehouse_password.get_secret_value(),
        # dagster-dbt runs each invocation in a fresh folder under this one and copies the partial parse
        # from here, so a run does not parse the whole project again
        "DBT_TARGET_PATH": str(target_dir(settings)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # A run builds a subset of the models. dbt's default ("eager") would also run every test touching one
        # of them, such as a test tying a rollup to raw events or a relationship to a model outside the run,
        # which fails when the other model is not built yet. "cautious": only tests whose models all run.
        # (dagster-dbt sets its own value when it runs a chosen subset of checks.)
        "DBT_INDIRECT_SELECTION": "cautious",
    }
    if settings.clickhouse_url:
        environment["CLICKPATH_CLICKHOUSE_URL"] = settings.clickhouse_url
    return environment


def export_environment(settings: Settings) -> None:
    """Put the dbt environment into this process's, for dbt subprocesses that dagster-dbt starts."""
    os.environ.update(dbt_environment(settings))


def _newest_source(project_dir: Path) -> float:
    newest = 0.0
    for path in project_dir.rglob("*"):
        relative = path.relative_to(project_dir).parts
        if relative[0] in NOT_SOURCES or path.suffix not in PROJECT_SUFFIXES:
            continue
        newest = max(newest, path.stat().st_mtime)
    return newest


def is_stale(settings: Settings) -> bool:
    manifest = manifest_path(settings)
    if not manifest.exists():
        return True
    return _newest_source(settings.effective_dbt_project_dir) > manifest.stat().st_mtime


def prepare(settings: Settings) -> str:
    """`dbt parse` into the stack's target folder when the manifest is missing or older than the project."""
    project_dir = settings.effective_dbt_project_dir
    if not (project_dir / "dbt_project.yml").exists():
        raise RuntimeError(f"no dbt project at {project_dir} (dbt_project.yml missing)")
    if not is_stale(settings):
        return "dbt manifest up to date"
    target = target_dir(settings)
    target.mkdir(parents=True, exist_ok=True)
    command = [str(dbt_executable()), "parse", "--quiet", "--project-dir", str(project_dir)]
    command += ["--profiles-dir", str(project_dir)]
    environment = os.environ | dbt_environment(settings) | {"DBT_LOG_PATH": str(target)}
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=PARSE_TIMEOUT_S)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"dbt parse exited {result.returncode}:\n{tail}")
    return "dbt manifest parsed"


BUILD_TIMEOUT_S = 1800
CAUGHT_UP_WAIT_S = 120


def build_if_new(settings: Settings) -> str:
    """`dbt build` of every model, once, when some model's table is missing (a stack's first `up`).

    Waits first for the consumer to store what is in Kafka (the demo events `up` just sent): a rollup created
    while events arrive misses the ones inserted between its catch-up and its view (docs/MODELS.md). After
    this the schedules keep today and yesterday fresh; the days built here do not show as materialized
    partitions in the Dagster UI until a backfill runs them there.
    """
    missing = _missing_models(settings)
    if not missing:
        return "every model built before"
    _wait_until_consumed(settings)
    project_dir = settings.effective_dbt_project_dir
    command = [str(dbt_executable()), "build", "--quiet", "--project-dir", str(project_dir)]
    command += ["--profiles-dir", str(project_dir)]
    environment = os.environ | dbt_environment(settings) | {"DBT_LOG_PATH": str(target_dir(settings))}
    started = time.monotonic()
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"dbt build exited {result.returncode}:\n{tail}")
    return f"built {len(missing)} missing model(s) and the rest in {time.monotonic() - started:.0f} s"


def _missing_models(settings: Settings) -> list[str]:
    manifest = json.loads(manifest_path(settings).read_text())
    models = {node["alias"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    try:
        query = "SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}"
        present = {row[0] for row in client.query(query, parameters={"names": sorted(models)}).result_rows}
    finally:
        client.close()
    return sorted(models - present)


def _wait_until_consumed(settings: Settings) -> None:
    deadline = time.monotonic() + CAUGHT_UP_WAIT_S
    while time.monotonic() < deadline:
        lag = partition_lag(settings, settings.kafka_events_topic, settings.consumer_group)
        if all(end - max(committed, 0) == 0 for _, committed, end in lag):
            return
        time.sleep(1)
