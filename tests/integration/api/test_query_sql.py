"""SQL queries: the project's rows only, whatever the SQL says; everything else refused with a 400 that says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from tests.support.api import Account, sign_up
from tests.support.queries import Event, World, insert_events

pytestmark = pytest.mark.integration

AT = datetime(2026, 10, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def accounts(api: TestClient, warehouse: Client) -> tuple[Account, Account]:
    """Two projects of two organizations, each with its own events."""
    mine, theirs = sign_up(api), sign_up(api)
    insert_events(
        warehouse,
        World(mine.project_id),
        [Event("sql-test", f"m{i}", AT + timedelta(minutes=i), {"n": i}) for i in range(5)],
    )
    insert_events(warehouse, World(theirs.project_id), [Event("sql-test", f"t{i}", AT, {"n": 100}) for i in range(7)])
    return mine, theirs


def run(api: TestClient, account: Account, sql: str) -> httpx.Response:
    return api.post(
        f"/api/projects/{account.project_id}/query", json={"kind": "sql", "sql": sql}, headers=account.headers
    )


def rows(api: TestClient, account: Account, sql: str) -> dict[str, Any]:
    response = run(api, account, sql)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_reads_the_projects_rows(api: TestClient, accounts: tuple[Account, Account]) -> None:
    mine, _ = accounts
    answer = rows(api, mine, "SELECT distinct_id, JSONExtractInt(properties, 'n') AS n FROM events ORDER BY n")
    assert answer["columns"] == ["distinct_id", "n"]
    assert answer["rows"] == [[f"m{i}", i] for i in range(5)] and answer["truncated"] is False


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count() FROM events WHERE project_id != 0",
        "SELECT count() FROM events AS e WHERE e.project_id = {other}",
        "SELECT (SELECT count() FROM events WHERE project_id = {other})",
        "WITH x AS (SELECT * FROM events) SELECT count() FROM x WHERE project_id = {other} OR 1 = 1",
        "SELECT count() FROM (SELECT * FROM events WHERE project_id = {other} OR project_id = {mine})",
        "SELECT count() FROM events WHERE distinct_id IN (SELECT distinct_id FROM events WHERE project_id = {other})",
    ],
)
def test_other_projects_stay_invisible(api: TestClient, accounts: tuple[Account, Account], sql: str) -> None:
    mine, theirs = accounts
    [[count]] = rows(api, mine, sql.format(other=theirs.project_id, mine=mine.project_id))["rows"]
    assert count in (0, 5)


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("SELECT * FROM system.tables", "system.tables"),
        ("SELECT * FROM system.one", "system.one"),
        ("SELECT * FROM person_distinct_ids", "person_distinct_ids"),
        ("SELECT * FROM clickpath.events", "clickpath.events"),
        ("SELECT * FROM events SETTINGS max_threads = 1", "SETTINGS"),
        ("SELECT * FROM numbers(10)", "table functions"),
        ("SELECT * FROM remote('127.0.0.1', system.one)", "table functions"),
        ("SELECT * FROM url('http://example.com', CSV)", "table functions"),
        ("SELECT 1; SELECT 2", "one statement"),
        ("INSERT INTO events (event) VALUES ('x')", "INSERT"),
        ("DROP TABLE events", "DROP"),
        ("ALTER TABLE events DELETE WHERE 1", "SELECT"),
        ("SELECT dictGet('d', 'a', 1)", "dictGet"),
        ("WITH events AS (SELECT * FROM system.tables) SELECT * FROM events", "shadow"),
        ("WITH x AS (SELECT * FROM system.tables) SELECT * FROM x", "system.tables"),
        ("SELECT * FROM events FINAL", "FINAL"),
        ("SELECT {p:UInt64}", "parameters"),
        ("SELECT * FROM events FORMAT JSON", "FORMAT"),
        ("SELEKT 1", "cannot parse"),
        ("SELECT count() FROM events WHERE distinct_id IN (person_links)", "IN followed by a name"),
        ("SELECT count() FROM events WHERE (project_id, distinct_id) IN person_distinct_id_map", "IN followed"),
    ],
)
def test_refused(api: TestClient, accounts: tuple[Account, Account], sql: str, says: str) -> None:
    response = run(api, accounts[0], sql)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == "sql" and says in error["message"], error


def test_row_limit_truncates(api: TestClient, api_settings: Any, accounts: tuple[Account, Account]) -> None:
    from api.main import create_app

    with TestClient(create_app(api_settings.model_copy(update={"query_max_result_rows": 3}))) as small:
        answer = rows(small, accounts[0], "SELECT number FROM events ARRAY JOIN range(100) AS number")
    assert len(answer["rows"]) == 3 and answer["truncated"] is True


def test_limits_are_on_the_request(api: TestClient, api_settings: Any, accounts: tuple[Account, Account]) -> None:
    """The limits travel as settings of the request, so ClickHouse itself enforces them.

    (readonly is sent too, but the embedded server acts on it in its HTTP layer, so getSetting shows 0 there.)
    """
    sql = "SELECT getSetting('max_execution_time'), getSetting('max_result_rows'), getSetting('result_overflow_mode')"
    [[seconds, max_rows, overflow]] = rows(api, accounts[0], sql)["rows"]
    limit = api_settings.query_max_result_rows
    assert (float(seconds), int(max_rows), overflow) == (api_settings.query_max_execution_s, limit + 1, "break")


def test_a_clickhouse_error_is_a_400_with_its_reason(api: TestClient, accounts: tuple[Account, Account]) -> None:
    response = run(api, accounts[0], "SELECT no_such_column FROM events")
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert "no_such_column" in message and "for url" not in message, message
