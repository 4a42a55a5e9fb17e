"""Every page of the Streamlit service the test session's stack runs, loaded in headless Chromium.

The service reads the API with the demo account of the stack's demo.json, as after `make up`. Each page
must finish its script with no exception, no error shown, no uncaught error in the browser, and no request
leaving this machine (Streamlit downloads nothing: no usage statistics, no icons from a CDN).

With CLICKPATH_SCREENSHOTS set to a folder (e.g. docs/screenshots), each page is saved there as
streamlit-<page>.png; the README's pictures come from `python -m tests.integration.streamlit.pages`
against `make up`'s stack instead (more demo data).
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.integration.streamlit.pages import PAGES, load, screenshot_name
from tests.support.browser import chromium
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def test_every_page_in_chromium(stack: Stack) -> None:
    base_url = f"http://127.0.0.1:{stack.settings.port('streamlit')}"
    assert httpx.get(f"{base_url}/_stcore/health", timeout=10).text == "ok"
    folder = os.environ.get("CLICKPATH_SCREENSHOTS")
    with chromium() as browser:
        for path, title in PAGES.items():
            shot = Path(folder) / screenshot_name(path) if folder else None
            loaded = load(browser, base_url, path, shot)
            assert loaded.heading == title, (path, loaded.heading)
            assert not loaded.exceptions, (path, loaded.exceptions)
            assert not loaded.errors_shown, (path, loaded.errors_shown)
            assert not loaded.seen.errors, (path, loaded.seen.errors)
            assert not loaded.seen.outside, (path, loaded.seen.outside)
