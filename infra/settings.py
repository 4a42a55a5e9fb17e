"""Everything a Clickpath process needs to know about its surroundings, from ``CLICKPATH_*`` variables.

One class, read once per process; a ``.env`` file in the working directory is honoured too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLICKPATH_", env_file=".env", extra="ignore")

    home: Path = Path(".clickpath")
    """Where the local stack keeps its state (data, logs, demo credentials)."""

    clickhouse_url: str = "http://127.0.0.1:8123"
    """ClickHouse's HTTP interface; the local stack serves the embedded engine here."""

    warehouse_user: str = "default"
    """The user the embedded ClickHouse server accepts."""

    warehouse_password: SecretStr = SecretStr("")
    """That user's password; empty means none, as ClickHouse's ``default`` user out of the box."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
