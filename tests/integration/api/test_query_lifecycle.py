"""Lifecycle over known persons: new, returning, resurrecting and dormant equal plain Python's, in three zones.

The persons are tests/support/activity.py's: tricky ones (an alias, local midnights, a resurrection, a first
event before the range) and generated ones. The reference below is written from docs/QUERIES.md's rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.support.activity import ACTIVITY, ZONES, ask, bucket, buckets, midnight, shift, write_example
from tests.support.api import Account
from tests.support.fuzz import fuzz_settings
from tests.support.queries import Event, World

pytestmark = pytest.mark.integration

STATUSES = ["new", "returning", "resurrecting", "dormant"]


def expected(
    world: World,
    zone: ZoneInfo,
    interval: str,
    first: date,
    last: date,
    event: str | None = "$pageview",
    keep: Callable[[Event], bool] = lambda e: True,
) -> dict[str, list[int]]:
    """Per status, persons per bucket of [first's bucket, last's bucket]; every event before the end counts for
    "first ever"."""
    days = buckets(first, last, interval, zone)
    end = midnight(last + timedelta(days=1), zone)
    active: dict[UUID, set[date]] = defaultdict(set)
    for e in world.events:
        if (event is None or e.event == event) and keep(e) and e.timestamp < end:
            active[world.person(e.distinct_id)].add(bucket(e.timestamp, interval, zone))
    data = {status: [0] * len(days) for status in STATUSES}
    for i, day in enumerate(days):
        before = shift(day, interval, -1)
        for seen in active.values():
            if day in seen:
                status = "new" if min(seen) == day else "returning" if before in seen else "resurrecting"
                data[status][i] += 1
            elif before in seen:
                data["dormant"][i] -= 1
    return data


def body(**extra: Any) -> dict[str, Any]:
    return {"kind": "lifecycle", "event": "$pageview", "date_from": "2026-10-01", "date_to": "2026-10-14", **extra}


def check(results: list[dict[str, Any]], want: dict[str, list[int]], days: list[date]) -> None:
    assert [r["status"] for r in results] == STATUSES
    for result in results:
        assert result["days"] == [d.isoformat() for d in days]
        assert result["data"] == want[result["status"]], result["status"]
        assert result["count"] == sum(want[result["status"]])


def test_tricky_persons_by_hand(api: TestClient, tricky_only: tuple[Account, World]) -> None:
    """New York, by day: written out from the story in tests/support/activity.py, not computed."""
    account, _ = tricky_only
    answer = ask(api, account, body(date_to="2026-10-10"))
    assert answer["kind"] == "lifecycle" and answer["source"] == "events"
    by_status = {r["status"]: r["data"] for r in answer["results"]}
    assert by_status == {
        # Oct: 1  2  3  4  5  6  7  8  9  10
        "new": [0, 1, 1, 1, 0, 0, 0, 0, 0, 0],  # phoenix, anon-7, night (Oct 4 23:30 local, Oct 5 in UTC)
        "returning": [1, 1, 1, 0, 1, 1, 0, 0, 0, 0],  # steady (active Sep 30), night, user-7 after anon-7
        "resurrecting": [0, 0, 0, 1, 1, 0, 0, 0, 2, 0],  # veteran (Sep 15), anon-7, then user-7 and phoenix
        "dormant": [-1, 0, -1, -2, -1, -1, -1, 0, 0, -2],  # eve on the first day (active Sep 30)
    }
    assert answer["results"][0]["label"] == "$pageview - new"


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    ("interval", "first", "last"),
    [
        ("day", date(2026, 10, 1), date(2026, 10, 14)),
        ("week", date(2026, 10, 1), date(2026, 11, 8)),
        ("month", date(2026, 9, 1), date(2026, 11, 30)),
    ],
)
def test_generated_persons(
    api: TestClient, projects: dict[str, tuple[Account, World]], zone: str, interval: str, first: date, last: date
) -> None:
    account, world = projects[zone]
    answer = ask(api, account, body(interval=interval, date_from=first.isoformat(), date_to=last.isoformat()))
    days = buckets(first, last, interval, ZoneInfo(zone))
    want = expected(world, ZoneInfo(zone), interval, first, last)
    check(answer["results"], want, days)
    shown = [status for status, values in want.items() if any(values)]
    assert shown == STATUSES if interval != "month" else len(shown) >= 3, "the data should show every status"


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_any_event_and_filters(api: TestClient, projects: dict[str, tuple[Account, World]], zone: str) -> None:
    account, world = projects[zone]
    local, first, last = ZoneInfo(zone), date(2026, 10, 1), date(2026, 10, 14)
    days = buckets(first, last, "day", local)
    check(ask(api, account, body(event=None))["results"], expected(world, local, "day", first, last, None), days)

    pro = {"key": "plan", "value": "pro"}
    want = expected(world, local, "day", first, last, None, lambda e: e.properties.get("plan") == "pro")
    check(ask(api, account, body(event=None, properties=[pro]))["results"], want, days)

    def gold(e: Event) -> bool:
        return world.person_properties.get(world.person(e.distinct_id), {}).get("tier") == "gold"

    tier = {"key": "tier", "value": "gold", "type": "person"}
    want = expected(world, local, "day", first, last, keep=gold)
    check(ask(api, account, body(properties=[tier]))["results"], want, days)
    assert any(any(values) for values in want.values())


@fuzz_settings(max_examples=15)
@given(rows=ACTIVITY, zone=st.sampled_from(ZONES), interval=st.sampled_from(["day", "week"]), linked=st.booleans())
def test_generated_examples(
    api: TestClient,
    projects: dict[str, tuple[Account, World]],
    warehouse: Client,
    rows: list[tuple[int, int, str, bool]],
    zone: str,
    interval: str,
    linked: bool,
) -> None:
    account, _ = projects[zone]
    world, prefix = write_example(warehouse, account.project_id, rows, linked)
    local, first, last = ZoneInfo(zone), date(2026, 10, 1), date(2026, 10, 14)
    answer = ask(api, account, body(event=f"{prefix}-a", interval=interval))
    check(
        answer["results"],
        expected(world, local, interval, first, last, f"{prefix}-a"),
        buckets(first, last, interval, local),
    )


def test_unknown_event_is_zeros(api: TestClient, projects: dict[str, tuple[Account, World]]) -> None:
    account, _ = projects["UTC"]
    results = ask(api, account, body(event="never-sent"))["results"]
    assert [(r["status"], r["data"], r["count"]) for r in results] == [(s, [0] * 14, 0) for s in STATUSES]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"interval": "hour"}, 422, "interval"),
        ({"interval": "fortnight"}, 422, "interval"),
        ({"event": ""}, 422, "event"),
        ({"date_from": "last tuesday"}, 422, "date_from"),
        ({"properties": [{"key": "plan", "operator": "gt", "value": "x"}]}, 422, "properties.0"),
        ({"date_from": "2026-10-20", "date_to": "2026-10-10"}, 400, "date_from"),
        ({"date_from": "1970-01-01", "date_to": "2199-12-31"}, 400, "interval"),
        ({"series": [{"event": "x"}]}, 422, "series"),
    ],
)
def test_bad_input_names_the_field(
    api: TestClient, projects: dict[str, tuple[Account, World]], change: dict[str, Any], status: int, field: str
) -> None:
    account, _ = projects["UTC"]
    error = ask(api, account, body(**change), status=status)["error"]
    assert error["field"] == field, error
