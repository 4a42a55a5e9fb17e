"""Stickiness over known persons: persons per number of active intervals equal plain Python's, in three zones.

The persons are tests/support/activity.py's: tricky ones (an alias, local midnights, a first event before the
range) and generated ones.
"""

from __future__ import annotations

from collections import Counter, defaultdict
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

from tests.support.activity import ACTIVITY, ZONES, ask, bucket, buckets, midnight, write_example
from tests.support.api import Account
from tests.support.fuzz import fuzz_settings
from tests.support.queries import Event, World

pytestmark = pytest.mark.integration


def expected(
    world: World,
    zone: ZoneInfo,
    interval: str,
    first: date,
    last: date,
    event: str | None,
    keep: Callable[[Event], bool] = lambda e: True,
) -> list[int]:
    """Persons active in exactly 1, 2, … of the intervals of [first's bucket, last's bucket]."""
    intervals = buckets(first, last, interval, zone)
    start, end = midnight(intervals[0], zone), midnight(last + timedelta(days=1), zone)
    active: dict[UUID, set[date]] = defaultdict(set)
    for e in world.events:
        if (event is None or e.event == event) and keep(e) and start <= e.timestamp < end:
            active[world.person(e.distinct_id)].add(bucket(e.timestamp, interval, zone))
    per_count = Counter(len(seen) for seen in active.values())
    return [per_count[n] for n in range(1, len(intervals) + 1)]


def body(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "stickiness",
        "series": [{"event": "$pageview"}],
        "date_from": "2026-10-01",
        "date_to": "2026-10-14",
        **extra,
    }


def test_tricky_persons_by_hand(api: TestClient, tricky_only: tuple[Account, World]) -> None:
    """New York, written out from the story in tests/support/activity.py, not computed."""
    account, _ = tricky_only
    answer = ask(api, account, body(date_to="2026-10-10"))
    assert answer["kind"] == "stickiness" and answer["source"] == "events"
    [result] = answer["results"]
    # veteran 1 day; night (Oct 4 and 5 local, one UTC day) and phoenix 2; steady 3; anon-7 + user-7 4
    assert result["data"] == [1, 2, 1, 1, 0, 0, 0, 0, 0, 0] and result["count"] == 5
    assert result["days"][:3] == ["1 day", "2 days", "3 days"] and len(result["days"]) == 10
    assert result["label"] == "$pageview" and result["event"] == "$pageview"
    # by week, from Monday Sep 28: eve and steady's Sep 30 count; anon-7 + user-7, night, phoenix span two weeks
    [weekly] = ask(api, account, body(date_to="2026-10-14", interval="week"))["results"]
    assert weekly["data"] == [3, 3, 0] and weekly["days"] == ["1 week", "2 weeks", "3 weeks"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    ("interval", "first", "last"),
    [
        ("day", date(2026, 10, 1), date(2026, 10, 31)),
        ("week", date(2026, 9, 21), date(2026, 11, 15)),
        ("month", date(2026, 9, 1), date(2026, 11, 30)),
    ],
)
def test_generated_persons(
    api: TestClient, projects: dict[str, tuple[Account, World]], zone: str, interval: str, first: date, last: date
) -> None:
    account, world = projects[zone]
    series = [{"event": "$pageview"}, {"event": None, "name": "anything"}, {"event": "purchase"}]
    answer = ask(api, account, body(series=series, interval=interval, date_from=str(first), date_to=str(last)))
    pageview, anything, purchase = answer["results"]
    local = ZoneInfo(zone)
    assert pageview["data"] == expected(world, local, interval, first, last, "$pageview")
    assert anything["data"] == expected(world, local, interval, first, last, None)
    assert purchase["data"] == expected(world, local, interval, first, last, "purchase")
    assert anything["label"] == "anything" and anything["event"] is None
    for result in answer["results"]:
        assert result["count"] == sum(result["data"])
    assert sum(1 for n in anything["data"] if n) >= 3, "the data should spread over several counts"


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_filters(api: TestClient, projects: dict[str, tuple[Account, World]], zone: str) -> None:
    account, world = projects[zone]
    local, first, last = ZoneInfo(zone), date(2026, 10, 1), date(2026, 10, 31)

    def gold(e: Event) -> bool:
        return world.person_properties.get(world.person(e.distinct_id), {}).get("tier") == "gold"

    series = [
        {"event": None, "properties": [{"key": "plan", "value": "pro"}]},
        {"event": "$pageview", "properties": [{"key": "plan", "operator": "is_not", "value": "pro"}]},
    ]
    tier = {"key": "tier", "value": "gold", "type": "person"}
    pro, not_pro = ask(api, account, body(series=series, properties=[tier], date_to=str(last)))["results"]
    assert pro["data"] == expected(
        world, local, "day", first, last, None, lambda e: e.properties["plan"] == "pro" and gold(e)
    )
    assert not_pro["data"] == expected(
        world, local, "day", first, last, "$pageview", lambda e: e.properties["plan"] != "pro" and gold(e)
    )
    assert pro["count"] and not_pro["count"]


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
    series = [{"event": f"{prefix}-a"}, {"event": f"{prefix}-b", "properties": [{"key": "plan", "value": "pro"}]}]
    a, b = ask(api, account, body(series=series, interval=interval))["results"]
    assert a["data"] == expected(world, local, interval, first, last, f"{prefix}-a")
    pro = expected(world, local, interval, first, last, f"{prefix}-b", lambda e: e.properties["plan"] == "pro")
    assert b["data"] == pro


def test_unknown_event_is_zeros(api: TestClient, projects: dict[str, tuple[Account, World]]) -> None:
    account, _ = projects["UTC"]
    [result] = ask(api, account, body(series=[{"event": "never-sent"}]))["results"]
    assert result["data"] == [0] * 14 and result["count"] == 0 and len(result["days"]) == 14


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"series": []}, 422, "series"),
        ({"series": [{"event": "x", "math": "sum"}]}, 422, "series.0.math"),
        ({"interval": "hour"}, 422, "interval"),
        ({"date_to": "2026-13-01"}, 422, "date_to"),
        ({"properties": [{"key": "", "value": "x"}]}, 422, "properties.0.key"),
        ({"date_from": "2026-10-20", "date_to": "2026-10-10"}, 400, "date_from"),
        ({"date_from": "1970-01-01", "date_to": "2199-12-31"}, 400, "interval"),
    ],
)
def test_bad_input_names_the_field(
    api: TestClient, projects: dict[str, tuple[Account, World]], change: dict[str, Any], status: int, field: str
) -> None:
    account, _ = projects["UTC"]
    error = ask(api, account, body(**change), status=status)["error"]
    assert error["field"] == field, error
