"""Data lifecycle on the test stack: per-project retention (TTL) and erasing one person, via the CLI."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from tests.support.ingest import Pipeline, Project, consumed
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def send(pipeline: Pipeline, project: Project, events: list[dict[str, Any]]) -> None:
    """Through the capture API; returns once they are stored."""
    expected = len(pipeline.events(project.id, 0)) + len(events)
    body = orjson.dumps({"api_key": project.key, "batch": events})
    response = httpx.post(f"{pipeline.capture_url}/batch/", content=body, timeout=60)
    assert response.status_code == 200, response.text
    assert len(pipeline.events(project.id, expected)) == expected


def event(name: str, distinct_id: str, days_ago: float = 0, **properties: Any) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    return {"event": name, "distinct_id": distinct_id, "timestamp": at.isoformat(), "properties": properties}


def ages(pipeline: Pipeline, project: Project) -> list[tuple[str, int]]:
    """(event, retention_days) of each stored event, oldest first."""
    return [(row["event"], row["retention_days"]) for row in pipeline.events(project.id, 0)]


def test_retention_deletes_old_events_of_that_project_only(stack: Stack, pipeline: Pipeline) -> None:
    kept, other = pipeline.new_project(), pipeline.new_project()
    for project in (kept, other):
        send(pipeline, project, [event("old", "u", days_ago=40), event("recent", "u", days_ago=5)])

    assert "30 days" in stack.run("retention", "set", str(kept.id), "30", "--now").stdout
    assert ages(pipeline, kept) == [("recent", 30)]
    assert ages(pipeline, other) == [("old", 0), ("recent", 0)]
    assert f"project {kept.id}: 30 days" in stack.run("retention", "show").stdout

    send(pipeline, kept, [event("new", "u")])  # stamped at insert from the dictionary, reloaded by the CLI
    assert ages(pipeline, kept) == [("recent", 30), ("new", 30)]

    stack.run("retention", "set", str(kept.id), "0")
    assert ages(pipeline, kept) == [("recent", 0), ("new", 0)]


def test_erasing_a_person_removes_every_linked_id_and_nothing_else(stack: Stack, pipeline: Pipeline) -> None:
    project = pipeline.new_project()
    anon, user, bystander = (f"{name}-{uuid.uuid4().hex[:6]}" for name in ("anon", "user", "bystander"))
    send(
        pipeline,
        project,
        [
            event("$pageview", anon),
            event("$identify", user, **{"$anon_distinct_id": anon, "$set": {"email": "a@example.com"}}),
            event("purchase", user, amount=5),
            event("$pageview", bystander, **{"$set": {"plan": "free"}}),
        ],
    )
    consumed(pipeline.settings)  # persons are processed with the same flush
    client = pipeline.clickhouse()
    person_rows = "SELECT count() FROM {table} WHERE project_id = {p:UInt64} AND distinct_id IN {ids:Array(String)}"
    ids = {"p": project.id, "ids": [anon, user]}
    assert client.command(person_rows.replace("{table}", "person_distinct_ids"), parameters=ids) == 2

    output = stack.run("person", "delete", str(project.id), anon, "--yes").stdout
    assert anon in output and user in output and "events: 3 row(s) deleted" in output, output

    assert [row["distinct_id"] for row in pipeline.events(project.id, 0)] == [bystander]
    # the rollups (built by `up`) were rebuilt from the events that remain: they no longer count the erased ones
    hourly = "SELECT event, sum(events) FROM events_hourly WHERE project_id = {p:UInt64} GROUP BY event"
    assert client.query(hourly, parameters={"p": project.id}).result_rows == [("$pageview", 1)]
    for table in ("person_distinct_ids", "person_properties", "person_links"):
        assert client.command(person_rows.replace("{table}", table), parameters=ids) == 0, table
    assert client.command(person_rows.replace("{table}", "person_properties"), parameters={**ids, "ids": [bystander]})
