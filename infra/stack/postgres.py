"""The local PostgreSQL: Debian's binaries on a data directory under the stack's home.

PostgreSQL refuses to run as root, so when the stack runs as root (as on our CI machines) the server
and initdb run as the ``postgres`` user that Debian's package creates. The role ``clickpath`` is the
cluster's superuser and connections are trusted on loopback only: this is a development database.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from psycopg import sql

from infra import clients
from infra.settings import Settings
from infra.stack import shell
from infra.stack.service import Program, Service

ROLE = "clickpath"
DATABASE = "clickpath"


def bin_dir() -> Path:
    """The newest Debian PostgreSQL, else whatever ``postgres`` is on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if versions:
        return versions[-1].parent
    found = shutil.which("postgres")
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make up` (it installs Debian's postgresql)")
    return Path(found).parent


def _run_as() -> str | None:
    return "postgres" if os.geteuid() == 0 else None


def _paths(settings: Settings) -> tuple[Path, Path]:
    root = settings.home_dir / "postgres"
    return root / "data", root / "run"


def _ensure_reachable_by(user: str, path: Path) -> None:
    """Every folder above the data directory must let that user through."""
    for folder in path.parents:
        if not folder.stat().st_mode & stat.S_IXOTH:
            raise RuntimeError(
                f"{folder} is not searchable by other users, so the '{user}' user cannot reach {path}; "
                "chmod o+x it or set CLICKPATH_HOME elsewhere"
            )


def prepare(settings: Settings) -> str:
    data, sockets = _paths(settings)
    if (data / "PG_VERSION").exists():
        return "cluster exists"
    user = _run_as()
    for folder in (data, sockets):
        folder.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(folder, user, user)
    data.chmod(0o700)
    if user:
        _ensure_reachable_by(user, data)
    shell.run(
        [str(bin_dir() / "initdb"), "-D", str(data), "-U", ROLE, "--auth=trust", "--encoding=UTF8", "--no-locale"],
        timeout_s=300,
        user=user,
    )
    return "cluster initialised"


def create_database(settings: Settings) -> str:
    with clients.postgres(settings, database="postgres") as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists:
            return f"database {DATABASE} exists"
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        return f"database {DATABASE} created"


def check(settings: Settings) -> str:
    with clients.postgres(settings) as connection:
        row = connection.execute("SELECT 1, current_setting('server_version')").fetchone()
        assert row is not None and row[0] == 1
        return f"PostgreSQL {row[1]}"


def service(settings: Settings) -> Service:
    address = settings.effective_database_url
    if settings.database_url is not None:
        return Service(name="postgres", address=address, check=lambda: check(settings))
    data, sockets = _paths(settings)
    command = [
        str(bin_dir() / "postgres"),
        "-D",
        str(data),
        "-p",
        str(settings.port("postgres")),
        "-k",
        str(sockets),
        "-c",
        "listen_addresses=127.0.0.1",
    ]
    return Service(
        name="postgres",
        address=address,
        check=lambda: check(settings),
        # SIGINT is PostgreSQL's fast shutdown: clients are disconnected, data is flushed
        program=Program(command=command, ports=(settings.port("postgres"),), user=_run_as(), stop_signal="INT"),
        prepare=lambda: prepare(settings),
        after_start=lambda: create_database(settings),
    )
