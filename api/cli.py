"""``clickpath project create``, ``clickpath api openapi`` and ``clickpath api worker``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from api import accounts, db
from api.errors import APIError
from infra.settings import get_settings

project_app = typer.Typer(help="Projects and their keys.", no_args_is_help=True)
api_app = typer.Typer(help="The query and auth API.", no_args_is_help=True)
OPENAPI_PATH = Path(__file__).resolve().parents[1] / "schemas" / "openapi" / "api.json"


def create_account(org: str, name: str, email: str, password: str) -> dict[str, object]:
    """An owner with a new organization and project: their ids and keys."""
    with db.sessions(get_settings())() as session:
        account = accounts.create_account(session, email, password, email.split("@")[0], org, name)
        credentials = accounts.owner_credentials(session, account.user, account.project, "clickpath project create")
        session.commit()
        return credentials


@project_app.command("create")
def create(
    org: Annotated[str, typer.Option(help="Name of the new organization.")],
    name: Annotated[str, typer.Option(help="Name of its first project.")],
    email: Annotated[str, typer.Option(help="The owner's e-mail (a new account).")],
    password: Annotated[str, typer.Option(help="The owner's password (at least 8 characters).")],
) -> None:
    """Create an organization, a project and its owner; print their ids and keys as JSON."""
    if len(password) < 8:
        raise typer.BadParameter("at least 8 characters", param_hint="--password")
    try:
        typer.echo(json.dumps(create_account(org, name, email, password), indent=2))
    except APIError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None


@api_app.command("worker")
def worker() -> None:
    """Run asynchronous queries from the Redis queue (the stack's query-worker; docs/QUERIES.md)."""
    from api.queries import jobs  # loads every runner once, before the worker forks a work horse per job

    jobs.work(get_settings())


@api_app.command("openapi")
def openapi(out: Annotated[Path, typer.Option(help="Where to write the document.")] = OPENAPI_PATH) -> None:
    """Write the API's OpenAPI document (checked in under schemas/openapi/)."""
    from api.main import create_app

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(create_app(get_settings()).openapi(), indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {out}")
