"""Clickpath's dbt project (models/) run through the plain dbt CLI in a child process, as a person runs it.

From the project directory with no connection flags, so the profile in models/profiles.yml reads the
CLICKPATH_ variables exactly as `cd models && dbt build` does. Only target/ and logs/ go elsewhere, so that
tests never touch a developer's models/target.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2] / "models"
DBT = Path(sys.executable).parent / "dbt"
DBT_TIMEOUT_S = 900


def day_vars(from_date: date, to_date: date) -> dict[str, str]:
    """The vars that make the daily models rebuild exactly the days [from_date, to_date)."""
    return {"from_date": from_date.isoformat(), "to_date": to_date.isoformat()}


@dataclass
class Dbt:
    env: dict[str, str]
    """The child's whole environment: CLICKPATH_ variables name the warehouse (Stack.env has them)."""
    work_dir: Path
    """Where target/ and logs/ go."""
    project_dir: Path = PROJECT_DIR
    """The dbt project, run from its own directory (its profiles.yml is found there)."""

    @property
    def target_path(self) -> Path:
        return self.work_dir / "target"

    def __call__(self, *args: str, dbt_vars: dict[str, Any] | None = None, expect_code: int = 0) -> str:
        """Run `dbt <args>`; its output, after checking the exit code (0: success, 1: a model or test failed)."""
        command = [str(DBT), *args, "--target-path", str(self.target_path), "--log-path", str(self.work_dir / "logs")]
        if dbt_vars:
            command += ["--vars", json.dumps(dbt_vars)]
        result = subprocess.run(
            command, cwd=self.project_dir, env=self.env, capture_output=True, text=True, timeout=DBT_TIMEOUT_S
        )
        output = result.stdout + result.stderr
        assert result.returncode == expect_code, f"dbt {' '.join(args)} exited with {result.returncode}:\n{output}"
        return output

    def compiled_code(self) -> dict[str, str]:
        """Each model's SQL as the last invocation compiled it, by model name."""
        results = json.loads((self.target_path / "run_results.json").read_text())["results"]
        return {r["unique_id"].rsplit(".", 1)[-1]: r["compiled_code"] for r in results}

    def results(self) -> dict[str, str]:
        """Each node's status in the last invocation (run_results.json), by unique_id."""
        results = json.loads((self.target_path / "run_results.json").read_text())["results"]
        return {result["unique_id"]: result["status"] for result in results}
