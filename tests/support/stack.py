"""A whole local stack for tests: its own home and its own ports, so it never touches `make up`'s."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from infra.settings import LOCAL_PORTS, Settings

UP_TIMEOUT_S = 600


def free_offset(start: int = 10000, step: int = 500) -> int:
    """A port offset at which every local port of the stack is free.

    Tried in random order, so test sessions started side by side rarely reach for the same ports.
    """
    offsets = list(range(start, 40000, step))
    random.shuffle(offsets)
    for offset in offsets:
        if all(_port_free(port + offset) for port in LOCAL_PORTS.values()):
            return offset
    raise RuntimeError("no free port range for a test stack")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def new_home(prefix: str = "clickpath-stack-") -> Path:
    """A home other users can traverse: PostgreSQL runs as `postgres` when the tests run as root."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o755)
    return home


@dataclass
class Stack:
    """Runs `clickpath up/down/status/migrate` exactly as a person would, with its own settings."""

    home: Path = field(default_factory=new_home)
    offset: int = field(default_factory=free_offset)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("CLICKPATH_")}
        return {
            **inherited,
            "CLICKPATH_HOME": str(self.home),
            "CLICKPATH_PORT_OFFSET": str(self.offset),
            "CLICKPATH_DEMO_EVENTS": "2000",  # the demo traffic path runs, small: tests bring their own data
            **self.extra_env,
        }

    @property
    def settings(self) -> Settings:
        env = {key.removeprefix("CLICKPATH_").lower(): value for key, value in self.extra_env.items()}
        return Settings(home=self.home, port_offset=self.offset, **env)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "infra", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=UP_TIMEOUT_S,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"clickpath {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def up(self) -> str:
        return self.run("up").stdout

    def down(self) -> str:
        return self.run("down").stdout

    def remove(self) -> None:
        """Stop whatever runs (even after a failed `up`) and delete the stack's home: nothing outlives it."""
        self.run("down", check=False)
        shutil.rmtree(self.home, ignore_errors=True)
