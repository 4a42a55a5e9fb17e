"""The dbt project (models/) on the test stack: it builds, its rollups equal raw counts, its daily tables equal
a plain-Python computation, a day rebuilt twice is the same, late events count, and its docs generate."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import yaml
from clickhouse_connect.driver.client import Client

from ingest.lifecycle import rebuild_rollups
from tests.integration.models import reference, tricky
from tests.integration.models.conftest import Built, naive, rows
from tests.support.dbt import PROJECT_DIR, day_vars
from tests.support.events import Event, insert_events

pytestmark = pytest.mark.integration

FUNNELS = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["funnels"]
DAILY_TABLES = ("sessions", "person_daily_activity", "funnel_person_steps")


def tricky_data(project_id: int) -> tuple[list[Event], dict[str, Any]]:
    on_time, late = tricky.events(project_id)
    mapping = {d: person for person, ids in tricky.links(project_id).items() for d in ids}
    return on_time + late, mapping


def as_dicts(client: Client, sql: str, **parameters: object) -> list[dict[str, Any]]:
    result = client.query(sql, parameters=parameters)
    return [
        {key: naive(value) if isinstance(value, datetime) else value for key, value in row.items()}
        for row in result.named_results()
    ]


def same_rows(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    def key(row: dict[str, Any]) -> str:
        return repr(sorted(row.items()))

    assert sorted(actual, key=key) == sorted(expected, key=key)


def test_dbt_build_passes(built: Built) -> None:
    assert "Completed successfully" in built.build_output
    statuses = built.dbt.results()  # the second build: the daily models and everything after them
    assert statuses and set(statuses.values()) <= {"success", "pass"}, statuses


@pytest.mark.parametrize("dataset", ["generated", "tricky"])
def test_rollups_equal_raw_counts(built: Built, warehouse: Client, dataset: str) -> None:
    project_id = built.generated_project if dataset == "generated" else built.tricky_project
    raw = rows(
        warehouse,
        "SELECT toDate(timestamp) AS day, event, count() FROM events WHERE project_id = {p:UInt64}"
        " GROUP BY day, event ORDER BY day, event",
        p=project_id,
    )
    hourly = rows(
        warehouse,
        "SELECT toDate(hour) AS day, event, sum(events) FROM events_hourly WHERE project_id = {p:UInt64}"
        " GROUP BY day, event ORDER BY day, event",
        p=project_id,
    )
    assert len(raw) > 3 and hourly == raw
    raw_pages = rows(
        warehouse,
        "SELECT toDate(timestamp) AS day, JSONExtractString(properties, '$pathname') AS path, count() FROM events"
        " WHERE project_id = {p:UInt64} AND event = '$pageview' GROUP BY day, path ORDER BY day, path",
        p=project_id,
    )
    pages = rows(
        warehouse,
        "SELECT day, pathname, sum(pageviews) FROM pageviews_daily WHERE project_id = {p:UInt64}"
        " GROUP BY day, pathname ORDER BY day, pathname",
        p=project_id,
    )
    assert raw_pages and pages == raw_pages


def test_rollup_persons_are_persons_as_of_the_insert(built: Built, warehouse: Client) -> None:
    """Generated traffic identifies people after some of their anonymous events were stored: the rollup counts
    persons as they were at each insert, so at least the persons of today's mapping, at most the distinct ids."""
    per_day = rows(
        warehouse,
        "SELECT day, (SELECT uniqMerge(persons) FROM events_hourly WHERE project_id = {p:UInt64}"
        " AND toDate(hour) = day), uniqExact(person_id), uniqExact(distinct_id)"
        " FROM stg_events WHERE project_id = {p:UInt64} GROUP BY day ORDER BY day",
        p=built.generated_project,
    )
    assert per_day
    for day, rollup, persons_now, distinct_ids in per_day:
        assert persons_now <= rollup <= distinct_ids, day


def test_rollup_persons_equal_reference_when_links_came_first(built: Built, warehouse: Client) -> None:
    events, mapping = tricky_data(built.tricky_project)
    expected: dict[tuple[Any, str], set[Any]] = {}
    for event in events:
        expected.setdefault((event.timestamp.date(), event.event), set()).add(reference.person(event, mapping))
    actual = rows(
        warehouse,
        "SELECT toDate(hour) AS day, event, uniqMerge(persons) FROM events_hourly WHERE project_id = {p:UInt64}"
        " GROUP BY day, event",
        p=built.tricky_project,
    )
    assert sorted(actual) == sorted((day, event, len(persons)) for (day, event), persons in expected.items())


def test_sessions_equal_reference(built: Built, warehouse: Client) -> None:
    events, mapping = tricky_data(built.tricky_project)
    actual = as_dicts(
        warehouse,
        "SELECT day, session_key, person_id, started_at, ended_at, duration_seconds, events, pageviews,"
        " entry_pathname, exit_pathname, is_bounce FROM sessions WHERE project_id = {p:UInt64}",
        p=built.tricky_project,
    )
    expected = reference.sessions(events, mapping)
    same_rows(actual, expected)
    night = next(row for row in actual if row["session_key"] == "s-night")
    assert (night["day"], night["entry_pathname"], night["exit_pathname"]) == (tricky.FIRST_DAY, "/", "/checkout")


