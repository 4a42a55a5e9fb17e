"""Running set-up commands (mvn, initdb, Kafka's storage tool) so that a failure says why."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

TAIL_LINES = 15


def run(command: Sequence[str], timeout_s: float, user: str | None = None) -> None:
    """Run a command quietly; on failure raise with the end of what it printed."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, user=user)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-TAIL_LINES:])
        raise RuntimeError(f"{command[0]} exited {result.returncode}:\n{tail}")
