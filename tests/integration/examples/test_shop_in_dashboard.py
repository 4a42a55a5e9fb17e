"""The demo shop walked in headless Chromium (tests/integration/examples/shop_walk.py), then, in the same browser,
those events found in the React dashboard: its owner logs in and builds a trend of `$pageview` and `purchase`, and
the totals the page shows are the walk's (6 pageviews, 1 purchase of $208.50).
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from playwright.sync_api import expect

from tests.integration.examples.shop_walk import AMOUNT, EXPECTED, PASSWORD, WAIT_S, owner, walk
from tests.support.browser import chromium, watched
from tests.support.ingest import Pipeline, consumed
from tests.support.stack import Stack
from tests.support.web import make

pytestmark = pytest.mark.integration


def test_walked_events_in_the_dashboard(stack: Stack, pipeline: Pipeline, shop: str) -> None:
    make("dashboard")  # the stack serves dashboard/dist from disk: what this builds is what the browser gets
    me = owner(stack)
    with chromium() as browser:
        seen = watched(browser)
        page = seen.page
        page.set_default_timeout(WAIT_S * 1000)
        walk(page, shop, me.key, f"ada-{uuid.uuid4().hex[:8]}@example.com")

        # capture acknowledged every event (walk waits for that): once the consumer settled, all are in ClickHouse
        consumed(pipeline.settings, WAIT_S)
        stored = pipeline.events(me.project_id, sum(EXPECTED.values()))
        assert Counter(row["event"] for row in stored if row["event"] != "$pageleave") == EXPECTED

        page.goto(f"http://127.0.0.1:{stack.settings.port('dashboard')}/")
        expect(page.get_by_label("API URL")).not_to_have_value("")  # prefilled from /config.json
        page.get_by_label("E-mail", exact=True).fill(me.email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Connect", exact=True).click()
        picker = page.get_by_role("form", name="Pick a project")
        picker.get_by_role("combobox").select_option(str(me.project_id))
        picker.get_by_role("button", name="Open project").click()

        # a new trends insight (the first page after connecting): $pageview, purchase and the purchases' amount
        expect(page.get_by_role("tab", name="Trends")).to_have_attribute("aria-selected", "true")
        page.get_by_label("Event of series 1").fill("$pageview")
        page.get_by_role("button", name="+ Add series").click()
        page.get_by_label("Event of series 2").fill("purchase")
        page.get_by_role("button", name="+ Add series").click()
        page.get_by_label("Event of series 3").fill("purchase")
        page.get_by_label("Math of series 3").select_option("sum")
        page.get_by_label("Property of series 3").fill("amount")
        page.get_by_label("From", exact=True).fill("-1d")  # yesterday and today: the walk, even past midnight

        result = page.get_by_role("region", name="Result")
        expect(result.get_by_test_id("trend-total")).to_have_count(3, timeout=WAIT_S * 1000)
        expect(result).to_have_attribute("aria-busy", "false", timeout=WAIT_S * 1000)
        expect(result.get_by_test_id("trends-chart").locator("canvas")).to_be_visible()
        shown = result.locator("table.totals tbody tr").evaluate_all(
            "rows => rows.map((row) => [...row.cells].map((cell) => cell.innerText.trim()))"
        )
        assert not seen.errors and not seen.console_errors, (seen.errors, seen.console_errors)
        assert not seen.outside, seen.outside

    assert shown == [
        ["$pageview", str(EXPECTED["$pageview"])],  # 6
        ["purchase", str(EXPECTED["purchase"])],  # 1
        ["purchase (sum)", f"{AMOUNT:g}"],  # the sum of their amounts, 208.5
    ]
