"""Funnels over known events: counts, conversions, times to convert and drop-offs equal plain Python's."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from tests.support.api import Account, sign_up
from tests.support.dbt import Dbt, day_vars
from tests.support.queries import EVERY_EVENT, Event, World, funnel, insert_events, link, quantile

pytestmark = pytest.mark.integration

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
STEPS = ["$pageview", "signup", "purchase"]


@pytest.fixture(scope="module")
def account(api: TestClient) -> Account:
    return sign_up(api)


@pytest.fixture(scope="module")
def world(account: Account, warehouse: Client) -> World:
    """Persons who wander through the steps in bursts, with the browser of each event."""
    world, gaps = World(account.project_id), [5, 60, 600, 3600, 30000, 200000]
    browsers = ["Chrome", "Firefox", "Safari"]
    events = wanderers(random.Random(11), "f", 40, STEPS, gaps, days=30, bursts=8, browsers=browsers)
    insert_events(warehouse, world, events)
    link(warehouse, world, ["f-1", "f-2"])
    return world


def wanderers(
    rng: random.Random,
    prefix: str,
    persons: int,
    steps: list[str],
    gaps: list[int],
    days: int,
    bursts: int,
    browsers: list[str] | None = None,
) -> list[Event]:
    """Persons who wander through the steps (and "other") in bursts from a day of October, gaps in seconds
    apart: some in order, some not, some too slowly; each event with a $browser when ``browsers`` are given."""
    events = []
    for person in range(persons):
        at = START + timedelta(days=rng.randrange(days), seconds=rng.randrange(86400))
        for _ in range(rng.randint(1, bursts)):
            at += timedelta(seconds=rng.choice(gaps))
            properties = {"$browser": rng.choice(browsers)} if browsers else {}
            events.append(Event(rng.choice([*steps, "other"]), f"{prefix}-{person}", at, properties))
    return events


def answer(api: TestClient, account: Account, body: dict[str, Any]) -> list[dict[str, Any]]:
    return ask(api, account, body)["results"]


def ask(api: TestClient, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/projects/{account.project_id}/query", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def body(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "funnel",
        "steps": [{"event": step} for step in STEPS],
        "window_seconds": 86400,
        "date_from": "2026-10-01",
        "date_to": "2026-10-31",
        **extra,
    }


def named(event: str) -> Any:
    return lambda e: e.event == event


def test_steps_match_plain_python(api: TestClient, account: Account, world: World) -> None:
    results = answer(api, account, body())
    persons = funnel(world, [named(s) for s in STEPS], timedelta(days=1), START, END)
    counts = [sum(p.level >= k for p in persons.values()) for k in (1, 2, 3)]
    assert [r["count"] for r in results] == counts
    assert counts[2] > 0, "the generated data should convert someone all the way"
    for k, result in enumerate(results):
        assert result["step"] == k + 1 and result["event"] == STEPS[k]
        assert result["conversion_from_first"] == pytest.approx(counts[k] / counts[0])
        assert result["conversion_from_previous"] == pytest.approx(counts[k] / counts[k - 1] if k else 1.0)
        if k == 0:
            assert result["median_seconds_to_convert"] is None and result["average_seconds_to_convert"] is None
            continue
        seconds = [(p.times[k] - p.times[k - 1]).total_seconds() for p in persons.values() if p.level > k]
        assert result["median_seconds_to_convert"] == pytest.approx(quantile(seconds, 0.5))
        assert result["average_seconds_to_convert"] == pytest.approx(statistics.fmean(seconds))


def test_step_filters_and_breakdown(api: TestClient, account: Account, world: World) -> None:
    steps = [{"event": "$pageview", "properties": [{"key": "$browser", "operator": "is_not", "value": "Safari"}]}]
    steps += [{"event": "signup"}]
    results = answer(api, account, body(steps=steps, breakdown="$browser"))
    first = lambda e: e.event == "$pageview" and e.properties["$browser"] != "Safari"  # noqa: E731
    persons = funnel(world, [first, named("signup")], timedelta(days=1), START, END)
    events = {e.timestamp: e for e in world.events}
    by_value: dict[str, list[int]] = {}
    for p in persons.values():
        if p.level:
            # the breakdown value is the first step's event's (timestamps are unique in this data)
            value = events[p.times[0]].properties["$browser"]
            by_value.setdefault(value, [0, 0])[0] += 1
            by_value[value][1] += p.level >= 2
    assert "Safari" not in by_value
    assert {(r["breakdown_value"], r["step"]): r["count"] for r in results} == {
        (value, step + 1): counts[step] for value, counts in by_value.items() for step in (0, 1)
    }


def test_drop_off_persons_paged(api: TestClient, account: Account, world: World) -> None:
    persons = funnel(world, [named(s) for s in STEPS], timedelta(days=1), START, END)
    dropped = sorted(str(p) for p, a in persons.items() if a.level == 1)
    assert len(dropped) >= 3
    pages = [
        answer(api, account, body(kind="funnel_persons", drop_off_step=2, limit=2, offset=offset))
        for offset in range(0, len(dropped) + 2, 2)
    ]
    assert [p["person_id"] for page in pages for p in page] == dropped
    for page in pages:
        for person in page:  # each listed id is one of that person's
            assert {str(world.person(d)) for d in person["distinct_ids"]} == {person["person_id"]}


def test_window_is_respected(api: TestClient, account: Account, warehouse: Client) -> None:
    world = World(account.project_id)
    at = datetime(2026, 9, 10, 12, tzinfo=UTC)
    insert_events(
        warehouse,
        world,
        [
            Event("w-a", "slow", at),
            Event("w-b", "slow", at + timedelta(seconds=61)),
            Event("w-a", "fast", at),
            Event("w-b", "fast", at + timedelta(seconds=60)),
        ],
    )
    steps = [{"event": "w-a"}, {"event": "w-b"}]
    results = answer(api, account, body(steps=steps, window_seconds=60, date_from="2026-09-10", date_to="2026-09-10"))
    assert [r["count"] for r in results] == [2, 1]
    assert results[1]["median_seconds_to_convert"] == 60


def test_unknown_events_are_zeros(api: TestClient, account: Account, world: World) -> None:
    results = answer(api, account, body(steps=[{"event": "nope"}, {"event": "never"}]))
    assert [(r["count"], r["conversion_from_first"]) for r in results] == [(0, 0.0), (0, 0.0)]


def test_conversions_after_date_to_count(api: TestClient, account: Account, warehouse: Client) -> None:
    """The range picks who entered; the window may carry their next steps past date_to, not before date_from."""
    world = World(account.project_id)
    late = datetime(2026, 8, 31, 23, 50, tzinfo=UTC)
    insert_events(
        warehouse,
        world,
        [
            Event("late-a", "early", datetime(2026, 8, 1, 23, 50, tzinfo=UTC)),  # entered before the range
            Event("late-b", "early", datetime(2026, 8, 2, 0, 5, tzinfo=UTC)),
            Event("late-a", "edge", late),
            Event("late-b", "edge", late + timedelta(minutes=20)),  # September: after date_to
        ],
    )
    steps = [{"event": "late-a"}, {"event": "late-b"}]
    results = answer(api, account, body(steps=steps, window_seconds=3600, date_from="2026-08-02", date_to="2026-08-31"))
    assert [r["count"] for r in results] == [1, 1]
    assert results[1]["median_seconds_to_convert"] == 1200


# models/dbt_project.yml declares this funnel ("signup"), so funnel_person_steps computes it.
SIGNUP_STEPS, SIGNUP_WINDOW = ["$pageview", "signup"], 3600


def signup_world(account: Account, warehouse: Client) -> World:
    """Random signup paths, plus the cases a table of UTC days could get wrong."""
    world = World(account.project_id)
    events = wanderers(random.Random(5), "s", 30, SIGNUP_STEPS, [1, 300, 1800, 3600, 3601, 90000], days=31, bursts=6)
    tie = datetime(2026, 10, 7, 9, tzinfo=UTC)
    events += [
        Event("$pageview", "edge", END - timedelta(minutes=30)),  # converts on November 1st
        Event("signup", "edge", END + timedelta(minutes=10)),
        Event("$pageview", "tie", tie),  # two entries in one microsecond
        Event("$pageview", "tie", tie),
        Event("signup", "tie", tie + timedelta(minutes=5)),
        Event("$pageview", "days", datetime(2026, 10, 5, 10, tzinfo=UTC)),  # day 1 fails, day 2 converts
        Event("$pageview", "days", datetime(2026, 10, 6, 10, tzinfo=UTC)),
        Event("signup", "days", datetime(2026, 10, 6, 10, 20, tzinfo=UTC)),
        Event("$pageview", "twice", datetime(2026, 10, 12, 10, tzinfo=UTC)),  # the earlier conversion counts
        Event("signup", "twice", datetime(2026, 10, 12, 10, 5, tzinfo=UTC)),
        Event("$pageview", "twice", datetime(2026, 10, 13, 10, tzinfo=UTC)),
        Event("signup", "twice", datetime(2026, 10, 13, 10, 50, tzinfo=UTC)),
        Event("$pageview", "alias-1", datetime(2026, 10, 10, 12, tzinfo=UTC)),  # one person, two ids
        Event("signup", "alias-2", datetime(2026, 10, 10, 12, 30, tzinfo=UTC)),
        Event("$pageview", "before", START - timedelta(minutes=10)),  # entered before the range
        Event("signup", "before", START + timedelta(minutes=5)),
    ]
    link(warehouse, world, ["alias-1", "alias-2"])
    insert_events(warehouse, world, events)
    return world


def test_declared_funnel_from_the_funnel_table(api: TestClient, warehouse: Client, dbt: Dbt) -> None:
    """Once dbt built its days, the declared funnel over whole UTC days comes from funnel_person_steps, equal to
    raw events and to plain Python; a question the table does not hold, or a write since the build, reads
    events again."""
    account = sign_up(api)
    world = signup_world(account, warehouse)
    question = body(steps=[{"event": s} for s in SIGNUP_STEPS], window_seconds=SIGNUP_WINDOW, refresh=True)
    raw = ask(api, account, question)
    assert raw["source"] == "events"
    dbt("run", "--select", "funnel_person_steps", dbt_vars=day_vars(date(2026, 10, 1), date(2026, 11, 1)))
    served = ask(api, account, question)
    assert (served["source"], served["results"]) == ("funnel_table", raw["results"])
    persons = funnel(world, [named(s) for s in SIGNUP_STEPS], timedelta(seconds=SIGNUP_WINDOW), START, END)
    assert [r["count"] for r in served["results"]] == [sum(p.level >= k for p in persons.values()) for k in (1, 2)]
    seconds = [(p.times[1] - p.times[0]).total_seconds() for p in persons.values() if p.level == 2]
    assert served["results"][1]["average_seconds_to_convert"] == pytest.approx(statistics.fmean(seconds))

    not_held = {
        "filtered": {"properties": [EVERY_EVENT]},
        "another window": {"window_seconds": SIGNUP_WINDOW - 1},
        "days not built": {"date_from": "2026-09-30"},
        "not whole UTC days": {"date_to": "2026-10-31T12:00:00"},
    }
    for case, change in not_held.items():
        assert ask(api, account, {**question, **change})["source"] == "events", case

    insert_events(warehouse, world, [Event("$pageview", "newcomer", START + timedelta(days=3))])
    after = ask(api, account, question)
    assert after["source"] == "events"
    assert after["results"][0]["count"] == served["results"][0]["count"] + 1
