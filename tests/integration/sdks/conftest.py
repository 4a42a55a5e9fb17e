"""What the SDK tests need besides the stack: the web SDK built, a page server, a flaky proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sdks.proxy import FlakyProxy
from tests.support.ingest import Pipeline
from tests.support.web import ROOT, make, served


@pytest.fixture
def proxy(pipeline: Pipeline) -> Iterator[FlakyProxy]:
    flaky = FlakyProxy(pipeline.capture_url)
    flaky.start()
    try:
        yield flaky
    finally:
        flaky.stop()


@pytest.fixture(scope="session")
def web_sdk() -> Path:
    """sdks/web installed from its lockfile and built (`make web-sdk`)."""
    make("web-sdk")
    return ROOT / "sdks" / "web"


@pytest.fixture(scope="session")
def web_origin(web_sdk: Path) -> Iterator[str]:
    """sdks/web served on a free port: the test page loads dist/clickpath.iife.js as a site would."""
    with served(web_sdk) as origin:
        yield origin
