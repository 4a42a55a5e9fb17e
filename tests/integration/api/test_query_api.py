"""The query endpoint itself: who may ask, what a bad body gets, and the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from ingest.lifecycle import erase_person, person_of
from tests.support.api import Account, add_member, bearer, sign_up
from tests.support.queries import Event, World, insert_events

pytestmark = pytest.mark.integration

TRENDS = {"kind": "trends", "series": [{"event": "cache-test"}], "date_from": "2026-10-01", "date_to": "2026-10-07"}
STEPS = [{"event": "a"}, {"event": "b"}]


def post(api: TestClient, project_id: int, body: Any, headers: dict[str, str]) -> Any:
    return api.post(f"/api/projects/{project_id}/query", json=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"kind": "cohorts"}, "kind", "cohorts"),
        ({"series": []}, "kind", "kind"),
        ({"kind": "trends", "series": [{"event": "x", "math": "mode"}]}, "series.0.math", "total"),
        ({"kind": "trends", "series": [{"event": "x", "math": "sum"}]}, "series.0", "math_property"),
        ({"kind": "trends", "series": [{"event": "x", "math_property": "a"}]}, "series.0", "math_property"),
        ({"kind": "trends", "series": []}, "series", "at least 1"),
        ({"kind": "trends", "series": [{"event": "x"}], "interval": "minute"}, "interval", "hour"),
        ({"kind": "trends", "series": [{"event": "x"}], "date_from": "last week"}, "date_from", "relative"),
        ({"kind": "trends", "series": [{"event": "x"}], "date_to": "-7x"}, "date_to", "ISO 8601"),
        ({"kind": "trends", "series": [{"event": "x"}], "date_from": "2026-13-01"}, "date_from", "ISO 8601"),
        (
            {"kind": "trends", "series": [{"event": "x", "math": "weekly_active"}], "interval": "week"},
            "series",
            "series.0.math",
        ),
        (
            {
                "kind": "trends",
                "series": [{"event": "x"}],
                "properties": [{"key": "a", "operator": "gt", "value": "x"}],
            },
            "properties.0",
            "number",
        ),
        (
            {
                "kind": "trends",
                "series": [{"event": "x"}],
                "properties": [{"key": "a", "operator": "like", "value": 1}],
            },
            "properties.0.operator",
            "exact",
        ),
        ({"kind": "funnel", "steps": STEPS[:1]}, "steps", "at least 2"),
        ({"kind": "funnel", "steps": STEPS * 6}, "steps", "at most 10"),
        ({"kind": "funnel", "steps": STEPS, "window_seconds": 0}, "window_seconds", "greater"),
        ({"kind": "funnel_persons", "steps": STEPS, "drop_off_step": 3}, "drop_off_step", "2 steps"),
        ({"kind": "trends", "series": [{"event": "x"}], "date_form": "-7d"}, "date_form", "Extra"),
        ({"kind": "sql", "sql": ""}, "sql", "at least 1"),
    ],
)
def test_bad_bodies_name_the_field(api: TestClient, owner: Account, body: Any, field: str, says: str) -> None:
    response = post(api, owner.project_id, body, owner.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and says in error["message"], error


def test_an_empty_range_is_400(api: TestClient, owner: Account) -> None:
    body = {**TRENDS, "date_from": "2026-10-07", "date_to": "2026-10-01"}
    response = post(api, owner.project_id, body, owner.headers)
    assert response.status_code == 400 and response.json()["error"]["field"] == "date_from", response.text


def test_access(api: TestClient, owner: Account) -> None:
    stranger = sign_up(api)
    assert post(api, owner.project_id, TRENDS, stranger.headers).status_code == 404
    assert post(api, 2**31 - 1, TRENDS, owner.headers).status_code == 404
    assert post(api, owner.project_id, TRENDS, {}).status_code == 401
    _, viewer = add_member(api, owner, "viewer")
    assert post(api, owner.project_id, TRENDS, viewer).status_code == 200
    for scopes, status in ((["read"], 200), (["write"], 403)):
        key = api.post("/api/personal-keys", json={"name": "q", "scopes": scopes}, headers=owner.headers).json()["key"]
        assert post(api, owner.project_id, TRENDS, bearer(key)).status_code == status


def test_cache(api: TestClient, owner: Account, warehouse: Client) -> None:
    world = World(owner.project_id)
    at = datetime(2026, 10, 2, 12, tzinfo=UTC)
    insert_events(warehouse, world, [Event("cache-test", "c", at)])

    def ask(**extra: Any) -> dict[str, Any]:
        response = post(api, owner.project_id, {**TRENDS, **extra}, owner.headers)
        assert response.status_code == 200, response.text
        return response.json()

    first, second = ask(), ask(interval="day")  # the default spelled out is the same query
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["results"] == first["results"] and first["results"][0]["count"] == 1
    assert ask(refresh=True)["cached"] is False
    insert_events(warehouse, world, [Event("cache-test", "c", at + timedelta(hours=1))])
    fresh = ask()
    assert fresh["cached"] is False and fresh["results"][0]["count"] == 2
    assert ask()["cached"] is True
    erase_person(warehouse, person_of(warehouse, owner.project_id, "c"))  # a deletion passes no view
    erased = ask()
    assert erased["cached"] is False and erased["results"][0]["count"] == 0
    sql = {"kind": "sql", "sql": "SELECT count() FROM events"}
    assert [post(api, owner.project_id, sql, owner.headers).json()["cached"] for _ in range(2)] == [False, True]
