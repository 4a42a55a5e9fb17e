"""`make stress-capture` in a short form on the test stack: the runner works end to end, loses nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def test_a_short_capture_stress_run_reports_every_route_and_stores_every_accepted_event(
    stack: Stack, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "tests.stress.run", "capture", "--users", "4", "--rate", "20", "--seconds", "6"]
    result = subprocess.run(
        [*command, "--out", str(tmp_path)], env=stack.env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr

    results = json.loads((tmp_path / "results.json").read_text())
    routes = {route["name"]: route for route in results["routes"]}
    assert len(routes) == 6 and all(route["requests"] > 0 for route in routes.values()), routes
    assert results["total"]["failures"] == 0
    delivery = results["delivery"]
    # more may be stored: requests in flight when the run ends are answered but not counted by Locust
    assert delivery["accepted_events"] > 0 and delivery["stored_events"] >= delivery["accepted_events"]
    assert (tmp_path / "chart.png").stat().st_size > 10_000 and (tmp_path / "summary.md").read_text().count("|") > 40
