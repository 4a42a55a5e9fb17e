"""What the SDK tests need besides the stack: the JavaScript SDKs installed, and a web server for the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.web import ROOT, make, served


@pytest.fixture(scope="session")
def compat_deps() -> Path:
    """tests/compat/node_modules as its lockfile says."""
    make("compat-deps")
    return ROOT / "tests" / "compat"


@pytest.fixture(scope="session")
def page_origin(compat_deps: Path) -> Iterator[str]:
    """tests/compat served, so the page loads posthog-js from node_modules like a site would."""
    with served(compat_deps) as origin:
        yield origin
