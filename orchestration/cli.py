"""``clickpath backfill``: rebuild the daily models for a range of days, with a line per day."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Annotated

import typer


def backfill(
    first: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (UTC), included.")],
    last: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (UTC), included.")],
    around: Annotated[
        bool,
        typer.Option(
            "--around/--days-only",
            help="Also run, once each, the unpartitioned models the daily ones read (before) and feed (after).",
        ),
    ] = True,
) -> None:
    """Run the daily-partitioned dbt models for each day from --from to --to, one Dagster run per day."""
    # Imported here: Dagster and dbt take seconds to import, and every other `clickpath` command needs neither.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from infra.settings import get_settings
    from orchestration import backfill as backfilling

    settings = get_settings()
    first_day, last_day = first.date(), last.date()
    try:
        backfilling.validate(settings, first_day, last_day, today=datetime.now(UTC).date())
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    # the console keeps the real stdout: dbt's output is redirected to the backfill log meanwhile
    console = Console(highlight=False, file=sys.stdout)
    total = len(backfilling.days(first_day, last_day))
    failed: list[str] = []
    started = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting", total=total)

        def on_start(label: str) -> None:
            progress.update(task, description=f"running {label}")

        for step in backfilling.run(settings, first_day, last_day, around, on_start):
            mark = "[green]ok[/green]" if step.success else "[red]failed[/red]"
            checks = f"{step.checks_passed} checks passed"
            if step.checks_failed:
                checks += f", {step.checks_failed} failed"
            done = f"{step.materialized} models, {checks}"
            console.print(f"{step.label:>10}  {mark}  {step.seconds:5.1f}s  {done}  run {step.run_id[:8]}")
            if not step.success:
                failed.append(step.label)
            if step.label not in ("upstream", "downstream"):
                progress.advance(task)
    summary = f"{total} day(s) in {time.monotonic() - started:.1f}s"
    if failed:
        console.print(f"[red]{summary}; failed: {', '.join(failed)}[/red]")
        console.print(f"dbt's output: {backfilling.log_path(settings)}; the runs' events: the Dagster UI")
        raise typer.Exit(1)
    console.print(f"{summary}, all succeeded")
