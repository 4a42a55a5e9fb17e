"""PostgreSQL migrations (Alembic): `clickpath migrate` applies them; `alembic_config` serves the CLI too."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from infra.settings import Settings

HERE = Path(__file__).resolve().parent


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", settings.effective_database_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings) -> str:
    """Bring PostgreSQL to the newest revision (idempotent); returns the revision it is at."""
    config = alembic_config(settings)
    command.upgrade(config, "head")
    return f"at revision {_head(config)}"


def _head(config: Config) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config).get_current_head() or "base"
