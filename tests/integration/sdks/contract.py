"""The SDK contract (sdks/contract) checked on rows read back from ClickHouse."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.support.ingest import Pipeline, Project

ROOT = Path(__file__).resolve().parents[3]
CONTRACT = ROOT / "sdks" / "contract"
CALLS: list[dict[str, Any]] = json.loads((CONTRACT / "calls.json").read_text())
LATE_DUPLICATE_WAIT_S = 2.0


def python_calls() -> ModuleType:
    """The Python SDK's own mapping of the contract's calls (its unit tests use the same file)."""
    path = ROOT / "sdks" / "python" / "tests" / "contract_calls.py"
    spec = importlib.util.spec_from_file_location("clickpath_contract_calls", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def problems(expect: dict[str, Any], row: dict[str, Any]) -> list[str]:
    """How a stored row differs from the contract's expectation (empty: it matches)."""
    found: list[str] = []
    properties = json.loads(row["properties"])
    if (row["event"], row["distinct_id"]) != (expect["event"], expect["distinct_id"]):
        found.append(f"{row['event']} {row['distinct_id']}: expected {expect['event']} {expect['distinct_id']}")
    for key, value in expect["properties"].items():
        if properties.get(key) != value:
            found.append(f"{expect['event']}: properties.{key} = {properties.get(key)!r}, expected {value!r}")
    found += [f"{expect['event']}: no {key}" for key in expect.get("present", []) if key not in properties]
    found += [f"{expect['event']}: {key} present" for key in expect.get("absent", []) if key in properties]
    return found


def rows_once(pipeline: Pipeline, project: Project, uuids: list[str], timeout_s: float = 30) -> dict[str, Any]:
    """The project's rows by uuid, once every uuid is stored, asserting each is stored exactly once.

    Waits a little more after they all arrived, so a late duplicate (a retry stored twice) is seen too.
    """
    rows = pipeline.events(project.id, len(uuids), timeout_s=timeout_s)
    time.sleep(LATE_DUPLICATE_WAIT_S)
    rows = pipeline.events(project.id, len(uuids) + 1, timeout_s=0)
    stored = [str(row["uuid"]) for row in rows]
    duplicates = sorted({u for u in stored if stored.count(u) > 1})
    missing = sorted(set(uuids) - set(stored))
    assert not duplicates and not missing and len(stored) == len(uuids), (
        f"{len(stored)} rows for {len(uuids)} events; duplicates {duplicates[:5]}, missing {missing[:5]}"
    )
    return {str(row["uuid"]): row for row in rows}
