"""``clickpath warehouse``: run the embedded ClickHouse server."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from infra.settings import get_settings

app = typer.Typer(
    help="The embedded ClickHouse: chdb's engine behind ClickHouse's HTTP interface.", no_args_is_help=True
)

GRACEFUL_SHUTDOWN_S = 10  # on SIGTERM, how long running requests get to finish


@app.command()
def serve(
    data: Annotated[Path, typer.Option("--data", help="Data directory; this process owns it.")],
    host: Annotated[
        str, typer.Option(help="Address to listen on. Keep 127.0.0.1 unless clients are remote.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8123,
    user: Annotated[
        str | None, typer.Option(help="User to accept (default: CLICKPATH_WAREHOUSE_USER, else default).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve ClickHouse's HTTP interface on DATA. The password comes from CLICKPATH_WAREHOUSE_PASSWORD."""
    # imported here: loading chdb starts an engine, which the other `clickpath` commands must not pay for
    from infra.warehouse.server import KEEP_ALIVE_S, ServerConfig, create_app

    settings = get_settings()
    config = ServerConfig(
        data_dir=data,
        user=user or settings.warehouse_user,
        password=settings.warehouse_password.get_secret_value(),
    )
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level=log_level,
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
