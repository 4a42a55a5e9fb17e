"""`make stress-query` in a short form on the test stack: every kind of ask is made, none fails, and the
dashboard it made for the run is gone afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def test_a_short_query_stress_run_reports_every_ask_and_cleans_up(stack: Stack, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "tests.stress.run", "query", "--users", "4", "--rate", "8", "--seconds", "8"]
    result = subprocess.run(
        [*command, "--out", str(tmp_path)], env=stack.env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr

    results = json.loads((tmp_path / "results.json").read_text())
    routes = {route["name"] for route in results["routes"] if route["requests"] > 0}
    assert "dashboard load" in routes and "funnel (refresh)" in routes and "trends count (cached)" in routes, routes
    assert results["total"]["failures"] == 0
    assert (tmp_path / "chart.png").stat().st_size > 10_000

    demo = json.loads((stack.home / "demo.json").read_text())["demo"]
    headers = {"Authorization": f"Bearer {demo['personal_api_key']}"}
    api = f"http://127.0.0.1:{stack.settings.port('api')}/api/projects/{demo['project_id']}"
    dashboards = httpx.get(f"{api}/dashboards", headers=headers).json()["results"]
    assert not [board for board in dashboards if board["name"].startswith("stress:")]
