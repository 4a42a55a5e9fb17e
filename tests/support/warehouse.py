"""Run a real embedded ClickHouse server (``clickpath warehouse serve``) in a child process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class WarehouseProcess:
    """One server on a data directory; start, stop (SIGTERM) and kill (SIGKILL) it like an operator would."""

    data_dir: Path
    log_path: Path
    password: str = ""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WarehouseProcess:
        env = {**os.environ, "CLICKPATH_WAREHOUSE_PASSWORD": self.password}
        command = [sys.executable, "-m", "infra", "warehouse", "serve", "--data", str(self.data_dir)]
        command += ["--port", str(self.port), "--log-level", "info"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"warehouse exited with {self.process.returncode}: {self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).text == "Ok.\n":
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"warehouse did not answer /ping within {START_TIMEOUT_S}s")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout_s)
        self.process = None
        return code

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid
