"""Helpers for ingestion tests: a fresh project per test, and waiting for its events in ClickHouse."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

from api import accounts, db
from infra import clients
from infra.settings import Settings

WAIT_S = 30


@dataclass
class Project:
    id: int
    key: str


@dataclass
class Pipeline:
    """The test stack's capture API and ClickHouse, seen from outside as an SDK and an analyst would."""

    settings: Settings

    @property
    def capture_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port('capture')}"

    def clickhouse(self) -> Client:
        return clients.clickhouse(self.settings, database=self.settings.clickhouse_database)

    def new_project(self) -> Project:
        """An owner, organization and project of their own, so counts of one test never see another's."""
        name = uuid.uuid4().hex[:10]
        with db.sessions(self.settings)() as session:
            account = accounts.create_account(session, f"ingest-{name}@example.com", "password-123", name, name, name)
            credentials = accounts.owner_credentials(session, account.user, account.project, "tests")
            session.commit()
        return Project(int(credentials["project_id"]), str(credentials["project_api_key"]))

    def events(self, project_id: int, expected: int, timeout_s: float = WAIT_S) -> list[dict[str, Any]]:
        """The project's events once there are at least `expected` (ordered by timestamp, uuid)."""
        client = self.clickhouse()
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                result = client.query(
                    "SELECT * FROM events WHERE project_id = {p:UInt64} ORDER BY timestamp, uuid",
                    parameters={"p": project_id},
                )
                rows = list(result.named_results())
                if len(rows) >= expected or time.monotonic() > deadline:
                    return rows
                time.sleep(0.2)
        finally:
            client.close()
