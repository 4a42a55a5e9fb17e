"""Generated events (Hypothesis), several time zones and math: the API's trends equal plain Python's.

Each example writes its events under an event name of its own, so examples share projects, never rows.
Filters and breakdowns put into property keys and values are only ever data (bound parameters).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.support.api import Account, sign_up
from tests.support.fuzz import fuzz_settings
from tests.support.queries import Event, World, day_buckets, insert_events, trend

pytestmark = pytest.mark.integration

ZONES = ["UTC", "Europe/Paris", "Asia/Kolkata", "America/New_York"]
START, END = datetime(2026, 10, 20), datetime(2026, 10, 31)  # local dates; a DST change in both zones that have one
MATH = [("total", None), ("unique_persons", None), ("sum", "amount"), ("median", "amount"), ("max", "amount")]


@pytest.fixture(scope="module")
def projects(api: TestClient) -> dict[str, Account]:
    """One project per time zone."""
    accounts = {}
    for zone in ZONES:
        account = sign_up(api)
        response = api.patch(f"/api/projects/{account.project_id}", json={"timezone": zone}, headers=account.headers)
        assert response.status_code == 200, response.text
        accounts[zone] = account
    return accounts


events = st.lists(
    st.tuples(
        st.integers(0, int(timedelta(days=13).total_seconds())),  # seconds after a day before START, to past END
        st.sampled_from(["a", "b", "c", "d"]),
        st.one_of(st.none(), st.integers(-5, 500), st.floats(0, 1000, allow_nan=False).map(lambda f: round(f, 3))),
        st.sampled_from(["x", "y", "z", "it's", 'a"b']),
    ),
    max_size=40,
)


@fuzz_settings(max_examples=12)
@given(
    rows=events,
    zone=st.sampled_from(ZONES),
    math=st.sampled_from(MATH),
    broken_down=st.booleans(),
)
def test_generated_trends(
    api: TestClient,
    projects: dict[str, Account],
    warehouse: Client,
    rows: list[tuple[int, str, Any, str]],
    zone: str,
    math: tuple[str, str | None],
    broken_down: bool,
) -> None:
    account, local = projects[zone], ZoneInfo(zone)
    name = f"gen-{uuid.uuid4().hex[:12]}"
    # in UTC: adding seconds to a local time would add wall-clock time across the DST change
    first = (START.replace(tzinfo=local) - timedelta(days=1)).astimezone(UTC)
    world = World(account.project_id)
    generated = []
    for offset, distinct_id, amount, label in rows:
        properties = {"label": label} | ({} if amount is None else {"amount": amount})
        generated.append(Event(name, distinct_id, first + timedelta(seconds=offset), properties))
    insert_events(warehouse, world, generated)
    math_, math_property = math
    series = {"event": name, "math": math_} | ({"math_property": math_property} if math_property else {})
    body = {"kind": "trends", "series": [series], "date_from": "2026-10-20", "date_to": "2026-10-30"}
    if broken_down:
        body |= {"breakdown": "label", "breakdown_limit": 2}
    response = api.post(f"/api/projects/{account.project_id}/query", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    start, end = START.replace(tzinfo=local), END.replace(tzinfo=local)
    expected = trend(
        world,
        event=name,
        start=start,
        end=end,
        zone=local,
        math_=math_,
        math_property=math_property,
        breakdown="label" if broken_down else None,
        breakdown_limit=2,
    )
    results = response.json()["results"]
    if not broken_down:
        expected = {None: expected.get(None) or [0.0] * len(day_buckets(start, end, local))}
    assert {r["breakdown_value"] for r in results} == set(expected)
    for result in results:
        assert result["days"] == day_buckets(start, end, local)
        assert result["data"] == pytest.approx(expected[result["breakdown_value"]]), result["breakdown_value"]


@pytest.mark.parametrize(
    "key", ["') OR 1=1 --", "x'); DROP TABLE events; --", "{project_id:UInt64}", "\\", "$browser\x00"]
)
def test_hostile_keys_are_only_data(api: TestClient, projects: dict[str, Account], key: str) -> None:
    account = projects["UTC"]
    body = {
        "kind": "trends",
        "series": [{"event": key, "math": "sum", "math_property": key}],
        "date_from": "2026-10-01",
        "date_to": "2026-10-02",
        "breakdown": key,
        "properties": [{"key": key, "operator": "regex", "value": ".*"}],
    }
    response = api.post(f"/api/projects/{account.project_id}/query", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == []  # broken down, nothing matched: no rows at all
