"""``clickpath up``, ``down``, ``status`` and ``migrate``."""

from __future__ import annotations

import logging
import shutil
import subprocess
import time

import typer
from rich.console import Console
from rich.table import Table

from infra import migrations
from infra.settings import get_settings
from infra.stack import lifecycle

# clickhouse-connect logs every refused connection; a service still starting (up) or down (status) is
# reported by these commands themselves.
logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)
console = Console(highlight=False, width=shutil.get_terminal_size((140, 24)).columns)


def _say(started: float):  # type: ignore[no-untyped-def]
    def say(text: str) -> None:
        console.print(f"[dim]{time.monotonic() - started:6.1f}s[/dim] {text}")

    return say


def up() -> None:
    """Start the local stack (idempotent): every service supervised, healthy and migrated."""
    started = time.monotonic()
    try:
        summary = lifecycle.up(get_settings(), _say(started))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        console.print(f"[red]clickpath up failed:[/red] {exc}")
        raise typer.Exit(1) from None
    table = Table(title=f"Clickpath is up ({time.monotonic() - started:.1f}s)")
    table.add_column("service")
    table.add_column("address")
    table.add_column("runs")
    for name, service in summary["services"].items():  # type: ignore[union-attr]
        table.add_row(name, service["address"], "here" if service["local"] else "outside")
    console.print(table)
    account = summary["demo"]
    console.print(f"demo login: {account['email']} / {account['password']}  (project {account['project_id']})")
    console.print(f"project API key (SDKs): {account['project_api_key']}")
    console.print(f"personal API key (API, Streamlit): {account['personal_api_key']}")
    console.print(f"Written to {get_settings().home_dir / 'demo.json'}; logs in {summary['logs']}")


def down() -> None:
    """Stop every process the local stack started."""
    stopped = lifecycle.down(get_settings())
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


def status() -> None:
    """Each service, where it runs and whether it answers through its own protocol; exit 1 if any does not."""
    report = lifecycle.status(get_settings())
    table = Table()
    for column in ("service", "address", "process", "memory", "health", "detail"):
        table.add_column(column, justify="right" if column == "memory" else "left")
    for health in report:
        mark = "[green]healthy[/green]" if health.healthy else "[red]down[/red]"
        detail = health.detail.splitlines()[0] if health.detail else ""
        memory = f"{health.memory_mib:.0f} MiB" if health.memory_mib is not None else ""
        table.add_row(health.service.name, health.service.address, health.state, memory, mark, detail[:70])
    total = sum(health.memory_mib or 0 for health in report)
    table.caption = f"resident memory of the local processes: {total:.0f} MiB"
    console.print(table)
    if not all(health.healthy for health in report):
        raise typer.Exit(1)


def migrate() -> None:
    """Apply ClickHouse migrations and create Kafka topics (idempotent)."""
    migrations.migrate(get_settings(), _say(time.monotonic()))


def register(app: typer.Typer) -> None:
    for command in (up, down, status, migrate):
        app.command()(command)
