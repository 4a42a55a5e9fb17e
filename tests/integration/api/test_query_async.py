"""Async queries through the test stack's query worker: the same answers as asked synchronously, failures with
their message, jobs visible through their own project only, answers that expire."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient
from rq.job import Job

from infra import clients
from infra.settings import Settings
from tests.support.api import Account, add_member, sign_up
from tests.support.queries import Event, World, insert_events

pytestmark = pytest.mark.integration

WAIT_S = 60
DATES = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
BODIES = {
    "trends": {"kind": "trends", "series": [{"event": "$pageview"}, {"event": "buy", "math": "unique_persons"}]},
    "funnel": {"kind": "funnel", "steps": [{"event": "$pageview"}, {"event": "buy"}]},
    "paths": {"kind": "paths", "step_limit": 3},
    "sql": {"kind": "sql", "sql": "SELECT event, count() FROM events GROUP BY event ORDER BY event"},
}


@pytest.fixture(scope="module")
def account(api: TestClient, warehouse: Client) -> Account:
    """A project in Europe/Paris (the worker must use the project's zone too) with a few visits."""
    account = sign_up(api)
    response = api.patch(
        f"/api/projects/{account.project_id}", json={"timezone": "Europe/Paris"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    world, at = World(account.project_id), datetime(2026, 10, 3, 22, 30, tzinfo=UTC)
    events = []
    for visitor in range(6):
        for step, path in enumerate(["/", "/pricing", "/", "/buy"][: 2 + visitor % 3]):
            properties = {"$pathname": path, "$session_id": f"s-{visitor}"}
            events.append(Event("$pageview", f"a-{visitor}", at + timedelta(days=visitor, minutes=step), properties))
        if visitor % 2:
            events.append(Event("buy", f"a-{visitor}", at + timedelta(days=visitor, minutes=9)))
    insert_events(warehouse, world, events)
    return account


def url(project_id: int, job_id: str | None = None) -> str:
    return f"/api/projects/{project_id}/query" + (f"/{job_id}" if job_id else "")


def enqueue(api: TestClient, account: Account, body: dict[str, Any]) -> str:
    response = api.post(url(account.project_id), json={**body, "async": True}, headers=account.headers)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and job["kind"] == body["kind"] and job["result"] is None, job
    assert response.headers["location"] == url(account.project_id, job["job_id"])
    return job["job_id"]


def settled(api: TestClient, account: Account, job_id: str) -> dict[str, Any]:
    """Polls the job until the worker finished or failed it."""
    deadline = time.monotonic() + WAIT_S
    while True:
        response = api.get(url(account.project_id, job_id), headers=account.headers)
        assert response.status_code == 200, response.text
        job = response.json()
        assert job["status"] in ("queued", "started", "finished", "failed"), job
        if job["status"] in ("finished", "failed"):
            return job
        assert time.monotonic() < deadline, f"the job is still {job['status']} after {WAIT_S} s: is the worker up?"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", BODIES)
def test_the_worker_answers_as_the_synchronous_call(api: TestClient, account: Account, kind: str) -> None:
    body = {**BODIES[kind], **({} if kind == "sql" else DATES)}
    synchronous = api.post(url(account.project_id), json=body, headers=account.headers)
    assert synchronous.status_code == 200, synchronous.text
    assert synchronous.json()["results"], "the data should give a non-empty answer"

    job = settled(api, account, enqueue(api, account, {**body, "refresh": True}))
    assert job["status"] == "finished" and job["error"] is None, job
    answer = job["result"]
    assert answer["kind"] == kind and answer["cached"] is False
    assert (answer["results"], answer["source"]) == (synchronous.json()["results"], synchronous.json()["source"])
    assert job["enqueued_at"] and job["ended_at"]

    # the worker reads and writes the API's cache: without refresh, the answer it stored comes back
    again = settled(api, account, enqueue(api, account, body))
    assert again["result"]["cached"] is True and again["result"]["results"] == answer["results"]


def test_a_query_that_cannot_be_answered_is_a_failed_job(api: TestClient, account: Account) -> None:
    regex = [{"key": "$pathname", "operator": "regex", "value": "("}]
    job = settled(api, account, enqueue(api, account, {**BODIES["paths"], **DATES, "properties": regex}))
    assert job["status"] == "failed" and job["result"] is None, job
    assert job["error"]["status"] == 400 and "the query failed in ClickHouse" in job["error"]["message"], job

    empty = {**BODIES["trends"], "date_from": "2026-10-07", "date_to": "2026-10-01"}
    job = settled(api, account, enqueue(api, account, empty))
    assert job["status"] == "failed" and job["error"]["field"] == "date_from", job
    assert "the range is empty" in job["error"]["message"]


def test_a_job_is_visible_through_its_own_project_only(api: TestClient, account: Account) -> None:
    job_id = enqueue(api, account, {**BODIES["sql"]})
    settled(api, account, job_id)
    # another project of the same owner: the job is not there
    response = api.post(
        f"/api/organizations/{account.organization_id}/projects", json={"name": "Other"}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    other_project = response.json()["id"]
    assert api.get(url(other_project, job_id), headers=account.headers).status_code == 404
    # someone else: neither through their project nor through this one
    stranger = sign_up(api)
    assert api.get(url(stranger.project_id, job_id), headers=stranger.headers).status_code == 404
    assert api.get(url(account.project_id, job_id), headers=stranger.headers).status_code == 404
    assert api.get(url(account.project_id, job_id)).status_code == 401
    # a viewer of the project reads it
    _, viewer = add_member(api, account, "viewer")
    assert api.get(url(account.project_id, job_id), headers=viewer).json()["status"] == "finished"


def test_unknown_and_malformed_job_ids(api: TestClient, account: Account) -> None:
    missing = api.get(url(account.project_id, str(uuid.uuid4())), headers=account.headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found", missing.text
    malformed = api.get(url(account.project_id, "rq:job:x"), headers=account.headers)
    assert malformed.status_code == 422 and malformed.json()["error"]["field"] == "job_id", malformed.text


@pytest.mark.parametrize("value", ["sometimes", [], {"yes": 1}, None])
def test_async_must_be_a_boolean(api: TestClient, account: Account, value: Any) -> None:
    response = api.post(url(account.project_id), json={**BODIES["sql"], "async": value}, headers=account.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "async", response.text


def test_answers_expire(api: TestClient, account: Account, api_settings: Settings) -> None:
    job_id = enqueue(api, account, {**BODIES["sql"]})
    assert settled(api, account, job_id)["status"] == "finished"
    connection = clients.redis_client(api_settings)
    try:
        ttl = connection.ttl(Job.key_for(job_id))
    finally:
        connection.close()
    assert 0 < ttl <= api_settings.query_job_ttl_s, ttl
