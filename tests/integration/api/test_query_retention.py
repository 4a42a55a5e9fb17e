"""Retention over known persons: cohorts and returns equal plain Python's, first-time and recurring, in three zones.

The persons are tests/support/activity.py's: tricky ones (an alias, local midnights, a resurrection, a first
event before every cohort) and generated ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.support.activity import ACTIVITY, ZONES, ask, bucket, midnight, shift, write_example
from tests.support.api import Account
from tests.support.fuzz import fuzz_settings
from tests.support.queries import Event, World

pytestmark = pytest.mark.integration


def expected(
    world: World,
    zone: ZoneInfo,
    *,
    period: str,
    total: int,
    last_day: date,
    first_time: bool,
    target: str = "$pageview",
    returning: str = "$pageview",
    keep: Callable[[Event], bool] = lambda e: True,
) -> list[tuple[str, list[int]]]:
    """(cohort start, [cohort size, back in period 1, 2, …]) for the ``total`` periods ending with last_day's."""
    last = bucket(midnight(last_day, zone), period, zone)
    cohorts = [shift(last, period, -k) for k in reversed(range(total))]
    start, end = midnight(cohorts[0], zone), midnight(shift(last, period, 1), zone)
    entered: dict[UUID, set[date]] = defaultdict(set)
    returned: dict[UUID, set[date]] = defaultdict(set)
    first_seen: dict[UUID, datetime] = {}
    for e in world.events:
        if not keep(e) or e.timestamp >= end:
            continue
        person = world.person(e.distinct_id)
        if e.event == target:
            first_seen[person] = min(first_seen.get(person, e.timestamp), e.timestamp)
            if e.timestamp >= start and not first_time:
                entered[person].add(bucket(e.timestamp, period, zone))
        if e.event == returning and e.timestamp >= start:
            returned[person].add(bucket(e.timestamp, period, zone))
    if first_time:
        for person, moment in first_seen.items():
            entered[person].add(bucket(moment, period, zone))
    answer = []
    for i, cohort in enumerate(cohorts):
        members = [person for person, periods in entered.items() if cohort in periods]
        back = [sum(cohorts[i + k] in returned[p] for p in members) for k in range(1, total - i)]
        answer.append((cohort.isoformat(), [len(members), *back]))
    return answer


def body(**extra: Any) -> dict[str, Any]:
    return {"kind": "retention", "date_to": "2026-10-09", "total_intervals": 9, **extra}


