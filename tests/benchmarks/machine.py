"""What a benchmark records about where it ran: machine, load and the code measured."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BUSY_LOAD = 0.5  # 1-minute load average above which the machine is not idle before a run starts


def describe() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def code_version(*paths: str) -> str:
    """The commit the measured code comes from, and its uncommitted changes: the numbers belong to them."""
    try:
        commit = _git("rev-parse", "--short", "HEAD").strip()
        changed = _git("status", "--porcelain", "--", *paths).splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git work tree)"
    return commit if not changed else f"{commit} + uncommitted: {', '.join(line[3:] for line in changed if line)}"


def load() -> str:
    """The 1, 5 and 15-minute load averages: other work on the machine is the usual cause of noisy rounds."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def warn_if_busy(progress: Callable[[str], None]) -> str:
    """Say so when the machine is already busy; returns the load averages for the report."""
    before = load()
    if os.getloadavg()[0] > BUSY_LOAD:
        progress(f"warning: load average {before} before the run: other work will make the numbers noisy")
    return before


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")


def _git(*args: str) -> str:
    # not stripped: `git status --porcelain` lines start with a space when only the work tree changed
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def await_merges(client: Any, deadline: float, poll_s: float = 0.05) -> None:
    """Wait until ClickHouse runs no background merge, or until ``deadline`` (time.monotonic()): the parts a
    load leaves are merged for a while after it, taking a core from whatever is measured next."""
    while client.command("SELECT count() FROM system.merges") != 0 and time.monotonic() < deadline:
        time.sleep(poll_s)
