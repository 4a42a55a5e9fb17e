"""`clickpath up` runs the Dagster webserver and daemon, with the code location loaded."""

from __future__ import annotations

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration

LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries {
  name locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def test_the_webserver_answers_and_loaded_the_definitions(stack: Stack) -> None:
    url = f"http://127.0.0.1:{stack.settings.port('dagster')}"
    assert httpx.get(f"{url}/server_info", timeout=10).json()["dagster_webserver_version"]
    entries = httpx.post(f"{url}/graphql", json={"query": LOCATIONS}, timeout=30).json()["data"]["workspaceOrError"]
    (entry,) = entries["locationEntries"]
    assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry


def test_status_shows_the_webserver_and_the_daemon_healthy(stack: Stack) -> None:
    result = stack.run("status")
    for name in ("dagster", "dagster-daemon"):
        line = next(line for line in result.stdout.splitlines() if f" {name} " in line)
        assert "RUNNING" in line and "healthy" in line, result.stdout
