"""Schema migrations: ClickHouse DDL, Kafka topics, PostgreSQL (Alembic, in api/migrations)."""

from __future__ import annotations

from collections.abc import Callable

from api import migrations as postgres_migrations
from infra.migrations import clickhouse, kafka_topics
from infra.settings import Settings


def migrate(settings: Settings, say: Callable[[str], None]) -> None:
    """Bring every store up to date; each step is idempotent and says what it did."""
    say(f"clickhouse: {clickhouse.migrate(settings)}")
    say(f"kafka: {kafka_topics.migrate(settings)}")
    say(f"postgres: {postgres_migrations.upgrade(settings)}")
