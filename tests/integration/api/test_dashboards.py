"""Dashboards on real PostgreSQL, ClickHouse and Redis: tiles, every tile's answer, who may, bad input.

A tile's answer must be exactly what the query endpoint answers for the insight's query, come from the
cache the second time, and a failing tile must not stop the others (docs/DASHBOARDS.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from api import demo as demo_account
from api.routes.dashboards import MAX_TILES
from tests.support.api import Account, add_member, bearer, sign_up
from tests.support.insights import (
    FUNNEL,
    KEY_SCOPES,
    MISSING_ID,
    REFUSED_SQL,
    ROLES,
    SQL,
    TRENDS,
    Organizations,
    add_tile,
    create_dashboard,
    create_insight,
    dashboards_path,
    error_of,
    insights_path,
    make_world,
    moment,
    personal_key,
)
from tests.support.queries import Event, World, insert_events
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def get(api: TestClient, path: str, headers: dict[str, str]) -> Any:
    response = api.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_dashboard_is_created_listed_changed_and_deleted(api: TestClient, owner: Account) -> None:
    path, headers = dashboards_path(owner.project_id), owner.headers
    response = api.post(path, json={"name": " Growth ", "description": "Weekly review"}, headers=headers)
    assert response.status_code == 201, response.text
    first = response.json()
    assert set(first) == {"id", "project_id", "name", "description", "tiles", "created_at", "updated_at"}
    assert (first["project_id"], first["name"], first["description"], first["tiles"]) == (
        owner.project_id,
        "Growth",
        "Weekly review",
        [],
    )
    second = api.post(path, json={"name": "Second", "description": None}, headers=headers).json()
    assert second["description"] == ""
    assert get(api, f"{path}/{first['id']}", headers) == first
    assert [board["id"] for board in get(api, path, headers)["results"]] == [second["id"], first["id"]]

    renamed = api.patch(f"{path}/{first['id']}", json={"name": "Growth 2027", "description": None}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["description"]) == ("Growth 2027", "")
    assert moment(renamed.json()["updated_at"]) > moment(first["updated_at"])

    insight = create_insight(api, owner.project_id, headers, TRENDS)
    add_tile(api, owner.project_id, first["id"], insight["id"], headers)
    assert api.delete(f"{path}/{first['id']}", headers=headers).status_code == 204
    error_of(api.get(f"{path}/{first['id']}", headers=headers), 404)
    assert [board["id"] for board in get(api, path, headers)["results"]] == [second["id"]]
    assert get(api, f"{insights_path(owner.project_id)}/{insight['id']}", headers) == insight  # the insight stays


def test_tiles_are_added_last_and_removed(api: TestClient, owner: Account) -> None:
    headers = owner.headers
    board = create_dashboard(api, owner.project_id, headers)
    path = f"{dashboards_path(owner.project_id)}/{board['id']}"
    trends, funnel = (create_insight(api, owner.project_id, headers, query) for query in (TRENDS, FUNNEL))

    first = add_tile(api, owner.project_id, board["id"], trends["id"], headers)
    second = add_tile(api, owner.project_id, board["id"], funnel["id"], headers)
    again = add_tile(api, owner.project_id, board["id"], trends["id"], headers)  # one insight may show twice
    assert [(t["insight_id"], t["position"]) for t in (first, second, again)] == [
        (trends["id"], 0),
        (funnel["id"], 1),
        (trends["id"], 2),
    ]
    assert get(api, path, headers)["tiles"] == [first, second, again]

    assert api.delete(f"{path}/tiles/{first['id']}", headers=headers).status_code == 204
    error_of(api.delete(f"{path}/tiles/{first['id']}", headers=headers), 404)
    last = add_tile(api, owner.project_id, board["id"], funnel["id"], headers)
    assert last["position"] == 3
    assert get(api, path, headers)["tiles"] == [second, again, last]

    other = create_dashboard(api, owner.project_id, headers, name="Other")
    other_path = f"{dashboards_path(owner.project_id)}/{other['id']}"
    assert error_of(api.delete(f"{other_path}/tiles/{second['id']}", headers=headers), 404)["message"] == (
        "tile not found"
    )
    assert get(api, path, headers)["tiles"] == [second, again, last]


def test_deleting_an_insight_removes_its_tiles(api: TestClient, owner: Account) -> None:
    headers = owner.headers
    kept, deleted = (create_insight(api, owner.project_id, headers, query) for query in (TRENDS, SQL))
    boards = [create_dashboard(api, owner.project_id, headers, name=name) for name in ("One", "Two")]
    for board in boards:
        for insight in (deleted, kept, deleted):
            add_tile(api, owner.project_id, board["id"], insight["id"], headers)

    assert api.delete(f"{insights_path(owner.project_id)}/{deleted['id']}", headers=headers).status_code == 204

    for board in boards:
        tiles = get(api, f"{dashboards_path(owner.project_id)}/{board['id']}", headers)["tiles"]
        assert [(tile["insight_id"], tile["position"]) for tile in tiles] == [(kept["id"], 1)]
        results = get(api, f"{dashboards_path(owner.project_id)}/{board['id']}/results", headers)
        assert [tile["insight"]["id"] for tile in results["tiles"]] == [kept["id"]]


def test_only_an_insight_of_the_same_project_becomes_a_tile(api: TestClient, owner: Account) -> None:
    board = create_dashboard(api, owner.project_id, owner.headers)
    tiles = f"{dashboards_path(owner.project_id)}/{board['id']}/tiles"
    created = api.post(
        f"/api/organizations/{owner.organization_id}/projects", json={"name": "Sibling"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    sibling = create_insight(api, created.json()["id"], owner.headers, TRENDS)
    stranger = sign_up(api)
    foreign = create_insight(api, stranger.project_id, stranger.headers, TRENDS, name="Foreign insight")

    missing = error_of(api.post(tiles, json={"insight_id": MISSING_ID}, headers=owner.headers), 404)
    assert missing == {"code": "not_found", "message": "insight not found", "field": "insight_id"}
    for other in (sibling, foreign):
        assert error_of(api.post(tiles, json={"insight_id": other["id"]}, headers=owner.headers), 404) == missing
    assert get(api, f"{dashboards_path(owner.project_id)}/{board['id']}", owner.headers)["tiles"] == []


def test_a_dashboard_holds_a_bounded_number_of_tiles(api: TestClient, owner: Account) -> None:
    board = create_dashboard(api, owner.project_id, owner.headers)
    insight = create_insight(api, owner.project_id, owner.headers, SQL)
    for _ in range(MAX_TILES):
        add_tile(api, owner.project_id, board["id"], insight["id"], owner.headers)
    path = f"{dashboards_path(owner.project_id)}/{board['id']}/tiles"
    refused = error_of(api.post(path, json={"insight_id": insight["id"]}, headers=owner.headers), 409)
    assert str(MAX_TILES) in refused["message"]


# --- results ------------------------------------------------------------------------------------------------


def insert_signups_and_purchases(warehouse: Client, project_id: int) -> None:
    """Three signups on 2 October; two of them buy within the hour, the third three days later."""
    at = datetime(2026, 10, 2, 10, tzinfo=UTC)
    events = [Event("signup", person, at) for person in ("p1", "p2", "p3")]
    events += [Event("purchase", person, at + timedelta(hours=1)) for person in ("p1", "p2")]
    events.append(Event("purchase", "p3", at + timedelta(days=3)))
    insert_events(warehouse, World(project_id), events)


def ask(api: TestClient, owner: Account, query: dict[str, Any]) -> dict[str, Any]:
    path = f"/api/projects/{owner.project_id}/query"
    response = api.post(path, json={**query, "refresh": True}, headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_results_answer_every_tile_as_the_query_endpoint_does(
    api: TestClient, owner: Account, warehouse: Client
) -> None:
    insert_signups_and_purchases(warehouse, owner.project_id)
    headers = owner.headers
    insights = [create_insight(api, owner.project_id, headers, query) for query in (TRENDS, REFUSED_SQL, FUNNEL)]
    board = create_dashboard(api, owner.project_id, headers)
    tiles = [add_tile(api, owner.project_id, board["id"], insight["id"], headers) for insight in insights]
    path = f"{dashboards_path(owner.project_id)}/{board['id']}/results"

    first = get(api, path, headers)

    assert first["dashboard"] == get(api, f"{dashboards_path(owner.project_id)}/{board['id']}", headers)
    assert [(t["tile_id"], t["insight"]) for t in first["tiles"]] == [
        (tile["id"], insight) for tile, insight in zip(tiles, insights, strict=True)
    ]
    trends, refused, funnel = first["tiles"]
    for answered, query in ((trends, TRENDS), (funnel, FUNNEL)):
        assert answered["error"] is None and answered["result"]["cached"] is False
        direct = ask(api, owner, query)  # computed afresh, not read from the cache the dashboard filled
        assert {k: v for k, v in answered["result"].items() if k not in ("took_ms", "cached")} == {
            k: v for k, v in direct.items() if k not in ("took_ms", "cached")
        }
    assert trends["result"]["results"][0]["count"] == 3
    assert [step["count"] for step in funnel["result"]["results"]] == [3, 2]
    # the refused SQL tile carries the error the query endpoint gives, and only that tile fails
    direct_error = error_of(api.post(f"/api/projects/{owner.project_id}/query", json=REFUSED_SQL, headers=headers), 400)
    assert refused["result"] is None
    assert refused["error"] == {"status": 400, "message": direct_error["message"], "field": "sql"}

    second = get(api, path, headers)
    assert [t["result"]["cached"] for t in second["tiles"] if t["result"]] == [True, True]
    for again, before in zip(second["tiles"], first["tiles"], strict=True):
        assert (again["result"] or {}).get("results") == (before["result"] or {}).get("results")
        assert again["error"] == before["error"]

    refreshed = get(api, f"{path}?refresh=true", headers)
    assert [t["result"]["cached"] for t in refreshed["tiles"] if t["result"]] == [False, False]
    insert_events(warehouse, World(owner.project_id), [Event("signup", "p4", datetime(2026, 10, 3, tzinfo=UTC))])
    fresh = get(api, path, headers)  # new data: the cached answers are not used
    assert fresh["tiles"][0]["result"]["cached"] is False and fresh["tiles"][0]["result"]["results"][0]["count"] == 4


def test_an_empty_dashboard_answers_no_tiles(api: TestClient, owner: Account) -> None:
    board = create_dashboard(api, owner.project_id, owner.headers)
    results = get(api, f"{dashboards_path(owner.project_id)}/{board['id']}/results", owner.headers)
    assert results == {"dashboard": board, "tiles": []}


# --- who may ------------------------------------------------------------------------------------------------

# (method, path under the dashboard, body); {insight} and {tile} are the dashboard's own.
REQUESTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "list": ("GET", "/../", None),
    "create": ("POST", "/../", {"name": "Created"}),
    "get": ("GET", "", None),
    "results": ("GET", "/results", None),
    "update": ("PATCH", "", {"name": "Renamed"}),
    "delete": ("DELETE", "", None),
    "add tile": ("POST", "/tiles", {"insight_id": "{insight}"}),
    "remove tile": ("DELETE", "/tiles/{tile}", None),
}
WRITES = ("create", "update", "delete", "add tile", "remove tile")
#                   owner admin member viewer
OWN: dict[str, tuple[int, int, int, int]] = {
    "list":         (200, 200, 200, 200),
    "create":       (201, 201, 201, 403),
    "get":          (200, 200, 200, 200),
    "results":      (200, 200, 200, 200),
    "update":       (200, 200, 200, 403),
    "delete":       (204, 204, 204, 403),
    "add tile":     (201, 201, 201, 403),
    "remove tile":  (204, 204, 204, 403),
}  # fmt: skip


def call(api: TestClient, owner: Account, request: str, headers: dict[str, str], board: dict[str, Any]) -> Any:
    """The request on `board` (of `owner`'s project), made by `headers`."""
    method, suffix, body = REQUESTS[request]
    tile = board["tiles"][0]
    base = f"{dashboards_path(owner.project_id)}/{board['id']}"
    path = base[: base.rindex("/")] if suffix == "/../" else base + suffix.format(tile=tile["id"])
    if body is not None:
        body = {key: tile["insight_id"] if value == "{insight}" else value for key, value in body.items()}
    return api.request(method, path, json=body, headers=headers)


def board_with_a_tile(api: TestClient, owner: Account, name: str = "Board") -> dict[str, Any]:
    board = create_dashboard(api, owner.project_id, owner.headers, name=name)
    insight = create_insight(api, owner.project_id, owner.headers, SQL, name=name)
    add_tile(api, owner.project_id, board["id"], insight["id"], owner.headers)
    return get(api, f"{dashboards_path(owner.project_id)}/{board['id']}", owner.headers)


def everything(api: TestClient, owner: Account) -> Any:
    return get(api, dashboards_path(owner.project_id), owner.headers)


@pytest.fixture(scope="module")
def world(api: TestClient) -> Organizations:
    return make_world(api)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("request_name", REQUESTS)
def test_roles_in_their_own_organization(api: TestClient, world: Organizations, request_name: str, role: str) -> None:
    owner, callers = world.home, world.callers
    board = board_with_a_tile(api, owner)
    before = everything(api, owner)
    expected = OWN[request_name][ROLES.index(role)]

    response = call(api, owner, request_name, callers[role], board)

    assert response.status_code == expected, response.text
    if expected == 403:
        error_of(response, 403)
        assert everything(api, owner) == before, "a refused request changed something"
    elif request_name in WRITES:
        assert everything(api, owner) != before, "an accepted write changed nothing"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("request_name", REQUESTS)
def test_another_organizations_dashboards_are_not_found(
    api: TestClient, world: Organizations, request_name: str, role: str
) -> None:
    foreign, callers = world.foreign, world.callers
    board = board_with_a_tile(api, foreign, name="Foreign board")
    before = everything(api, foreign)

    response = call(api, foreign, request_name, callers[role], board)

    nowhere = Account("", 0, 0, MISSING_ID, "", "", "")
    missing = call(api, nowhere, request_name, callers[role], {"id": MISSING_ID, "tiles": [board["tiles"][0]]})
    assert error_of(response, 404) == error_of(missing, 404)
    assert "Foreign" not in response.text
    assert everything(api, foreign) == before


def test_another_projects_dashboard_through_ones_own_project_is_not_found(
    api: TestClient, owner: Account, world: Organizations
) -> None:
    board = board_with_a_tile(api, world.foreign, name="Foreign board")
    for request_name in ("get", "results", "update", "delete", "add tile", "remove tile"):
        response = call(api, owner, request_name, owner.headers, board)
        assert error_of(response, 404)["message"] == "dashboard not found", request_name


@pytest.mark.parametrize("scopes", KEY_SCOPES, ids="+".join)
def test_personal_key_scopes(api: TestClient, owner: Account, scopes: tuple[str, ...]) -> None:
    headers = personal_key(api, owner.headers, list(scopes))
    reads, writes = KEY_SCOPES[scopes]
    for request_name in REQUESTS:
        response = call(api, owner, request_name, headers, board_with_a_tile(api, owner))
        if (writes if request_name in WRITES else reads) == "2xx":
            assert 200 <= response.status_code < 300, (request_name, response.text)
        else:
            error_of(response, 403)


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"),
    [
        ("POST", "/../", {}, "name"),
        ("POST", "/../", {"name": ""}, "name"),
        ("POST", "/../", {"name": "x" * 201}, "name"),
        ("POST", "/../", {"name": "x", "description": "d" * 2001}, "description"),
        ("POST", "/../", {"name": "x", "tiles": []}, "tiles"),
        ("PATCH", "", {"name": None}, "name"),
        ("PATCH", "", {"description": "bell\x07"}, "description"),
        ("POST", "/tiles", {}, "insight_id"),
        ("POST", "/tiles", {"insight_id": "one"}, "insight_id"),
        ("POST", "/tiles", {"insight_id": 0}, "insight_id"),
        ("POST", "/tiles", {"insight_id": 2**31}, "insight_id"),
        ("DELETE", "/tiles/0", None, "tile_id"),
        ("GET", "/results?refresh=perhaps", None, "refresh"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    api: TestClient, owner: Account, method: str, suffix: str, body: Any, field: str
) -> None:
    board = board_with_a_tile(api, owner)
    before = everything(api, owner)
    base = f"{dashboards_path(owner.project_id)}/{board['id']}"
    path = base[: base.rindex("/")] if suffix == "/../" else base + suffix
    error = error_of(api.request(method, path, json=body, headers=owner.headers), 422)
    assert error["field"] == field and error["message"].startswith(f"{field}: "), error
    assert everything(api, owner) == before
    for bad in (0, 2**31):
        assert error_of(api.get(f"{base[: base.rindex('/')]}/{bad}", headers=owner.headers), 422)["field"] == (
            "dashboard_id"
        )


def test_a_viewer_reads_a_dashboard_made_by_a_member(api: TestClient, owner: Account, warehouse: Client) -> None:
    insert_signups_and_purchases(warehouse, owner.project_id)
    _, member = add_member(api, owner, "member")
    _, viewer = add_member(api, owner, "viewer")
    insight = create_insight(api, owner.project_id, member, TRENDS)
    board = create_dashboard(api, owner.project_id, member)
    add_tile(api, owner.project_id, board["id"], insight["id"], member)
    results = get(api, f"{dashboards_path(owner.project_id)}/{board['id']}/results", viewer)
    assert results["tiles"][0]["result"]["results"][0]["count"] == 3


def test_the_stack_serves_the_demo_projects_dashboard(stack: Stack) -> None:
    """`make up` gives the demo project a dashboard of sample insights, answered over the demo data."""
    demo = json.loads((stack.home / "demo.json").read_text())["demo"]
    base = f"http://127.0.0.1:{stack.settings.port('api')}{dashboards_path(demo['project_id'])}"
    headers = bearer(demo["personal_api_key"])
    boards = httpx.get(base, headers=headers, timeout=30).json()["results"]
    assert [board["name"] for board in boards] == [demo_account.DASHBOARD]
    response = httpx.get(f"{base}/{boards[0]['id']}/results", headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    tiles = response.json()["tiles"]
    assert [tile["insight"]["name"] for tile in tiles] == list(demo_account.INSIGHTS)
    assert [tile["error"] for tile in tiles] == [None] * len(tiles)
    assert tiles[0]["result"]["results"][0]["count"] > 0  # the demo shop's pageviews
