"""The React dashboard, built and served by the test stack (port 3000 + offset), walked in headless Chromium.

dashboard/test/browser/walk.mjs drives Debian's chromium with playwright-core as a person would: connect with
e-mail and password, see the trend of $pageview, build a funnel and save it, open retention, create a
dashboard, add the funnel to it, reload and find it there. It reports what the page showed; these tests check
that against the API's own answers for the same queries.

With CLICKPATH_SCREENSHOTS=1 the walk also writes docs/screenshots/dashboard-{login,trends,funnel,retention,
dashboard}.png (the pictures in the README and docs/DASHBOARD.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api import accounts, db
from ingest.generate import Sender, generate_events
from tests.support.ingest import Pipeline, consumed
from tests.support.web import ROOT, make

pytestmark = pytest.mark.integration

WALK_TIMEOUT_S = 300
EVENTS = 3000
DAYS = 7
PASSWORD = "password-123"
TRENDS = {"kind": "trends", "interval": "day", "series": [{"event": "$pageview", "math": "total"}], "date_from": "-7d"}
FUNNEL = {
    "kind": "funnel",
    "steps": [{"event": "$pageview"}, {"event": "product_viewed"}, {"event": "purchase"}],
    "window_seconds": 14 * 86400,
    "date_from": "-30d",
}


@pytest.fixture(scope="module")
def account(pipeline: Pipeline) -> dict[str, Any]:
    """A user of their own project, with a week of generated shop traffic in it."""
    name = uuid.uuid4().hex[:10]
    email = f"dashboard-{name}@example.com"
    with db.sessions(pipeline.settings)() as session:
        created = accounts.create_account(session, email, PASSWORD, name, name, f"Shop {name}")
        credentials = accounts.owner_credentials(session, created.user, created.project, "tests")
        session.commit()
    events = generate_events(EVENTS, DAYS, seed=9, now=datetime.now(UTC))
    Sender(pipeline.capture_url, str(credentials["project_api_key"])).send(events)
    consumed(pipeline.settings)
    return {"email": email, "project_id": int(credentials["project_id"]), "name": name}


@pytest.fixture(scope="module")
def api_url(pipeline: Pipeline) -> str:
    return f"http://127.0.0.1:{pipeline.settings.port('api')}"


@pytest.fixture(scope="module")
def token(api_url: str, account: dict[str, Any]) -> str:
    response = httpx.post(f"{api_url}/api/auth/login", json={"email": account["email"], "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


def ask(api_url: str, token: str, project_id: int, query: dict[str, Any]) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{api_url}/api/projects/{project_id}/query",
        json=query,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    response.raise_for_status()
    return list(response.json()["results"])


@pytest.fixture(scope="module")
def walk(pipeline: Pipeline, account: dict[str, Any]) -> dict[str, Any]:
    """The browser's walk through the app, once for this module's tests."""
    make("dashboard")  # the stack serves dashboard/dist from disk: what this builds is what the browser gets
    screenshots = ROOT / "docs" / "screenshots" if os.environ.get("CLICKPATH_SCREENSHOTS") else None
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    plan = {
        "url": f"http://127.0.0.1:{pipeline.settings.port('dashboard')}/",
        "email": account["email"],
        "password": PASSWORD,
        "project_id": account["project_id"],
        "funnel_name": f"Shop funnel {account['name']}",
        "dashboard_name": f"Shop overview {account['name']}",
        "screenshots": str(screenshots) if screenshots else None,
    }
    result = subprocess.run(
        ["node", "test/browser/walk.mjs", json.dumps(plan)],
        cwd=ROOT / "dashboard",
        capture_output=True,
        text=True,
        timeout=WALK_TIMEOUT_S,
    )
    assert result.returncode == 0, f"walk.mjs exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report | {"plan": plan}


def passed(walk: dict[str, Any], step: str) -> dict[str, Any]:
    outcome: dict[str, Any] = walk["steps"][step]
    assert outcome["ok"], f"{step}: {outcome}"
    return outcome


def test_connect_offers_the_stacks_api(walk: dict[str, Any], api_url: str) -> None:
    """The Connect screen comes prefilled with the API of the same stack (the static server's /config.json)."""
    connect = passed(walk, "connect")
    assert connect["prefilled_api_url"] == api_url
    assert not walk["page_errors"], walk["page_errors"]


def test_trend_shown_is_the_apis_answer(walk: dict[str, Any], api_url: str, token: str, account: dict) -> None:
    trends = passed(walk, "trends")
    [answer] = ask(api_url, token, account["project_id"], TRENDS)
    assert answer["count"] > 0, "the generated week of traffic has pageviews"
    assert float(trends["shown_total"].replace(",", "")) == answer["count"]


def test_funnel_built_and_saved(walk: dict[str, Any], api_url: str, token: str, account: dict) -> None:
    funnel = passed(walk, "funnel")
    answer = ask(api_url, token, account["project_id"], FUNNEL)
    assert [step["count"] for step in funnel["steps"]] == [step["count"] for step in answer]
    assert answer[0]["count"] > 0
    insight_id = funnel["insight_id"]
    saved = httpx.get(
        f"{api_url}/api/projects/{account['project_id']}/insights/{insight_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    saved.raise_for_status()
    assert saved.json()["name"] == walk["plan"]["funnel_name"]
    assert [step["event"] for step in saved.json()["query"]["steps"]] == ["$pageview", "product_viewed", "purchase"]


def test_retention_grid_shown(walk: dict[str, Any]) -> None:
    retention = passed(walk, "retention")
    assert retention["rows"] > 0


def test_funnel_on_a_dashboard_after_reload(walk: dict[str, Any], api_url: str, token: str, account: dict) -> None:
    dashboard = passed(walk, "dashboard")
    assert dashboard["title"].startswith(walk["plan"]["dashboard_name"])
    assert dashboard["tiles"] == 1
    funnel = passed(walk, "funnel")
    assert dashboard["funnel_counts_after_reload"] == [step["count"] for step in funnel["steps"]]
    dashboard_id = int(dashboard["hash"].rsplit("/", 1)[1])
    stored = httpx.get(
        f"{api_url}/api/projects/{account['project_id']}/dashboards/{dashboard_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    stored.raise_for_status()
    assert len(stored.json()["tiles"]) == 1
