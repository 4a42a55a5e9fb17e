"""What the SDK tests need besides the stack: the JavaScript SDKs installed, and a web server for the page."""

from __future__ import annotations

import functools
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[4]
COMPAT = ROOT / "tests" / "compat"


@pytest.fixture(scope="session")
def compat_deps() -> Path:
    """tests/compat/node_modules as its lockfile says: `make compat-deps` is a no-op when it already is."""
    result = subprocess.run(["make", "-s", "compat-deps"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"make compat-deps failed:\n{result.stdout}\n{result.stderr}"
    return COMPAT


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the test reads the browser's side instead
        pass


@pytest.fixture(scope="session")
def page_origin(compat_deps: Path) -> Iterator[str]:
    """tests/compat served on a free port, so the page loads posthog-js from node_modules like a site would."""
    handler = functools.partial(_QuietHandler, directory=str(compat_deps))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def run() -> str:
    """A run id in every id and property the SDKs send, so a row is traced to the test that sent it."""
    return uuid.uuid4().hex[:12]
