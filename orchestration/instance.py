"""Dagster's instance: where runs, event logs and schedule state are kept, written from settings.

Imports no Dagster: the stack writes this file on every `clickpath up`, and `clickpath status` must stay quick.
"""

from __future__ import annotations

import json
from pathlib import Path

from infra.settings import Settings
from infra.stack.files import write_if_changed

# Runs are subprocesses that each start dbt: on a laptop, one at a time is all the machine has room for.
MAX_CONCURRENT_RUNS = 1


def dagster_home(settings: Settings) -> Path:
    return settings.home_dir / "dagster"


def instance_yaml(settings: Settings) -> str:
    home = dagster_home(settings)
    if settings.dagster_postgres_url:
        storage = {"postgres": {"postgres_url": settings.dagster_postgres_url}}
    else:
        storage = {"sqlite": {"base_dir": str(home / "storage")}}
    config = {
        "storage": storage,
        "local_artifact_storage": {
            "module": "dagster._core.storage.root",
            "class": "LocalArtifactStorage",
            "config": {"base_dir": str(home)},
        },
        "compute_logs": {
            "module": "dagster._core.storage.local_compute_log_manager",
            "class": "LocalComputeLogManager",
            "config": {"base_dir": str(home / "compute_logs")},
        },
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"max_concurrent_runs": MAX_CONCURRENT_RUNS},
        },
        # no internet on our machines, and nothing to report to
        "telemetry": {"enabled": False},
        "nux": {"enabled": False},
    }
    # JSON is YAML: no YAML writer needed, and every value (paths, URLs) is quoted safely
    return json.dumps(config, indent=2) + "\n"


def write_instance(settings: Settings) -> Path:
    """Write ``dagster.yaml`` into Dagster's home (only when it changed) and return that home."""
    home = dagster_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    write_if_changed(home / "dagster.yaml", instance_yaml(settings))
    return home
