"""The Streamlit tests' project: a month of generated shop traffic sent through capture, and a personal key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from api import accounts, db
from ingest.generate import Sender, generate_events
from streamlit_app.client import QueryClient
from tests.support.ingest import Pipeline, consumed
from tests.support.stack import Stack

EVENTS = 3000
DAYS = 30
SEED = 9


@dataclass
class Analyst:
    project_id: int
    personal_key: str
    api_url: str
    events: int

    def client(self) -> QueryClient:
        return QueryClient(self.api_url, self.personal_key)


@pytest.fixture(scope="session")
def analyst(stack: Stack, pipeline: Pipeline) -> Analyst:
    name = uuid.uuid4().hex[:10]
    with db.sessions(stack.settings)() as session:
        account = accounts.create_account(session, f"analyst-{name}@example.com", "password-123", name, name, name)
        credentials = accounts.owner_credentials(session, account.user, account.project, "streamlit tests")
        session.commit()
    events = list(generate_events(EVENTS, DAYS, SEED))
    Sender(pipeline.capture_url, str(credentials["project_api_key"])).send(events)
    project_id = int(credentials["project_id"])
    stored = pipeline.events(project_id, len(events))
    assert len(stored) == len(events), f"{len(stored)} of {len(events)} events stored"
    consumed(stack.settings)
    api_url = f"http://127.0.0.1:{stack.settings.port('api')}"
    return Analyst(project_id, str(credentials["personal_api_key"]), api_url, len(events))


@pytest.fixture
def app_env(stack: Stack, analyst: Analyst, monkeypatch: pytest.MonkeyPatch) -> Iterator[Analyst]:
    """What the app reads its settings from (AppTest runs the page in this process): the test stack and key."""
    monkeypatch.setenv("CLICKPATH_HOME", str(stack.home))
    monkeypatch.setenv("CLICKPATH_PORT_OFFSET", str(stack.offset))
    monkeypatch.setenv("CLICKPATH_STREAMLIT_PERSONAL_KEY", analyst.personal_key)
    monkeypatch.setenv("CLICKPATH_STREAMLIT_PROJECT_ID", str(analyst.project_id))
    yield analyst
