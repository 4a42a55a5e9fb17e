"""`clickpath backfill --from --to` over three days, as a person runs it, recorded in the stack's instance."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from infra.settings import Settings
from orchestration import instance
from orchestration.partitions import day_key
from tests.integration.orchestration.conftest import insert_events
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
BACKFILL_TIMEOUT_S = 600


def test_a_three_day_backfill_runs_each_day(stack: Stack, settings: Settings) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = [today - timedelta(days=back) for back in (3, 2, 1)]
    project_id = random.randrange(10**8, 10**9)
    # one across midnight, so the days' boundaries are exercised
    insert_events(settings, project_id, [day + timedelta(hours=hour) for day in days for hour in (1, 12, 23.99)])

    env = dict(stack.env)
    if settings.dbt_project_dir:
        env["CLICKPATH_DBT_PROJECT_DIR"] = str(settings.dbt_project_dir)
    command = [sys.executable, "-m", "infra", "backfill", "--from", day_key(days[0]), "--to", day_key(days[-1])]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=BACKFILL_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for day in days:
        assert any(line.strip().startswith(day_key(day)) and " ok " in line for line in lines), result.stdout
    assert "3 day(s)" in result.stdout

    with DagsterInstance.from_config(str(instance.dagster_home(settings))) as dagster:
        tag = {"clickpath/backfill": f"{day_key(days[0])}..{day_key(days[-1])}"}
        runs = dagster.get_runs(RunsFilter(tags=tag))
    partitions = {run.tags.get("dagster/partition") for run in runs if run.status == DagsterRunStatus.SUCCESS}
    assert {day_key(day) for day in days} <= partitions
