"""``clickpath capture openapi``: the capture API's OpenAPI document, checked in under schemas/openapi/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from infra.settings import get_settings

capture_app = typer.Typer(help="The capture API.", no_args_is_help=True)
OPENAPI_PATH = Path(__file__).resolve().parents[2] / "schemas" / "openapi" / "capture.json"


@capture_app.command("openapi")
def openapi(out: Annotated[Path, typer.Option(help="Where to write the document.")] = OPENAPI_PATH) -> None:
    """Write the capture API's OpenAPI document."""
    from ingest.capture.app import create_app

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(create_app(get_settings()).openapi(), indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {out}")
