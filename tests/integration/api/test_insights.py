"""Saved insights on real PostgreSQL: create, list, read, change, delete; who may; what a bad body gets.

The expected statuses are written out from the rules in docs/DASHBOARDS.md (anyone who may read the project
reads its insights; members and above, with a key's `write` scope, change them; another organization's
project or insight is 404), not computed from api/access.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.api import Account, add_member
from tests.support.insights import (
    FUNNEL,
    KEY_SCOPES,
    MISSING_ID,
    ROLES,
    SQL,
    TRENDS,
    Organizations,
    create_insight,
    error_of,
    insights_path,
    make_world,
    moment,
    personal_key,
)

pytestmark = pytest.mark.integration


def test_an_insight_is_created_read_listed_changed_and_deleted(api: TestClient, owner: Account) -> None:
    path, headers = insights_path(owner.project_id), owner.headers
    body = {"name": " Signups ", "description": "Daily\nsignups", "query": {**TRENDS, "refresh": True, "async": True}}
    response = api.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    first = response.json()
    assert set(first) == {"id", "project_id", "name", "description", "query", "created_at", "updated_at", "created_by"}
    assert (first["project_id"], first["name"], first["description"]) == (owner.project_id, "Signups", "Daily\nsignups")
    assert first["created_by"] == owner.user_id and first["created_at"] == first["updated_at"]
    # kept as the query endpoint read it: defaults filled in, how to run it (refresh, async) left out
    assert first["query"] == {
        **TRENDS,
        "series": [{"event": "signup", "math": "total", "math_property": None, "properties": [], "name": None}],
        "interval": "day",
        "properties": [],
        "breakdown": None,
        "breakdown_limit": 10,
        "compare": False,
    }
    assert api.get(f"{path}/{first['id']}", headers=headers).json() == first

    second = create_insight(api, owner.project_id, headers, SQL, name="Events")
    assert second["description"] == ""

    def listed(query: str = "") -> list[int]:
        response = api.get(f"{path}{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [insight["id"] for insight in response.json()["results"]]

    assert listed() == [second["id"], first["id"]]  # newest first
    assert (listed("?kind=trends"), listed("?kind=sql"), listed("?kind=funnel")) == ([first["id"]], [second["id"]], [])

    renamed = api.patch(f"{path}/{first['id']}", json={"name": "Signups per day"}, headers=headers).json()
    assert renamed["name"] == "Signups per day" and moment(renamed["updated_at"]) > moment(first["updated_at"])
    assert {k: v for k, v in renamed.items() if k not in ("name", "updated_at")} == {
        k: v for k, v in first.items() if k not in ("name", "updated_at")
    }
    requeried = api.patch(f"{path}/{first['id']}", json={"query": FUNNEL, "description": None}, headers=headers).json()
    assert requeried["query"]["kind"] == "funnel" and requeried["query"]["steps"][1]["event"] == "purchase"
    assert (requeried["name"], requeried["description"]) == ("Signups per day", "")
    assert listed("?kind=funnel") == [first["id"]] and listed("?kind=trends") == []

    assert api.delete(f"{path}/{first['id']}", headers=headers).status_code == 204
    error_of(api.get(f"{path}/{first['id']}", headers=headers), 404)
    error_of(api.delete(f"{path}/{first['id']}", headers=headers), 404)
    assert listed() == [second["id"]]


def test_a_saved_query_is_one_the_query_endpoint_takes(api: TestClient, owner: Account) -> None:
    for query in (TRENDS, FUNNEL, SQL):
        saved = create_insight(api, owner.project_id, owner.headers, query)["query"]
        response = api.post(f"/api/projects/{owner.project_id}/query", json=saved, headers=owner.headers)
        assert response.status_code == 200, response.text


def test_text_postgres_jsonb_would_refuse_is_kept(api: TestClient, owner: Account) -> None:
    """A NUL character in a query (the query endpoint takes it) is saved, listed and filtered like any other."""
    query = {**TRENDS, "series": [{"event": "odd\x00name"}]}
    saved = create_insight(api, owner.project_id, owner.headers, query)
    listed = api.get(f"{insights_path(owner.project_id)}?kind=trends", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    assert [insight["query"]["series"][0]["event"] for insight in listed.json()["results"]] == ["odd\x00name"]
    assert listed.json()["results"][0]["id"] == saved["id"]


# --- who may ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(api: TestClient) -> Organizations:
    return make_world(api)


# (method, path under the project's insights, body); {insight} is an insight of the target project.
REQUESTS: dict[str, tuple[str, str, Callable[[], Any] | None]] = {
    "list": ("GET", "", None),
    "get": ("GET", "/{insight}", None),
    "create": ("POST", "", lambda: {"name": "Created", "query": SQL}),
    "update": ("PATCH", "/{insight}", lambda: {"name": "Renamed"}),
    "delete": ("DELETE", "/{insight}", None),
}
WRITES = ("create", "update", "delete")

# The caller acts in their own organization's project.
#               owner admin member viewer
OWN: dict[str, tuple[int, int, int, int]] = {
    "list":     (200, 200, 200, 200),
    "get":      (200, 200, 200, 200),
    "create":   (201, 201, 201, 403),
    "update":   (200, 200, 200, 403),
    "delete":   (204, 204, 204, 403),
}  # fmt: skip


def call(api: TestClient, project_id: int, insight_id: int, request: str, headers: dict[str, str]) -> httpx.Response:
    method, suffix, body = REQUESTS[request]
    path = insights_path(project_id) + suffix.format(insight=insight_id)
    return api.request(method, path, json=body() if body else None, headers=headers)


def listing(api: TestClient, owner: Account) -> Any:
    response = api.get(insights_path(owner.project_id), headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("request_name", REQUESTS)
def test_roles_in_their_own_organization(api: TestClient, world: Organizations, request_name: str, role: str) -> None:
    insight = create_insight(api, world.home.project_id, world.home.headers, TRENDS)
    before = listing(api, world.home)
    expected = OWN[request_name][ROLES.index(role)]

    response = call(api, world.home.project_id, insight["id"], request_name, world.callers[role])

    assert response.status_code == expected, response.text
    if expected == 403:
        error_of(response, 403)
        assert listing(api, world.home) == before, "a refused request changed something"
    elif request_name in WRITES:
        assert listing(api, world.home) != before, "an accepted write changed nothing"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("request_name", REQUESTS)
def test_another_organizations_insights_are_not_found(
    api: TestClient, world: Organizations, request_name: str, role: str
) -> None:
    foreign = create_insight(api, world.foreign.project_id, world.foreign.headers, TRENDS, name="Foreign insight")
    before = listing(api, world.foreign)
    headers = world.callers[role]

    through_their_project = call(api, world.foreign.project_id, foreign["id"], request_name, headers)
    through_own_project = call(api, world.home.project_id, foreign["id"], request_name, headers)
    missing_project = call(api, MISSING_ID, MISSING_ID, request_name, headers)

    assert error_of(through_their_project, 404) == error_of(missing_project, 404)
    if request_name in ("get", "update", "delete"):  # an id of another project in one's own: as if missing
        expected = 403 if role == "viewer" and request_name in WRITES else 404
        missing_insight = call(api, world.home.project_id, MISSING_ID, request_name, headers)
        assert error_of(through_own_project, expected) == error_of(missing_insight, expected)
    assert "Foreign" not in through_their_project.text + through_own_project.text
    assert listing(api, world.foreign) == before


@pytest.mark.parametrize("scopes", KEY_SCOPES, ids="+".join)
def test_personal_key_scopes(api: TestClient, owner: Account, scopes: tuple[str, ...]) -> None:
    headers = personal_key(api, owner.headers, list(scopes))
    reads, writes = KEY_SCOPES[scopes]
    for request_name in REQUESTS:
        insight = create_insight(api, owner.project_id, owner.headers, TRENDS)
        response = call(api, owner.project_id, insight["id"], request_name, headers)
        if (writes if request_name in WRITES else reads) == "2xx":
            assert 200 <= response.status_code < 300, (request_name, response.text)
        else:
            error_of(response, 403)


def test_a_viewers_key_with_every_scope_still_only_reads(api: TestClient, owner: Account) -> None:
    _, viewer = add_member(api, owner, "viewer")
    headers = personal_key(api, viewer, ["read", "write"])
    insight = create_insight(api, owner.project_id, owner.headers, TRENDS)
    assert call(api, owner.project_id, insight["id"], "get", headers).status_code == 200
    for request_name in WRITES:
        error_of(call(api, owner.project_id, insight["id"], request_name, headers), 403)


def test_no_credentials_is_401(api: TestClient, owner: Account) -> None:
    insight = create_insight(api, owner.project_id, owner.headers, TRENDS)
    for request_name in REQUESTS:
        error_of(call(api, owner.project_id, insight["id"], request_name, {}), 401)


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No query"}, "query"),
        ({"query": SQL}, "name"),
        ({"name": "", "query": SQL}, "name"),
        ({"name": "   ", "query": SQL}, "name"),
        ({"name": "x" * 201, "query": SQL}, "name"),
        ({"name": "Tab\tin name", "query": SQL}, "name"),
        ({"name": "x", "description": "d" * 2001, "query": SQL}, "description"),
        ({"name": "x", "description": "NUL\x00", "query": SQL}, "description"),
        ({"name": "x", "query": None}, "query"),
        ({"name": "x", "query": {}}, "query.kind"),
        ({"name": "x", "query": {"kind": "nope"}}, "query.kind"),
        ({"name": "x", "query": {**TRENDS, "series": [{"event": "x", "math": "mode"}]}}, "query.series.0.math"),
        ({"name": "x", "query": {**TRENDS, "date_form": "-7d"}}, "query.date_form"),
        ({"name": "x", "query": {**FUNNEL, "steps": [{"event": "a"}]}}, "query.steps"),
        ({"name": "x", "query": {"kind": "sql", "sql": ""}}, "query.sql"),
        ({"name": "x", "query": SQL, "shared": True}, "shared"),
    ],
)
def test_a_bad_body_is_422_naming_the_field(api: TestClient, owner: Account, body: Any, field: str) -> None:
    response = api.post(insights_path(owner.project_id), json=body, headers=owner.headers)
    error = error_of(response, 422)
    assert error["field"] == field and error["message"].startswith(f"{field}: "), error
    assert listing(api, owner) == {"results": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"query": None}, "query"),
        ({"name": "x" * 201}, "name"),
        ({"query": {**TRENDS, "interval": "minute"}}, "query.interval"),
    ],
)
def test_a_bad_change_is_422_and_changes_nothing(api: TestClient, owner: Account, body: Any, field: str) -> None:
    insight = create_insight(api, owner.project_id, owner.headers, TRENDS)
    response = api.patch(f"{insights_path(owner.project_id)}/{insight['id']}", json=body, headers=owner.headers)
    assert error_of(response, 422)["field"] == field
    assert listing(api, owner) == {"results": [insight]}


def test_the_longest_name_is_kept(api: TestClient, owner: Account) -> None:
    assert create_insight(api, owner.project_id, owner.headers, SQL, name="é" * 200)["name"] == "é" * 200


def test_bad_ids_and_filters(api: TestClient, owner: Account) -> None:
    path = insights_path(owner.project_id)
    assert error_of(api.get(f"{path}?kind=nope", headers=owner.headers), 422)["field"] == "kind"
    for bad in (0, 2**31, "one"):
        assert error_of(api.get(f"{path}/{bad}", headers=owner.headers), 422)["field"] == "insight_id"
    assert error_of(api.get(f"{path}/{MISSING_ID}", headers=owner.headers), 404)["message"] == "insight not found"
