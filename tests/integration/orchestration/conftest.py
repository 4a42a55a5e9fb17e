from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from dagster import Definitions

from infra import clients
from infra.settings import Settings
from orchestration import project
from orchestration.definitions import build_definitions
from tests.support.stack import Stack

# the events table's columns (schemas/clickhouse/0001_events.sql), in insert order
EVENT_COLUMNS = ["uuid", "project_id", "event", "distinct_id", "properties", "timestamp", "received_at"]
EVENT_COLUMNS += ["kafka_partition", "kafka_offset"]


@pytest.fixture(scope="session")
def settings(stack: Stack) -> Settings:
    """The test stack's settings; CLICKPATH_DBT_PROJECT_DIR, when set, points at another dbt project."""
    return stack.settings


@pytest.fixture(scope="module")
def definitions(settings: Settings) -> Iterator[Definitions]:
    """Building exports the dbt profile's variables (and DBT_TARGET_PATH) into this process: they are taken
    back after the module, so the other tests' dbt and settings never see them."""
    saved = dict(os.environ)
    try:
        project.prepare(settings)
        yield build_definitions(settings)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def insert_events(settings: Settings, project_id: int, timestamps: list[datetime]) -> None:
    """Events written straight into ClickHouse, as the consumer would: received now, happened at `timestamps`."""
    now = datetime.now(UTC)
    rows = [
        [uuid.uuid4(), project_id, "$pageview", f"person-{index % 3}", json.dumps({"$session_id": "s1"}), ts, now, 0, 0]
        for index, ts in enumerate(timestamps)
    ]
    client = clients.clickhouse(settings, database=settings.clickhouse_database)
    try:
        client.insert("events", rows, column_names=EVENT_COLUMNS)
    finally:
        client.close()
