from __future__ import annotations

import pytest

from tests.support.stack import Stack
from tests.support.web import make


@pytest.fixture(scope="module")
def shop(stack: Stack) -> str:
    """The demo shop's origin, as the test stack serves it (the `example` service)."""
    make("example-site")  # the web SDK's bundle beside the pages (js/clickpath.iife.js)
    return f"http://127.0.0.1:{stack.settings.port('example')}"
