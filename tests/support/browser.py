"""Debian's chromium, headless, driven from Python by Playwright (pinned in pyproject's dev extras).

Playwright's own browser builds are never downloaded: ``executable_path`` points at the system's chromium
(``CHROMIUM`` overrides it), as tests/integration/sdks does with playwright-core from Node.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import Browser, Page, Request, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "ws://localhost", "data:", "blob:", "about:")


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium refuses to sandbox as root, which CI is
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A page with what went wrong on it: uncaught errors, console errors, and requests off this machine."""

    page: Page
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def watched(browser: Browser, width: int = 1400, height: int = 1000) -> Watched:
    page = browser.new_page(viewport={"width": width, "height": height})
    seen = Watched(page)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("console", lambda message: seen.console_errors.append(message.text) if message.type == "error" else None)

    def request(request: Request) -> None:
        if not request.url.startswith(LOCAL):
            seen.outside.append(request.url)

    page.on("request", request)
    return seen