def counts(results: list[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    for cohort in results:
        size = cohort["cohort_size"]
        assert cohort["values"][0]["count"] == size
        for value in cohort["values"]:
            assert value["rate"] == pytest.approx(value["count"] / size if size else 0.0)
    return [(cohort["date"], [value["count"] for value in cohort["values"]]) for cohort in results]


def test_tricky_persons_by_hand(api: TestClient, tricky_only: tuple[Account, World]) -> None:
    """New York, by day, Oct 1-9: written out from the story in tests/support/activity.py, not computed."""
    account, _ = tricky_only
    answer = ask(api, account, body())
    assert answer["kind"] == "retention" and answer["source"] == "events"
    days = [f"2026-10-0{d}" for d in range(1, 10)]
    # first time: steady, eve and veteran started in September; phoenix on Oct 2, anon-7 on Oct 3 (back as
    # anon-7 on Oct 5, as user-7 on Oct 6 and 9), night at 23:30 on Oct 4 (back 00:30 Oct 5: one UTC day)
    assert counts(answer["results"]) == list(
        zip(
            days,
            [
                [0] * 9,
                [1, 0, 0, 0, 0, 0, 0, 1],
                [1, 0, 1, 1, 0, 0, 1],
                [1, 1, 0, 0, 0, 0],
                [0] * 5,
                [0] * 4,
                [0] * 3,
                [0] * 2,
                [0],
            ],
            strict=True,
        )
    )
    recurring = ask(api, account, body(retention_type="recurring"))
    assert counts(recurring["results"]) == list(
        zip(
            days,
            [
                [1, 1, 1, 0, 0, 0, 0, 0, 0],  # steady
                [2, 1, 0, 0, 0, 0, 0, 1],  # steady, phoenix
                [2, 0, 1, 1, 0, 0, 1],  # steady, anon-7
                [2, 1, 0, 0, 0, 0],  # night, veteran
                [2, 1, 0, 0, 1],  # anon-7 + user-7, night
                [1, 0, 0, 1],  # user-7
                [0, 0, 0],
                [0, 0],
                [2],  # user-7, phoenix
            ],
            strict=True,
        )
    )
    signup = ask(api, account, body(returning_event="signup"))
    assert counts(signup["results"])[2] == ("2026-10-03", [1, 0, 0, 1, 0, 0, 0])  # anon-7 signed up Oct 6


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    ("period", "total", "last_day"),
    [("day", 14, date(2026, 10, 20)), ("week", 6, date(2026, 11, 8)), ("month", 3, date(2026, 11, 30))],
)
@pytest.mark.parametrize("first_time", [True, False], ids=["first_time", "recurring"])
def test_generated_persons(
    api: TestClient,
    projects: dict[str, tuple[Account, World]],
    zone: str,
    period: str,
    total: int,
    last_day: date,
    first_time: bool,
) -> None:
    account, world = projects[zone]
    kind = "first_time" if first_time else "recurring"
    change = {"period": period, "total_intervals": total, "date_to": str(last_day), "retention_type": kind}
    want = expected(world, ZoneInfo(zone), period=period, total=total, last_day=last_day, first_time=first_time)
    assert counts(ask(api, account, body(**change))["results"]) == want
    assert sum(sum(values[1:]) for _, values in want) > 0, "the data should show persons coming back"


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_other_events_and_filters(api: TestClient, projects: dict[str, tuple[Account, World]], zone: str) -> None:
    account, world = projects[zone]
    local, last_day = ZoneInfo(zone), date(2026, 10, 31)
    change = {"target_event": "signup", "returning_event": "purchase", "date_to": str(last_day), "total_intervals": 20}
    for first_time in (True, False):
        kind = "first_time" if first_time else "recurring"
        answer = ask(api, account, body(**change, retention_type=kind))
        want = expected(
            world,
            local,
            period="day",
            total=20,
            last_day=last_day,
            first_time=first_time,
            target="signup",
            returning="purchase",
        )
        assert counts(answer["results"]) == want, kind

    def gold(e: Event) -> bool:
        return world.person_properties.get(world.person(e.distinct_id), {}).get("tier") == "gold"

    filters = [{"key": "plan", "value": "pro"}, {"key": "tier", "value": "gold", "type": "person"}]
    answer = ask(api, account, body(period="week", total_intervals=8, date_to="2026-11-15", properties=filters))
    want = expected(
        world,
        local,
        period="week",
        total=8,
        last_day=date(2026, 11, 15),
        first_time=True,
        keep=lambda e: e.properties["plan"] == "pro" and gold(e),
    )
    assert counts(answer["results"]) == want
    assert any(values[0] for _, values in want)


@fuzz_settings(max_examples=15)
@given(
    rows=ACTIVITY,
    zone=st.sampled_from(ZONES),
    period=st.sampled_from(["day", "week"]),
    first_time=st.booleans(),
    returning=st.sampled_from(["a", "b"]),
    linked=st.booleans(),
)
def test_generated_examples(
    api: TestClient,
    projects: dict[str, tuple[Account, World]],
    warehouse: Client,
    rows: list[tuple[int, int, str, bool]],
    zone: str,
    period: str,
    first_time: bool,
    returning: str,
    linked: bool,
) -> None:
    account, _ = projects[zone]
    world, prefix = write_example(warehouse, account.project_id, rows, linked)
    total = 12 if period == "day" else 3
    change = {
        "target_event": f"{prefix}-a",
        "returning_event": f"{prefix}-{returning}",
        "retention_type": "first_time" if first_time else "recurring",
        "period": period,
        "total_intervals": total,
        "date_to": "2026-10-14",
    }
    want = expected(
        world,
        ZoneInfo(zone),
        period=period,
        total=total,
        last_day=date(2026, 10, 14),
        first_time=first_time,
        target=f"{prefix}-a",
        returning=f"{prefix}-{returning}",
    )
    assert counts(ask(api, account, body(**change))["results"]) == want


def test_default_date_to_ends_with_the_current_period(
    api: TestClient, projects: dict[str, tuple[Account, World]]
) -> None:
    account, _ = projects["Asia/Kolkata"]
    zone = ZoneInfo("Asia/Kolkata")
    before = datetime.now(zone).date()
    results = ask(api, account, {"kind": "retention", "period": "week"})["results"]
    after = datetime.now(zone).date()
    assert len(results) == 8  # the default total_intervals
    assert [len(cohort["values"]) for cohort in results] == list(range(8, 0, -1))
    mondays = {day - timedelta(days=day.weekday()) for day in (before, after)}
    assert date.fromisoformat(results[-1]["date"]) in mondays


def test_periods_not_started_are_left_out(api: TestClient, projects: dict[str, tuple[Account, World]]) -> None:
    account, _ = projects["UTC"]
    today = datetime.now(UTC).date()
    last = date(today.year + 1, today.month, 1)  # a year ahead: the 24 months end there
    results = ask(api, account, body(period="month", total_intervals=24, date_to=str(last)))["results"]
    started = [shift(last, "month", -k) for k in reversed(range(24))]
    started = [m for m in started if m <= today]
    assert [cohort["date"] for cohort in results] == [m.isoformat() for m in started]
    assert [len(cohort["values"]) for cohort in results] == list(range(len(started), 0, -1))


def test_unknown_event_is_zeros(api: TestClient, projects: dict[str, tuple[Account, World]]) -> None:
    account, _ = projects["UTC"]
    results = ask(api, account, body(target_event="never-sent"))["results"]
    assert [cohort["cohort_size"] for cohort in results] == [0] * 9
    assert all(value == {"count": 0, "rate": 0.0} for cohort in results for value in cohort["values"])


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"period": "hour"}, 422, "period"),
        ({"retention_type": "sometimes"}, 422, "retention_type"),
        ({"total_intervals": 1}, 422, "total_intervals"),
        ({"total_intervals": 61}, 422, "total_intervals"),
        ({"target_event": ""}, 422, "target_event"),
        ({"date_to": "soon"}, 422, "date_to"),
        ({"date_from": "-7d"}, 422, "date_from"),
        ({"properties": [{"key": "plan", "operator": "is_set", "value": 1}]}, 422, "properties.0"),
        ({"period": "month", "total_intervals": 30, "date_to": "1971-06-01"}, 400, "date_to"),
    ],
)
def test_bad_input_names_the_field(
    api: TestClient, projects: dict[str, tuple[Account, World]], change: dict[str, Any], status: int, field: str
) -> None:
    account, _ = projects["UTC"]
    error = ask(api, account, body(**change), status=status)["error"]
    assert error["field"] == field, error
