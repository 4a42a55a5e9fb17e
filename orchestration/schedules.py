"""When the models run: every hour for yesterday's and today's partitions, once after midnight for yesterday.

Both schedules run the same job, every dbt model: the unpartitioned ones (staging views, live
rollups) cost little when nothing changed, and a run that includes them never finds its inputs missing.
"""

# No `from __future__ import annotations`: Dagster reads these functions' annotations as real types.

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from dagster import (
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from orchestration.partitions import day_key

# Dagster's tags for a run over a range of partitions (BackfillPolicy.single_run backfills use them too)
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

if TYPE_CHECKING:  # what define_asset_job returns; Dagster does not export the name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

# Five minutes past the hour: events of the hour's last seconds have left the consumer's batches by then.
HOURLY_CRON = "5 * * * *"
# Half an hour into the day: late events of yesterday (a phone back online) are given a little time.
DAILY_CRON = "30 0 * * *"


def models_job(dbt_assets: Sequence[AssetsDefinition]) -> "UnresolvedAssetJobDefinition":
    return define_asset_job(
        "models_job",
        selection=AssetSelection.assets(*dbt_assets),
        description="Every dbt model: the daily ones for one day's partition, the rest brought up to date.",
    )


def _on_days(
    job: "UnresolvedAssetJobDefinition", name: str, cron: str, first_back: int, last_back: int, text: str
) -> ScheduleDefinition:
    """Runs the days from `first_back` to `last_back` days before the tick, as one run (one dbt invocation)."""

    @schedule(
        name=name,
        cron_schedule=cron,
        job=job,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description=text,
    )
    def on_days(context: ScheduleEvaluationContext) -> RunRequest:
        at = context.scheduled_execution_time
        first, last = day_key(at - timedelta(days=first_back)), day_key(at - timedelta(days=last_back))
        # the run key makes a tick evaluated twice start one run, not two
        run_key = f"{name}:{at.isoformat()}"
        if first == last:
            return RunRequest(run_key=run_key, partition_key=first)
        return RunRequest(
            run_key=run_key, tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
        )

    return on_days


def schedules(job: "UnresolvedAssetJobDefinition") -> list[ScheduleDefinition]:
    return [
        # yesterday too: an event of yesterday that arrives today (a phone back online) counts within the hour
        _on_days(job, "models_hourly", HOURLY_CRON, 1, 0, "Every hour: yesterday's and today's partitions."),
        _on_days(job, "models_daily", DAILY_CRON, 1, 1, "Every night: yesterday's partition, now complete."),
    ]
