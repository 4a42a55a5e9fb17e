"""Clients for the services Clickpath talks to, made from settings in one place.

Each works the same against the local stack and against outside services: only the settings differ.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import clickhouse_connect
import psycopg
import redis
from clickhouse_connect.driver.client import Client as ClickHouseClient
from confluent_kafka.admin import AdminClient

from infra.settings import Settings


def clickhouse(settings: Settings, database: str | None = None, **kwargs: object) -> ClickHouseClient:
    """A clickhouse-connect client; credentials come from the URL, else from the warehouse settings.

    Compression (lz4) only for an outside server: to the local embedded one, over loopback, it costs more
    CPU than it saves (docs/PERFORMANCE.md).
    """
    kwargs.setdefault("compress", settings.clickhouse_url is not None)
    url = urlsplit(settings.effective_clickhouse_url)
    return clickhouse_connect.get_client(
        host=url.hostname or "127.0.0.1",
        port=url.port or (8443 if url.scheme == "https" else 8123),
        secure=url.scheme == "https",
        username=url.username or settings.warehouse_user,
        password=url.password if url.username else settings.warehouse_password.get_secret_value(),
        database=database or "",
        **kwargs,
    )


def kafka_config(settings: Settings) -> dict[str, object]:
    """librdkafka settings shared by every client; its own log is kept to errors that matter."""
    return {"bootstrap.servers": settings.effective_kafka_bootstrap_servers, "log_level": 2}


def kafka_admin(settings: Settings) -> AdminClient:
    return AdminClient(kafka_config(settings))


def postgres_conninfo(settings: Settings, database: str | None = None) -> str:
    """A libpq connection string from the SQLAlchemy-style URL (the driver suffix dropped)."""
    url = settings.effective_database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    if database:
        parts = urlsplit(url)
        url = parts._replace(path=f"/{database}").geturl()
    return url


def postgres(settings: Settings, database: str | None = None, connect_timeout: int = 5) -> psycopg.Connection:
    return psycopg.connect(postgres_conninfo(settings, database), connect_timeout=connect_timeout, autocommit=True)


def redis_client(settings: Settings, timeout_s: float = 5) -> redis.Redis:
    return redis.Redis.from_url(
        settings.effective_redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
    )
