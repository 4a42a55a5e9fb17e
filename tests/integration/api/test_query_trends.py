"""Trends over known events: every answer equals the plain-Python computation in tests/support/queries.py."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient

from tests.support.api import Account, sign_up
from tests.support.queries import (
    EVERY_EVENT,
    Event,
    World,
    day_buckets,
    insert_events,
    link,
    set_person_properties,
    trend,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge", "Opera"]
EVENTS = ["$pageview", "signup", "purchase"]


def generated(world: World, rng: random.Random, count: int) -> list[Event]:
    """Events over October 2026 (and a few just outside it), with amounts, browsers and plans."""
    events = []
    for _ in range(count):
        at = START - timedelta(days=2) + timedelta(seconds=rng.randrange(int(timedelta(days=35).total_seconds())))
        properties: dict[str, Any] = {"$browser": rng.choice(BROWSERS), "plan": rng.choice(["free", "pro"])}
        if rng.random() < 0.8:
            properties["amount"] = rng.choice([rng.randint(1, 500), round(rng.uniform(0, 100), 2)])
        if rng.random() < 0.1:
            properties["coupon"] = None
        events.append(Event(rng.choice(EVENTS), f"user-{rng.randrange(15)}", at, properties))
    return events


@pytest.fixture(scope="module")
def account(api: TestClient) -> Account:
    return sign_up(api)


@pytest.fixture(scope="module")
def world(account: Account, warehouse: Client) -> World:
    world = World(account.project_id)
    rng = random.Random(7)
    insert_events(warehouse, world, generated(world, rng, 600))
    link(warehouse, world, ["user-1", "user-2", "user-3"])  # one person behind three ids
    set_person_properties(warehouse, world, "user-1", {"email": "ada@example.com", "tier": "gold"})
    set_person_properties(warehouse, world, "user-4", {"email": "bob@example.org"})
    return world


def query(api: TestClient, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/projects/{account.project_id}/query", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def october(**extra: Any) -> dict[str, Any]:
    return {"kind": "trends", "date_from": "2026-10-01", "date_to": "2026-10-31", "refresh": True, **extra}


UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("math", "math_property"),
    [("total", None), ("unique_persons", None), ("dau", None)]
    + [(m, "amount") for m in ("sum", "avg", "min", "max", "median", "p90", "p99")],
)
def test_math(api: TestClient, account: Account, world: World, math: str, math_property: str | None) -> None:
    series = {"event": "purchase", "math": math, **({"math_property": math_property} if math_property else {})}
    answer = query(api, account, october(series=[series]))
    source = "rollup" if math == "total" else "events"  # only counts come from events_hourly
    assert answer["kind"] == "trends" and answer["source"] == source and answer["cached"] is False
    [result] = answer["results"]
    expected = trend(
        world, event="purchase", start=START, end=END, zone=UTC_ZONE, math_=math, math_property=math_property
    )
    assert result["days"] == day_buckets(START, END, UTC_ZONE)
    assert result["data"] == pytest.approx(expected[None])
    assert result["count"] == pytest.approx(sum(expected[None]))
    assert result["label"] == "purchase" and result["breakdown_value"] is None


def test_several_series_and_all_events(api: TestClient, account: Account, world: World) -> None:
    answer = query(api, account, october(series=[{"event": "signup"}, {"event": None, "name": "anything"}]))
    signup, everything = answer["results"]
    assert signup["data"] == trend(world, event="signup", start=START, end=END, zone=UTC_ZONE)[None]
    assert everything["label"] == "anything"
    assert everything["data"] == trend(world, event=None, start=START, end=END, zone=UTC_ZONE)[None]


FILTERS = [
    ({"key": "$browser", "value": "Chrome"}, lambda e: e.properties["$browser"] == "Chrome"),
    ({"key": "$browser", "value": ["Chrome", "Edge"]}, lambda e: e.properties["$browser"] in ("Chrome", "Edge")),
    ({"key": "$browser", "operator": "is_not", "value": "Safari"}, lambda e: e.properties["$browser"] != "Safari"),
    ({"key": "$browser", "operator": "icontains", "value": "fir"}, lambda e: "fir" in e.properties["$browser"].lower()),
    (
        {"key": "$browser", "operator": "regex", "value": "^(Op|Ed)"},
        lambda e: e.properties["$browser"][:2] in ("Op", "Ed"),
    ),
    ({"key": "amount", "operator": "gt", "value": 250}, lambda e: e.properties.get("amount", -1) > 250),
    ({"key": "amount", "operator": "lt", "value": 50.5}, lambda e: -1 < e.properties.get("amount", -1) < 50.5),
    ({"key": "amount", "operator": "is_set"}, lambda e: "amount" in e.properties),
    ({"key": "coupon", "operator": "is_set"}, lambda e: False),  # null counts as not set
    ({"key": "amount", "operator": "is_not_set"}, lambda e: "amount" not in e.properties),
]


@pytest.mark.parametrize(("condition", "keep"), FILTERS, ids=[str(f[0]) for f in FILTERS])
def test_event_property_filters(
    api: TestClient, account: Account, world: World, condition: dict[str, Any], keep: Any
) -> None:
    answer = query(api, account, october(series=[{"event": "$pageview"}], properties=[condition]))
    expected = trend(world, event="$pageview", start=START, end=END, zone=UTC_ZONE, where=keep)
    assert answer["results"][0]["data"] == expected[None]


def test_person_property_filters(api: TestClient, account: Account, world: World) -> None:
    def email(e: Event) -> str:
        return world.person_properties.get(world.person(e.distinct_id), {}).get("email", "")

    for condition, keep in [
        (
            {"key": "email", "type": "person", "operator": "icontains", "value": "@example.com"},
            lambda e: "@example.com" in email(e),
        ),
        ({"key": "email", "type": "person", "operator": "is_not_set"}, lambda e: not email(e)),
    ]:
        series = {"event": "purchase", "math": "unique_persons", "properties": [condition]}
        answer = query(api, account, october(series=[series]))
        expected = trend(
            world, event="purchase", start=START, end=END, zone=UTC_ZONE, math_="unique_persons", where=keep
        )
        assert answer["results"][0]["data"] == expected[None], condition


def test_linked_ids_are_one_person(api: TestClient, account: Account, world: World) -> None:
    """user-1, -2 and -3 are one person: unique persons counts them once a day."""
    answer = query(api, account, october(series=[{"event": None, "math": "unique_persons"}]))
    data = answer["results"][0]["data"]
    assert data == trend(world, event=None, start=START, end=END, zone=UTC_ZONE, math_="unique_persons")[None]
    by_id = [
        len(
            {
                e.distinct_id
                for e in world.events
                if e.timestamp.date().isoformat() == day and START <= e.timestamp < END
            }
        )
        for day in day_buckets(START, END, UTC_ZONE)
    ]
    assert any(persons < ids for persons, ids in zip(data, by_id, strict=True)), "no day shows the links"


def test_breakdown_top_n_and_other(api: TestClient, account: Account, world: World) -> None:
    body = october(
        series=[{"event": "purchase", "math": "sum", "math_property": "amount"}],
        breakdown="$browser",
        breakdown_limit=2,
    )
    results = query(api, account, body)["results"]
    expected = trend(
        world,
        event="purchase",
        start=START,
        end=END,
        zone=UTC_ZONE,
        math_="sum",
        math_property="amount",
        breakdown="$browser",
        breakdown_limit=2,
    )
    assert {r["breakdown_value"] for r in results} == set(expected)
    for result in results:
        assert result["data"] == pytest.approx(expected[result["breakdown_value"]]), result["breakdown_value"]
    assert len(results) == 3 and results[-1]["breakdown_value"] == "$other"


@contextmanager
def project_zone(api: TestClient, account: Account, zone: str) -> Iterator[None]:
    response = api.patch(f"/api/projects/{account.project_id}", json={"timezone": zone}, headers=account.headers)
    assert response.status_code == 200, response.text
    try:
        yield
    finally:
        api.patch(f"/api/projects/{account.project_id}", json={"timezone": "UTC"}, headers=account.headers)


def test_time_zone_and_hours(api: TestClient, account: Account, world: World) -> None:
    """In the project's zone: Europe/Paris days start at 22:00 or 23:00 UTC, and cross a DST change (Oct 25)."""
    with project_zone(api, account, "Europe/Paris"):
        paris = ZoneInfo("Europe/Paris")
        start, end = datetime(2026, 10, 1, tzinfo=paris), datetime(2026, 11, 1, tzinfo=paris)
        result = query(api, account, october(series=[{"event": "$pageview"}]))["results"][0]
        assert result["days"] == day_buckets(start, end, paris)
        assert result["data"] == trend(world, event="$pageview", start=start, end=end, zone=paris)[None]
        hours = query(
            api,
            account,
            october(series=[{"event": "$pageview"}], interval="hour", date_from="2026-10-25", date_to="2026-10-25"),
        )
        hourly = hours["results"][0]
        assert len(hourly["days"]) == 25, "the day the clocks go back has 25 hours"
        assert hourly["days"][2:4] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]
        day_start = datetime(2026, 10, 25, tzinfo=paris)
        in_day = [
            e
            for e in world.events
            if e.event == "$pageview" and day_start <= e.timestamp < day_start + timedelta(hours=25)
        ]
        expected = [0.0] * 25
        for e in in_day:
            expected[int((e.timestamp - day_start).total_seconds() // 3600)] += 1
        assert hourly["data"] == expected


ZONE_SOURCES = [("UTC", "rollup"), ("Europe/Paris", "rollup"), ("Asia/Kolkata", "events")]


@pytest.mark.parametrize(("zone", "source"), ZONE_SOURCES)
def test_rollup_answers_as_raw_events(api: TestClient, account: Account, world: World, zone: str, source: str) -> None:
    """Counts come from events_hourly where every bucket starts on a whole UTC hour (not in +05:30), and equal
    the raw answer in every interval, across the DST change of October 25 in Paris."""
    with project_zone(api, account, zone):
        for interval in ("hour", "day", "week", "month"):
            body = october(series=[{"event": "$pageview"}, {"event": None}], interval=interval)
            rolled, raw = query(api, account, body), query(api, account, {**body, "properties": [EVERY_EVENT]})
            assert (rolled["source"], raw["source"]) == (source, "events"), interval
            assert rolled["results"] == raw["results"], interval


def test_weeks_and_months(api: TestClient, account: Account, world: World) -> None:
    weekly = query(api, account, october(series=[{"event": "signup"}], interval="week"))["results"][0]
    assert weekly["days"] == ["2026-09-28", "2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"]
    # the range starts at the start of its first week: Monday 2026-09-28
    week_start = datetime(2026, 9, 28, tzinfo=UTC)
    expected = [0.0] * 5
    for e in world.events:
        if e.event == "signup" and week_start <= e.timestamp < END:
            expected[(e.timestamp - week_start).days // 7] += 1
    assert weekly["data"] == expected
    monthly = query(api, account, october(series=[{"event": "signup"}], interval="month", date_to="2026-11-30"))
    assert monthly["results"][0]["days"] == ["2026-10-01", "2026-11-01"]
    months = [(START, END), (END, datetime(2026, 12, 1, tzinfo=UTC))]
    signups = [e.timestamp for e in world.events if e.event == "signup"]
    assert monthly["results"][0]["data"] == [float(sum(a <= t < b for t in signups)) for a, b in months]


def test_weekly_active(api: TestClient, account: Account, world: World) -> None:
    result = query(api, account, october(series=[{"event": None, "math": "weekly_active"}]))["results"][0]
    expected = []
    for day in day_buckets(START, END, UTC_ZONE):
        day_end = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
        window = [e for e in world.events if day_end - timedelta(days=7) <= e.timestamp < min(day_end, END)]
        expected.append(float(len({world.person(e.distinct_id) for e in window})))
    assert result["data"] == expected


def test_compare_with_previous_period(api: TestClient, account: Account, world: World) -> None:
    body = october(series=[{"event": "$pageview"}], compare=True, date_from="2026-10-16", date_to="2026-10-31")
    current, previous = query(api, account, body)["results"]
    assert (current["compare"], previous["compare"]) == ("current", "previous")
    start, end = datetime(2026, 10, 16, tzinfo=UTC), END
    before = start - (end - start)  # the same length: 16 days
    assert current["data"] == trend(world, event="$pageview", start=start, end=end, zone=UTC_ZONE)[None]
    assert previous["days"] == day_buckets(before, start, UTC_ZONE)
    assert previous["data"] == trend(world, event="$pageview", start=before, end=start, zone=UTC_ZONE)[None]


def test_relative_dates(api: TestClient, account: Account, warehouse: Client) -> None:
    """-24h in hours, -7d in days: buckets end at now, and the newest events land in the last bucket."""
    world = World(account.project_id)
    now = datetime.now(UTC)
    insert_events(
        warehouse,
        world,
        [Event("recent", "r", now - timedelta(minutes=5)), Event("recent", "r", now - timedelta(hours=30))],
    )
    hours = query(
        api, account, {"kind": "trends", "series": [{"event": "recent"}], "date_from": "-24h", "interval": "hour"}
    )
    hourly = hours["results"][0]
    # 24 hours back, truncated to the hour: 25 buckets; minutes ago is in one of the last two
    assert len(hourly["days"]) == 25 and sum(hourly["data"][-2:]) == 1 and hourly["count"] == 1
    days = query(api, account, {"kind": "trends", "series": [{"event": "recent"}], "date_from": "-7d"})
    assert len(days["results"][0]["days"]) == 8 and days["results"][0]["count"] == 2


def test_unknown_event_is_zeros(api: TestClient, account: Account, world: World) -> None:
    result = query(api, account, october(series=[{"event": "never-sent"}]))["results"][0]
    assert result["data"] == [0.0] * 31 and result["count"] == 0
