"""`down` leaves nothing running: not even a child that a program spawned and that ignores SIGTERM."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

from infra.stack import supervisor
from infra.stack.service import Program, Service
from infra.stack.supervisor import Supervisor

# a parent that spawns a child deaf to SIGTERM, as a slow-to-stop gRPC code server would be
STUBBORN_CHILD = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
PARENT = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {STUBBORN_CHILD!r}]); time.sleep(600)"


def test_stop_kills_what_a_program_spawned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "DESCENDANTS_GRACE_S", 1)
    program = Program(command=[sys.executable, "-c", PARENT], stop_wait_s=5)
    manager = Supervisor(tmp_path)
    manager.write_config([Service("parent", "-", lambda: "ok", program)])
    manager.start()
    child = _wait_for_child(manager)
    try:
        assert manager.stop() == ["parent"]
        assert _gone(child)
    finally:
        manager.stop()
        if not _gone(child):
            child.kill()  # the failed check must not leave it sleeping for ten minutes


def _gone(process: psutil.Process) -> bool:
    """Ended: a killed orphan may stay a zombie until whatever adopted it reaps it."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_for_child(manager: Supervisor) -> psutil.Process:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        info = manager.processes().get("parent", {})
        if info.get("statename") == "RUNNING":
            children = psutil.Process(info["pid"]).children()
            if children:
                return children[0]
        time.sleep(0.1)
    raise AssertionError(f"the program never started its child: {manager.processes()}")
