"""ClickHouse DDL migrations: schemas/clickhouse/NNNN_name.sql, applied in order, each once.

Applied migrations are recorded in ``schema_migrations`` with a checksum; a file changed after it was
applied is refused rather than silently skipped. Statements in a file end with ``;`` at the end of a
line. The tables are created in CLICKPATH_CLICKHOUSE_DATABASE, named without a database in the files.
With CLICKPATH_CLICKHOUSE_CLUSTER set, every statement runs ON CLUSTER with replicated tables (cluster.py).

Why not a migration library: the ones for ClickHouse speak its native TCP protocol, which the embedded
server does not serve; this runner needs only the HTTP interface.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from infra import clients
from infra.migrations.cluster import for_cluster
from infra.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "clickhouse"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_STATEMENT_END = re.compile(r";[ \t]*$", re.MULTILINE)

LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY version
"""


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def statements(self) -> list[str]:
        return [part.strip() for part in _STATEMENT_END.split(self.path.read_text()) if part.strip()]


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lowercase_name.sql")
        migrations.append(Migration(int(match.group(1)), path))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a version in {directory}")
    return migrations


def migrate(settings: Settings, directory: Path = MIGRATIONS_DIR) -> str:
    database = settings.clickhouse_database
    admin = clients.clickhouse(settings, autogenerate_session_id=False)
    cluster = settings.clickhouse_cluster
    admin.command(f"CREATE DATABASE IF NOT EXISTS `{database}`" + (f" ON CLUSTER `{cluster}`" if cluster else ""))
    admin.close()
    client = clients.clickhouse(settings, database=database, autogenerate_session_id=False)
    try:
        client.command(for_cluster(LEDGER.strip(), cluster) if cluster else LEDGER)
        applied = dict(client.query("SELECT version, checksum FROM schema_migrations").result_rows)
        done = []
        for migration in discover(directory):
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(f"{migration.path.name} changed after it was applied; add a new migration")
                continue
            for statement in migration.statements():
                client.command(for_cluster(statement, cluster) if cluster else statement)
            client.insert(
                "schema_migrations",
                [(migration.version, migration.path.name, migration.checksum)],
                column_names=["version", "name", "checksum"],
            )
            done.append(migration.path.name)
        return f"applied {', '.join(done)}" if done else f"up to date ({len(applied)} migrations)"
    finally:
        client.close()
