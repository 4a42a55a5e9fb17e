"""Helpers for the saved insight and dashboard tests: make them through the API, read an error answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.support.api import Account, add_member, bearer, sign_up

TRENDS = {"kind": "trends", "series": [{"event": "signup"}], "date_from": "2026-10-01", "date_to": "2026-10-08"}
FUNNEL = {
    "kind": "funnel",
    "steps": [{"event": "signup"}, {"event": "purchase"}],
    "window_seconds": 86400,
    "date_from": "2026-10-01",
    "date_to": "2026-10-08",
}
SQL = {"kind": "sql", "sql": "SELECT count() FROM events"}
REFUSED_SQL = {"kind": "sql", "sql": "SELECT name FROM system.tables"}

MISSING_ID = 2**31 - 1  # the largest PostgreSQL integer: reaches the database, where no row has it
ROLES = ("owner", "admin", "member", "viewer")

# What an owner's key of these scopes gets: reads need `read`, writes need `write`.
#                   scopes                 reads  writes
KEY_SCOPES: dict[tuple[str, ...], tuple[str, str]] = {
    ("read",):          ("2xx", "403"),
    ("write",):         ("403", "2xx"),
    ("read", "write"):  ("2xx", "2xx"),
}  # fmt: skip


@dataclass
class Organizations:
    """One organization with a caller of every role, and a foreign organization none of them is in.

    Everything of the foreign organization is named "Foreign …", so a leak shows in a response body.
    """

    home: Account
    callers: dict[str, dict[str, str]]
    foreign: Account


def make_world(api: TestClient) -> Organizations:
    home = sign_up(api, organization_name="Home org", project_name="Home project")
    callers = {"owner": home.headers} | {role: add_member(api, home, role)[1] for role in ROLES[1:]}
    return Organizations(home, callers, sign_up(api, organization_name="Foreign org", project_name="Foreign project"))


def personal_key(api: TestClient, headers: dict[str, str], scopes: list[str]) -> dict[str, str]:
    """Auth headers with a new personal key of the caller's, of these scopes."""
    response = api.post("/api/personal-keys", json={"name": "insights", "scopes": scopes}, headers=headers)
    assert response.status_code == 201, response.text
    return bearer(response.json()["key"])


def insights_path(project_id: int) -> str:
    return f"/api/projects/{project_id}/insights"


def dashboards_path(project_id: int) -> str:
    return f"/api/projects/{project_id}/dashboards"


def create_insight(
    api: TestClient, project_id: int, headers: dict[str, str], query: dict[str, Any], name: str = "Insight"
) -> dict[str, Any]:
    response = api.post(insights_path(project_id), json={"name": name, "query": query}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def create_dashboard(api: TestClient, project_id: int, headers: dict[str, str], name: str = "Board") -> dict[str, Any]:
    response = api.post(dashboards_path(project_id), json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def add_tile(
    api: TestClient, project_id: int, dashboard_id: int, insight_id: int, headers: dict[str, str]
) -> dict[str, Any]:
    path = f"{dashboards_path(project_id)}/{dashboard_id}/tiles"
    response = api.post(path, json={"insight_id": insight_id}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def moment(text: str) -> datetime:
    """A timestamp of an answer, to compare as a time (the text drops zero microseconds)."""
    return datetime.fromisoformat(text)


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The one error shape (``{"error": {"code", "message", "field"}}``) with this status: its ``error``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    return body["error"]
