"""What browser and JavaScript tests share: a make target run once, and a folder served over HTTP."""

from __future__ import annotations

import functools
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def make(target: str) -> None:
    """`make -s <target>`: installs or builds from lockfiles, a no-op when already up to date."""
    result = subprocess.run(["make", "-s", target], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the tests read the browser's side instead
        pass


@contextmanager
def served(directory: Path) -> Iterator[str]:
    """The folder served on a free loopback port, as a site would serve it; yields its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
