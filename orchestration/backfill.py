"""Rebuild the daily models for a range of days: one run per day, recorded in the stack's Dagster instance.

The runs execute in this process (no daemon needed) but are stored where the webserver reads, so they
appear in the UI beside the scheduled ones. The unpartitioned models the daily ones read (staging views)
are brought up to date once first, so a fresh stack can be backfilled before any schedule ran, and those
that read the daily ones (marts) once at the end, so they reflect the rebuilt days.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, redirect_stdout
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from dagster import AssetKey, AssetSelection, DagsterInstance, Definitions, ExecuteInProcessResult, JobDefinition

from infra.settings import Settings
from orchestration import instance
from orchestration.definitions import build_definitions
from orchestration.partitions import day_key

JOB = "models_job"
# The runs' own logs (each dbt line) go to the instance, where the UI shows them; the terminal gets a line a day.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class Step:
    label: str
    """A day (YYYY-MM-DD), or "upstream" / "downstream" for the unpartitioned models run before and after."""
    success: bool
    seconds: float
    materialized: int
    checks_passed: int
    checks_failed: int
    run_id: str


def days(first: date, last: date) -> list[date]:
    """Every day from first to last, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def validate(settings: Settings, first: date, last: date, today: date) -> None:
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    if first < settings.partitions_start:
        start = settings.partitions_start
        raise ValueError(f"--from {first} is before the first partition, {start} (CLICKPATH_PARTITIONS_START)")
    if last > today:
        raise ValueError(f"--to {last} is in the future: today's partition ({today}) is the last one")


def _selections(definitions: Definitions) -> tuple[list[AssetKey], list[AssetKey], list[AssetKey]]:
    """The daily models, and the unpartitioned models upstream and downstream of them."""
    graph = definitions.resolve_asset_graph()
    daily = [key for key in graph.materializable_asset_keys if graph.get(key).partitions_def is not None]
    selected = AssetSelection.assets(*daily)
    upstream = (selected.upstream() - selected).materializable()
    downstream = (selected.downstream() - selected).materializable()
    return daily, sorted(upstream.resolve(graph)), sorted(downstream.resolve(graph))


def _step(label: str, result: ExecuteInProcessResult, seconds: float) -> Step:
    evaluations = result.get_asset_check_evaluations()
    return Step(
        label=label,
        success=result.success,
        seconds=seconds,
        materialized=len(result.get_asset_materialization_events()),
        checks_passed=sum(1 for evaluation in evaluations if evaluation.passed),
        checks_failed=sum(1 for evaluation in evaluations if not evaluation.passed),
        run_id=result.run_id,
    )


def log_path(settings: Settings) -> Path:
    """Where dbt's own output goes (dagster-dbt writes it to stdout): the terminal keeps a line per day."""
    return settings.home_dir / "logs" / "backfill.log"


def run(
    settings: Settings,
    first: date,
    last: date,
    around: bool = True,
    on_start: Callable[[str], None] | None = None,
) -> Iterator[Step]:
    """Yield a Step as each run ends: the unpartitioned models upstream (staging), each day in order, then the
    unpartitioned models that read the daily ones (marts); `around=False` runs the days alone."""
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(JOB)
    daily, upstream_keys, downstream_keys = _selections(definitions)
    if not daily:
        raise RuntimeError("the dbt project has no model tagged `daily`: nothing is partitioned by day")
    tags = {"clickpath/backfill": f"{day_key(first)}..{day_key(last)}"}
    log = log_path(settings)
    log.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        dagster = stack.enter_context(DagsterInstance.from_config(str(instance.write_instance(settings))))
        stack.enter_context(redirect_stdout(stack.enter_context(log.open("a"))))
        if around and upstream_keys:
            yield _run_once(job, dagster, "upstream", upstream_keys, tags, on_start)
        for day in days(first, last):
            if on_start:
                on_start(day_key(day))
            started = time.monotonic()
            result = job.execute_in_process(
                instance=dagster,
                partition_key=day_key(day),
                asset_selection=daily,
                tags=tags,
                run_config=QUIET,
                raise_on_error=False,
            )
            yield _step(day_key(day), result, time.monotonic() - started)
        if around and downstream_keys:
            yield _run_once(job, dagster, "downstream", downstream_keys, tags, on_start)


def _run_once(
    job: JobDefinition,
    dagster: DagsterInstance,
    label: str,
    keys: list[AssetKey],
    tags: dict[str, str],
    on_start: Callable[[str], None] | None,
) -> Step:
    if on_start:
        on_start(label)
    started = time.monotonic()
    result = job.execute_in_process(
        instance=dagster, asset_selection=keys, tags=tags, run_config=QUIET, raise_on_error=False
    )
    return _step(label, result, time.monotonic() - started)
