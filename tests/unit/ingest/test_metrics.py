"""Capture's metrics with several workers: the files of dead workers go, a running worker's stay."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.capture import metrics


def test_forget_dead_workers_keeps_the_running_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(finished.stdout)
    names = [f"counter_{dead}.db", f"histogram_{dead}.db", f"counter_{os.getpid()}.db", "counter_1.db", "notes.txt"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(metrics, "MULTIPROCESS_DIR", str(tmp_path))
    metrics.forget_dead_workers()
    kept = sorted(path.name for path in tmp_path.iterdir())
    assert kept == ["counter_1.db", f"counter_{os.getpid()}.db", "notes.txt"]


def test_one_process_serves_its_own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "MULTIPROCESS_DIR", None)
    metrics.EVENTS.labels("unit").inc(3)
    assert 'clickpath_capture_events_total{api="unit"} 3.0' in metrics.exposition().decode()
