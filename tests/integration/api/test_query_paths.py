"""Paths over known events: the edges equal a plain-Python computation of the rules in docs/QUERIES.md.

The reference below is written from those rules, not from the SQL: sessions by `$session_id`, else per person
split after more than 30 minutes without a step; consecutive repeats collapsed; start or end point; the first
`step_limit` steps (the last ones before an end point); each session counts an edge once.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from tests.support.api import Account, sign_up
from tests.support.queries import Event, World, insert_events, link, set_person_properties, text

pytestmark = pytest.mark.integration

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
IDLE = timedelta(minutes=30)
PAGES = ["/", "/pricing", "/docs", "/signup", "/checkout"]
OTHER_EVENTS = ["click", "signup", "purchase"]
# Gaps between two events of a visit: 30 minutes exactly stays one session, a second more starts another.
GAPS = [timedelta(seconds=s) for s in (0, 1, 5, 40, 300, 1799, 1800, 1801, 7200)]


def answer(api: TestClient, account: Account, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.post(f"/api/projects/{account.project_id}/query", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def body(**extra: Any) -> dict[str, Any]:
    return {"kind": "paths", "date_from": "2026-10-01", "date_to": "2026-10-31", **extra}


# --- the reference -------------------------------------------------------------------------------------------


def sessions(world: World, events: list[Event]) -> list[list[Event]]:
    """The events of each session, in order: by $session_id, else per person split by a pause over IDLE."""
    by_session: dict[str, list[Event]] = defaultdict(list)
    by_person: dict[UUID, list[Event]] = defaultdict(list)
    for e in sorted(events, key=lambda e: (e.timestamp, str(e.uuid))):
        session_id = text(e.properties.get("$session_id"))
        if session_id:
            by_session[session_id].append(e)
        else:
            by_person[world.person(e.distinct_id)].append(e)
    found = list(by_session.values())
    for members in by_person.values():
        current = [members[0]]
        for before, e in pairwise(members):
            if e.timestamp - before.timestamp > IDLE:
                found.append(current)
                current = []
            current.append(e)
        found.append(current)
    return found


def reference(
    world: World,
    *,
    step: Callable[[Event], str],
    where: Callable[[Event], bool] = lambda e: True,
    start_point: str | None = None,
    end_point: str | None = None,
    step_limit: int = 5,
    edge_limit: int = 50,
) -> list[tuple[str, str, int, float]]:
    chosen = [e for e in world.events if START <= e.timestamp < END and step(e) and where(e)]
    taken: dict[tuple[str, str], list[float]] = defaultdict(list)
    for session in sessions(world, chosen):
        steps: list[tuple[str, datetime]] = []  # (value, time of its first event)
        for e in session:
            if not steps or steps[-1][0] != step(e):
                steps.append((step(e), e.timestamp))
        names = [name for name, _ in steps]
        if start_point is not None:
            if start_point not in names:
                continue
            steps = steps[names.index(start_point) :][:step_limit]
        elif end_point is not None:
            if end_point not in names:
                continue
            steps = steps[: names.index(end_point) + 1][-step_limit:]
        else:
            steps = steps[:step_limit]
        for k in range(len(steps) - 1):
            (source, at), (target, then) = steps[k], steps[k + 1]
            taken[f"{k + 1}_{source}", f"{k + 2}_{target}"].append((then - at).total_seconds())
    edges = [(source, target, len(s), statistics.fmean(s)) for (source, target), s in taken.items()]
    return sorted(edges, key=lambda edge: (-edge[2], edge[0], edge[1]))[:edge_limit]


def pathname(e: Event) -> str:
    return text(e.properties.get("$pathname")) if e.event == "$pageview" else ""


def event_name(e: Event) -> str:
    return e.event


# --- the data ------------------------------------------------------------------------------------------------


def visits(world: World, rng: random.Random) -> list[Event]:
    """Visitors who browse in bursts: repeated pages, long pauses, some with session ids and some without."""
    events = []
    for visitor in range(30):
        distinct_id = f"v-{visitor}"
        with_session_ids = visitor % 3 != 0  # every third one is a server-side SDK: no $session_id
        at = START - timedelta(days=1) + timedelta(seconds=rng.randrange(int(timedelta(days=32).total_seconds())))
        for visit in range(rng.randint(1, 3)):
            session = {"$session_id": f"s-{visitor}-{visit}"} if with_session_ids else {}
            page = rng.choice(PAGES)
            for _ in range(rng.randint(1, 9)):
                at += rng.choice(GAPS)
                if rng.random() < 0.25:
                    name, properties = rng.choice(OTHER_EVENTS), {}
                else:
                    page = page if rng.random() < 0.3 else rng.choice(PAGES)  # a repeat now and then
                    name, properties = "$pageview", {"$pathname": page}
                browser = rng.choice(["Chrome", "Firefox"])
                events.append(Event(name, distinct_id, at, {**properties, **session, "$browser": browser}))
            at += timedelta(hours=rng.choice([1, 5, 30]))
    # a pageview without $pathname is no step; an anonymous id and the user id share one session id
    events.append(Event("$pageview", "v-1", START + timedelta(days=3), {"$session_id": "s-1-0"}))
    shared = {"$session_id": "s-shared"}
    events.append(Event("$pageview", "anon-1", START + timedelta(days=20), {"$pathname": "/", **shared}))
    events.append(Event("$pageview", "v-2", START + timedelta(days=20, seconds=9), {"$pathname": "/pricing", **shared}))
    return events


@pytest.fixture(scope="module")
def account(api: TestClient) -> Account:
    return sign_up(api)


@pytest.fixture(scope="module")
def world(account: Account, warehouse: Client) -> World:
    world = World(account.project_id)
    insert_events(warehouse, world, visits(world, random.Random(5)))
    # two server-side ids of one person: their pauses are measured across both
    link(warehouse, world, ["v-0", "v-3"])
    set_person_properties(warehouse, world, "v-6", {"plan": "pro"})
    return world


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, {"step": pathname}),
        ({"path_type": "event"}, {"step": event_name}),
        ({"start_point": "/pricing"}, {"step": pathname, "start_point": "/pricing"}),
        ({"end_point": "/checkout", "step_limit": 3}, {"step": pathname, "end_point": "/checkout", "step_limit": 3}),
        (
            {"path_type": "event", "start_point": "click", "step_limit": 3},
            {"step": event_name, "start_point": "click", "step_limit": 3},
        ),
        ({"step_limit": 10, "edge_limit": 7}, {"step": pathname, "step_limit": 10, "edge_limit": 7}),
        (
            {"properties": [{"key": "$browser", "operator": "exact", "value": "Chrome"}]},
            {"step": pathname, "where": lambda e: e.properties.get("$browser") == "Chrome"},
        ),
    ],
)
def test_edges_match_plain_python(
    api: TestClient, account: Account, world: World, extra: dict[str, Any], expected: dict[str, Any]
) -> None:
    results = answer(api, account, body(**extra))
    edges = reference(world, **expected)
    assert len(edges) >= 3, "the generated data should take several edges"
    assert [(r["source"], r["target"], r["value"]) for r in results] == [edge[:3] for edge in edges]
    assert [r["average_seconds"] for r in results] == pytest.approx([edge[3] for edge in edges])


def test_person_filter(api: TestClient, account: Account, world: World) -> None:
    results = answer(
        api, account, body(path_type="event", properties=[{"key": "plan", "value": "pro", "type": "person"}])
    )
    pro = world.person("v-6")
    edges = reference(world, step=event_name, where=lambda e: world.person(e.distinct_id) == pro)
    assert [(r["source"], r["target"], r["value"]) for r in results] == [edge[:3] for edge in edges]
    assert edges, "v-6 should have moved between events"


def test_tricky_sessions(api: TestClient, warehouse: Client) -> None:
    """Written out by hand: repeats, a person's two sessions, a 30-minute pause, start and end points."""
    account = sign_up(api)
    world = World(account.project_id)
    at = datetime(2026, 10, 5, 9, tzinfo=UTC)

    def page(distinct_id: str, minutes: float, path: str, session: str | None = None) -> Event:
        properties = {"$pathname": path} | ({"$session_id": session} if session else {})
        return Event("$pageview", distinct_id, at + timedelta(minutes=minutes), properties)

    insert_events(
        warehouse,
        world,
        [
            # one session: /home twice (one step), then /pricing, /docs, back to /pricing
            page("a", 0, "/home", "s1"),
            page("a", 1, "/home", "s1"),
            page("a", 3, "/pricing", "s1"),
            page("a", 4, "/docs", "s1"),
            page("a", 5, "/pricing", "s1"),
            # the same person's second session, by its own id
            page("a", 60, "/home", "s2"),
            page("a", 62, "/docs", "s2"),
            # no session ids: 30 minutes is one session, 31 starts the next
            page("b", 0, "/home"),
            page("b", 30, "/pricing"),
            page("b", 61, "/docs"),
            page("b", 62, "/pricing"),
        ],
    )
    edges = lambda results: {(r["source"], r["target"]): r["value"] for r in results}  # noqa: E731
    assert edges(answer(api, account, body())) == {
        ("1_/home", "2_/pricing"): 2,
        ("2_/pricing", "3_/docs"): 1,
        ("3_/docs", "4_/pricing"): 1,
        ("1_/home", "2_/docs"): 1,
        ("1_/docs", "2_/pricing"): 1,
    }
    home_to_pricing = answer(api, account, body(step_limit=2))[0]
    assert home_to_pricing["source"] == "1_/home" and home_to_pricing["value"] == 2
    assert home_to_pricing["average_seconds"] == pytest.approx((180 + 1800) / 2)  # from the first /home
    assert edges(answer(api, account, body(start_point="/pricing"))) == {
        ("1_/pricing", "2_/docs"): 1,
        ("2_/docs", "3_/pricing"): 1,
    }
    assert edges(answer(api, account, body(end_point="/docs", step_limit=2))) == {
        ("1_/pricing", "2_/docs"): 1,
        ("1_/home", "2_/docs"): 1,
    }
    assert answer(api, account, body(start_point="/nowhere")) == []


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        ({"start_point": "/a", "end_point": "/b"}, "end_point", "not both"),
        ({"step_limit": 1}, "step_limit", "greater than or equal to 2"),
        ({"step_limit": 11}, "step_limit", "less than or equal to 10"),
        ({"path_type": "$screen"}, "path_type", "$pathname"),
        ({"edge_limit": 0}, "edge_limit", "greater than or equal to 1"),
        ({"start_point": ""}, "start_point", "at least 1"),
        ({"date_from": "yesterday"}, "date_from", "relative"),
        ({"properties": [{"key": "$browser", "operator": "regex"}]}, "properties.0", "string"),
    ],
)
def test_bad_bodies_name_the_field(
    api: TestClient, account: Account, extra: dict[str, Any], field: str, says: str
) -> None:
    response = api.post(f"/api/projects/{account.project_id}/query", json=body(**extra), headers=account.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field and says in error["message"], error


def test_unanswerable_bodies_are_400(api: TestClient, account: Account) -> None:
    url = f"/api/projects/{account.project_id}/query"
    empty = api.post(url, json=body(date_from="2026-10-07", date_to="2026-10-01"), headers=account.headers)
    assert empty.status_code == 400 and empty.json()["error"]["field"] == "date_from", empty.text
    regex = [{"key": "$pathname", "operator": "regex", "value": "("}]
    refused = api.post(url, json=body(properties=regex), headers=account.headers)
    assert refused.status_code == 400 and "ClickHouse" in refused.json()["error"]["message"], refused.text
