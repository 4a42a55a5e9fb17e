"""Every page of the Streamlit app in headless Chromium, optionally saved as a screenshot.

Used by test_browser.py against the test session's stack, and by itself for the README's pictures of the
stack `make up` runs (its 100 000 demo events look better than the tests' 2 000):

    .venv/bin/python -m tests.integration.streamlit.pages [http://127.0.0.1:8501] [docs/screenshots]

which writes docs/screenshots/streamlit-<page>.png.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser

from tests.support.browser import Watched, chromium, watched

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# url path → the page's title (st.title); "" is the default page, Overview
PAGES = {
    "": "Overview",
    "trends": "Trends",
    "funnels": "Funnels",
    "retention": "Retention",
    "sql": "SQL explorer",
    "pipeline": "Pipeline health",
}
LOAD_TIMEOUT_MS = 90_000
SETTLE_MS = 1500  # charts draw after the script finished (Vega renders in the browser)


@dataclass
class Loaded:
    path: str
    title: str
    heading: str
    exceptions: list[str]
    errors_shown: list[str]
    seen: Watched


def load(browser: Browser, base_url: str, path: str, screenshot: Path | None = None) -> Loaded:
    """Open the page in a fresh tab, wait until its script has run, and read what it shows."""
    seen = watched(browser, 1400, 1700)
    page = seen.page
    page.goto(f"{base_url.rstrip('/')}/{path}")
    # stApp says whether the script runs; "notRunning" once it finished (a fragment may rerun it later)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=LOAD_TIMEOUT_MS)
    page.wait_for_timeout(SETTLE_MS)
    heading = page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text().strip()
    exceptions = page.locator('[data-testid="stException"]').all_inner_texts()
    errors_shown = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        bottom = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').getBoundingClientRect().bottom"
        )
        size = page.viewport_size or {"width": 1400, "height": 1700}
        height = min(size["height"], int(bottom) + 24)
        page.screenshot(path=str(screenshot), clip={"x": 0, "y": 0, "width": size["width"], "height": height})
    loaded = Loaded(path, PAGES[path], heading, exceptions, errors_shown, seen)
    page.close()
    return loaded


def screenshot_name(path: str) -> str:
    return f"streamlit-{path or 'overview'}.png"


def main() -> None:
    base_url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8501"
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else SCREENSHOTS
    with chromium() as browser:
        for path, title in PAGES.items():
            loaded = load(browser, base_url, path, folder / screenshot_name(path))
            problems = loaded.exceptions + loaded.errors_shown + loaded.seen.errors
            print(f"{title}: {folder / screenshot_name(path)}" + (f"  PROBLEMS: {problems}" if problems else ""))


if __name__ == "__main__":
    main()
