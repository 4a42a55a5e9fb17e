"""The demo project's events: about 30 days of shop traffic, sent through capture by the first `make up`."""

from __future__ import annotations

from typing import Any

from infra import clients
from infra.settings import Settings
from ingest.cli import default_host
from ingest.generate import Sender, run

DEMO_SEED = 20261127  # the same shop for everyone, dated up to the day it is loaded


def ensure(settings: Settings, demo: dict[str, Any], previous: dict[str, Any]) -> str:
    """Load the demo events once per demo project; a project that has events already is left alone."""
    if settings.demo_events == 0:
        return "demo events off (CLICKPATH_DEMO_EVENTS=0)"
    if previous.get("demo_events_loaded") and previous.get("project_id") == demo["project_id"]:
        return "demo events loaded before"
    client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    try:
        held = client.command(
            "SELECT count() FROM events WHERE project_id = {project:UInt64}", parameters={"project": demo["project_id"]}
        )
    finally:
        client.close()
    if held:
        return f"demo project holds {held:,} events already"
    stats = run(
        settings.demo_events, settings.demo_days, DEMO_SEED, Sender(default_host(settings), demo["project_api_key"])
    )
    return f"sent {stats.events:,} demo events over {settings.demo_days} days"