def test_person_daily_activity_equals_reference(built: Built, warehouse: Client) -> None:
    events, mapping = tricky_data(built.tricky_project)
    actual = as_dicts(
        warehouse,
        "SELECT day, person_id, events, pageviews, first_event_at, last_event_at, event_counts, distinct_ids"
        " FROM person_daily_activity WHERE project_id = {p:UInt64}",
        p=built.tricky_project,
    )
    same_rows(actual, reference.person_daily_activity(events, mapping))
    first_seen = rows(
        warehouse,
        "SELECT person_id, first_seen_day FROM person_first_seen WHERE project_id = {p:UInt64}",
        p=built.tricky_project,
    )
    expected_first = {}
    for event in reference.ordered(events):
        expected_first.setdefault(reference.person(event, mapping), event.timestamp.date())
    assert dict(first_seen) == expected_first


def test_funnel_person_steps_equal_reference(built: Built, warehouse: Client) -> None:
    events, mapping = tricky_data(built.tricky_project)
    actual = as_dicts(
        warehouse,
        "SELECT funnel, day, person_id, steps_reached, steps_total, step_times FROM funnel_person_steps"
        " WHERE project_id = {p:UInt64}",
        p=built.tricky_project,
    )
    for row in actual:
        row["step_times"] = [naive(moment) for moment in row["step_times"]]
    same_rows(actual, reference.funnel_person_steps(events, mapping, FUNNELS))
    purchases = {row["steps_reached"] for row in actual if row["funnel"] == "purchase"}
    assert {1, 3, 4} <= purchases  # too slow, stopped after midnight at checkout, bought after midnight


def test_a_day_rebuilt_twice_gives_the_same_rows(built: Built, warehouse: Client) -> None:
    day = tricky.FIRST_DAY

    def snapshot() -> dict[str, list[str]]:
        return {
            table: sorted(repr(row) for row in rows(warehouse, f"SELECT * FROM {table} WHERE day = {{d:Date}}", d=day))
            for table in DAILY_TABLES
        }

    before = snapshot()
    assert all(before.values())
    built.dbt("run", "--select", "tag:daily", dbt_vars=day_vars(day, day + timedelta(days=1)))
    once = snapshot()
    built.dbt("run", "--select", "tag:daily", dbt_vars=day_vars(day, day + timedelta(days=1)))
    assert snapshot() == once == before


def test_a_late_event_for_yesterday_counts_after_the_next_run(built: Built, warehouse: Client) -> None:
    project_id = random.randrange(2 * 10**9, 3 * 10**9)
    yesterday = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time(12))
    insert_events(warehouse, [Event(project_id, "$pageview", "late-person", yesterday, {"$session_id": "s-late"})])
    activity = "SELECT day, events FROM person_daily_activity WHERE project_id = {p:UInt64}"
    assert rows(warehouse, activity, p=project_id) == []
    built.dbt("run", "--select", "tag:daily")  # a plain run, as the hourly schedule makes
    assert rows(warehouse, activity, p=project_id) == [(yesterday.date(), 1)]
    sessions = rows(warehouse, "SELECT session_key FROM sessions WHERE project_id = {p:UInt64}", p=project_id)
    assert sessions == [("s-late",)]


def test_the_tie_back_test_catches_a_rollup_that_drifted(built: Built, warehouse: Client) -> None:
    """A rollup that lost counts (its rows of the tricky project deleted) fails; rebuilt, it passes again."""
    where = {"p": built.tricky_project}
    warehouse.command(
        "ALTER TABLE events_hourly DELETE WHERE project_id = {p:UInt64} SETTINGS mutations_sync = 2", parameters=where
    )
    try:
        output = built.dbt("test", "--select", "events_hourly_matches_events", expect_code=1)
        assert "Failure in test events_hourly_matches_events" in output
    finally:
        rebuild_rollups(warehouse, built.tricky_project)
    built.dbt("test", "--select", "events_hourly_matches_events")


def test_docs_generate(built: Built) -> None:
    built.dbt("docs", "generate")
    catalog = json.loads((built.dbt.target_path / "catalog.json").read_text())
    assert not catalog.get("errors"), catalog["errors"]
    models = {node_id.rsplit(".", 1)[-1] for node_id in catalog["nodes"]}
    assert models >= {"stg_events", "events_hourly", "pageviews_daily", "sessions", "person_daily_activity"}
    assert models >= {"funnel_person_steps", "person_first_seen", "funnels"}
    sources = {source_id.rsplit(".", 1)[-1] for source_id in catalog["sources"]}
    assert sources == {"events", "person_distinct_ids", "person_properties", "person_links"}
