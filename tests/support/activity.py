"""Persons' activity for the retention, lifecycle and stickiness tests: a small world with tricky cases, and
the project's local calendar in plain Python (dates and ``timedelta``, nothing from api/queries/).

The tricky persons, each written in the project's own zone (the queries run from 2026-10-01):

- ``anon-7`` browses on Oct 3 and 5, signs up as ``user-7`` on Oct 6 and comes back on Oct 9: one person;
- ``night``: 23:30 and 00:30 local, two local days that are one UTC day in every zone tested but UTC, then
  10:00 and 23:00 that day, one local day that is two UTC days in New York or in Kolkata;
- ``phoenix``: active Oct 2, silent for a week, back on Oct 9 (resurrecting);
- ``veteran``: a first event on Sep 15, before every range, then Oct 4 (neither new nor in a first-time cohort);
- ``eve``: active Sep 30 only, the day before the range (dormant on its first day);
- ``steady``: Sep 30 and every day of Oct 1-3 (returning from the first day on);
- ``late``: an event after every range's end, which no answer may count.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from tests.support.api import Account, sign_up
from tests.support.queries import Event, World, insert_events, link, set_person_properties

EVENTS = ["$pageview", "signup", "purchase"]
FIRST_DAY, LAST_DAY = date(2026, 9, 20), date(2026, 11, 12)  # of the generated events


def local(zone: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the project's zone, as an aware UTC moment."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def tricky(zone: ZoneInfo) -> tuple[list[Event], list[list[str]]]:
    """The tricky persons' events, and the distinct ids linked into one person."""

    def oct_(day: int) -> date:
        return date(2026, 10, day)

    def pageview(who: str, day: date, hour: int, minute: int = 0) -> Event:
        return Event("$pageview", who, local(zone, day, hour, minute), {"plan": "free"})

    events = [
        pageview("anon-7", oct_(3), 10),
        pageview("anon-7", oct_(5), 22),
        Event("signup", "user-7", local(zone, oct_(6), 9), {"plan": "pro"}),
        pageview("user-7", oct_(6), 9, 5),
        pageview("user-7", oct_(9), 18),
        pageview("night", oct_(4), 23, 30),
        pageview("night", oct_(5), 0, 30),
        pageview("night", oct_(5), 10),
        pageview("night", oct_(5), 23),
        pageview("phoenix", oct_(2), 12),
        pageview("phoenix", oct_(9), 12),
        pageview("veteran", date(2026, 9, 15), 8),
        pageview("veteran", oct_(4), 8),
        pageview("eve", date(2026, 9, 30), 20),
        *(pageview("steady", day, 7) for day in [date(2026, 9, 30), oct_(1), oct_(2), oct_(3)]),
        pageview("late", date(2027, 1, 20), 12),
    ]
    return events, [["user-7", "anon-7"]]


def generated(rng: random.Random, count: int = 25) -> list[Event]:
    """Persons active on random days, a few events a day at random times (so around every local midnight)."""
    span = (LAST_DAY - FIRST_DAY).days
    events = []
    for person in range(count):
        for day in rng.sample(range(span), rng.randint(1, 12)):
            for _ in range(rng.randint(1, 3)):
                at = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC) + timedelta(
                    days=day, seconds=rng.randrange(86400)
                )
                plan = rng.choice(["free", "pro"])
                events.append(Event(rng.choice(EVENTS), f"g-{person}", at, {"plan": plan}))
    return events


def populate(client: Client, world: World, zone: ZoneInfo, *, seed: int | None = 5) -> World:
    """The tricky persons, and unless ``seed`` is None the generated ones; person properties ``tier``."""
    events, links = tricky(zone)
    insert_events(client, world, [*events, *(generated(random.Random(seed)) if seed is not None else [])])
    for ids in [*links, ["g-1", "g-2"]]:
        link(client, world, ids)
    for distinct_id, tier in [("user-7", "gold"), ("g-3", "gold"), ("g-4", "silver")]:  # after the links
        set_person_properties(client, world, distinct_id, {"tier": tier})
    return world


ZONES = ["America/New_York", "Asia/Kolkata", "UTC"]  # west of UTC, a half-hour offset east of it, UTC


def project(api: TestClient, client: Client, zone: str, *, seed: int | None = 5) -> tuple[Account, World]:
    """A new project in ``zone`` holding the tricky persons and (unless ``seed`` is None) generated ones."""
    account = sign_up(api)
    response = api.patch(f"/api/projects/{account.project_id}", json={"timezone": zone}, headers=account.headers)
    assert response.status_code == 200, response.text
    return account, populate(client, World(account.project_id), ZoneInfo(zone), seed=seed)


def ask(api: TestClient, account: Account, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    """The answer's JSON, after checking its status (``refresh``: never an answer cached by another test)."""
    response = api.post(
        f"/api/projects/{account.project_id}/query", json={"refresh": True, **body}, headers=account.headers
    )
    assert response.status_code == status, response.text
    return response.json()


# Hypothesis: (seconds after 2026-09-24 UTC, person 0-5, event "a" or "b", plan pro?) over 26 days, so around
# every range of the tests (Oct 1-14 by day or week) and before it.
ACTIVITY = st.lists(
    st.tuples(st.integers(0, 26 * 86400), st.integers(0, 5), st.sampled_from(["a", "b"]), st.booleans()),
    max_size=40,
)


def write_example(
    client: Client, project_id: int, rows: list[tuple[int, int, str, bool]], linked: bool
) -> tuple[World, str]:
    """One example's events under event names and distinct ids of its own (``<prefix>-a``, ``<prefix>-p0``), so
    examples share projects, never rows or persons; ``linked``: p0 and p1 are one person. The world holds this
    example's events only; the prefix comes with it."""
    prefix = f"gen-{uuid.uuid4().hex[:10]}"
    world = World(project_id)
    first = datetime(2026, 9, 24, tzinfo=UTC)
    events = [
        Event(f"{prefix}-{name}", f"{prefix}-p{who}", first + timedelta(seconds=at), {"plan": "pro" if pro else "free"})
        for at, who, name, pro in rows
    ]
    if events:
        insert_events(client, world, events)
    if linked:
        link(client, world, [f"{prefix}-p0", f"{prefix}-p1"])
    return world, prefix


# --- the local calendar ---------------------------------------------------------------------------------


def bucket(moment: datetime, interval: str, zone: ZoneInfo) -> date:
    """The first local day of the day, week (from Monday) or month holding ``moment``."""
    day = moment.astimezone(zone).date()
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def shift(start: date, interval: str, count: int) -> date:
    """The bucket ``count`` buckets after (before, when negative) the one starting on ``start``."""
    if interval == "month":
        months = start.year * 12 + start.month - 1 + count
        return date(months // 12, months % 12 + 1, 1)
    return start + timedelta(days=count * (7 if interval == "week" else 1))


def buckets(first: date, last: date, interval: str, zone: ZoneInfo) -> list[date]:
    """Every bucket from the one holding the local day ``first`` to the one holding ``last``."""
    current = bucket(datetime(first.year, first.month, first.day, 12, tzinfo=zone), interval, zone)
    found = []
    while current <= last:
        found.append(current)
        current = shift(current, interval, 1)
    return found


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)
