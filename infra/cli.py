"""The ``clickpath`` command; each component adds its own group of subcommands."""

from __future__ import annotations

import typer

from api.cli import api_app, project_app
from infra.stack.cli import register as register_stack
from infra.warehouse.cli import app as warehouse_app
from ingest.capture.cli import capture_app
from ingest.cli import dlq_app, generate, lag, person_app, retention_app
from orchestration.cli import backfill

app = typer.Typer(help="Clickpath: product analytics on Kafka, ClickHouse, dbt and Dagster.", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(project_app, name="project")
app.add_typer(api_app, name="api")
app.add_typer(capture_app, name="capture")
app.add_typer(dlq_app, name="dlq")
app.add_typer(retention_app, name="retention")
app.add_typer(person_app, name="person")
register_stack(app)
app.command("generate")(generate)
app.command("lag")(lag)
app.command("backfill")(backfill)


def main() -> None:
    app()
