"""The Alembic migrations build exactly the models, and run down and up again on a fresh database."""

from __future__ import annotations

import uuid

from alembic import command
from psycopg import sql

from api import migrations
from infra import clients
from infra.settings import Settings


def test_the_migrated_schema_matches_the_models(api_settings: Settings) -> None:
    # raises when autogenerate would find anything to change
    command.check(migrations.alembic_config(api_settings))


def test_migrations_go_down_and_up_on_a_fresh_database(api_settings: Settings) -> None:
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    with clients.postgres(api_settings, database="postgres") as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = api_settings.effective_database_url.rsplit("/", 1)[0] + f"/{name}"
    settings = api_settings.model_copy(update={"database_url": url})
    try:
        assert migrations.upgrade(settings) == "at revision 0002"
        command.downgrade(migrations.alembic_config(settings), "base")
        with clients.postgres(settings) as connection:
            tables = connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
            types = connection.execute("SELECT typname FROM pg_type WHERE typname = 'role'").fetchall()
        assert tables == [("alembic_version",)] and types == []
        assert migrations.upgrade(settings) == "at revision 0002"
        assert migrations.upgrade(settings) == "at revision 0002"  # idempotent
    finally:
        with clients.postgres(api_settings, database="postgres") as connection:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
