"""The example shop (examples/shop, served by the test session's stack as `make up` serves it) walked in headless
Chromium: pages viewed, buttons clicked, a sign-up and a purchase. Then exactly those events are found through
the query API's `sql` kind, with the purchase's amount and the person the sign-up identified.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from streamlit_app.client import QueryClient
from tests.integration.examples.shop_walk import AMOUNT, EXPECTED, WAIT_S, owner, walk
from tests.support.browser import chromium, watched
from tests.support.ingest import Pipeline
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def test_config_names_capture_and_the_demo_key(stack: Stack, pipeline: Pipeline, shop: str) -> None:
    config = httpx.get(f"{shop}/config.json", timeout=10).json()
    demo = json.loads((stack.home / "demo.json").read_text())["demo"]
    assert config["capture_url"] == pipeline.capture_url
    assert config["project_api_key"] == demo["project_api_key"]
    assert httpx.get(f"{shop}/js/clickpath.iife.js", timeout=10).status_code == 200


def rows(client: QueryClient, project_id: int, expected: int) -> list[dict[str, Any]]:
    """The project's events through the query API, once `expected` of them (not counting $pageleave) are there."""
    sql = "SELECT event, distinct_id, properties, timestamp FROM events ORDER BY timestamp, uuid"
    deadline = time.monotonic() + WAIT_S
    while True:
        result = client.query(project_id, {"kind": "sql", "sql": sql, "refresh": True})["results"]
        found = [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]
        if sum(r["event"] != "$pageleave" for r in found) >= expected or time.monotonic() > deadline:
            time.sleep(1)  # anything sent twice would show up by now
            result = client.query(project_id, {"kind": "sql", "sql": sql, "refresh": True})["results"]
            return [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]
        time.sleep(0.5)


def test_walk_the_shop(stack: Stack, pipeline: Pipeline, shop: str) -> None:
    me = owner(stack)
    project_id, key, personal_key = me.project_id, me.key, me.personal_key
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    with chromium() as browser:
        seen = watched(browser, 1200, 900)
        anonymous = walk(seen.page, shop, key, email)
        assert not seen.errors and not seen.console_errors, (seen.errors, seen.console_errors)
        assert not seen.outside, seen.outside
        calls = seen.page.evaluate("window.shop.log")
        seen.page.close()
    assert calls[0] == {"call": "init", "host": pipeline.capture_url, "key": key}

    api_url = f"http://127.0.0.1:{stack.settings.port('api')}"
    with QueryClient(api_url, personal_key) as client:
        events = rows(client, project_id, sum(EXPECTED.values()))
        got = Counter(r["event"] for r in events if r["event"] != "$pageleave")
        assert got == EXPECTED, got
        # one $pageleave per page left by navigation (5), as the SDK sends them on pagehide
        assert Counter(r["event"] for r in events)["$pageleave"] == 5

        props = [json.loads(r["properties"]) for r in events]
        named = list(zip(events, props, strict=True))
        pages = [p["$pathname"] for r, p in zip(events, props, strict=True) if r["event"] == "$pageview"]
        assert pages == ["/index.html", "/products.html", "/product.html", "/checkout.html", "/signup.html",
                         "/checkout.html"]  # fmt: skip
        clicks = [
            (p["button"], p.get("product_id")) for r, p in zip(events, props, strict=True) if r["event"] == "clicked"
        ]
        assert clicks == [
            ("shop_now", None),
            ("add_to_cart", "trail-runner"),
            ("add_to_cart", "rain-shell"),
            ("go_to_checkout", "rain-shell"),
            ("sign_up", None),
            ("pay", None),
        ]

        # before the sign-up the visitor is anonymous, from it on the e-mail they signed up with (the click on
        # "Sign up" is captured just before identify, in the same millisecond as often as not)
        signup = next(i for i, r in enumerate(events) if r["event"] == "$identify")
        identified_at = events[signup]["timestamp"]
        for row, properties in named:
            before = row["timestamp"] < identified_at or properties.get("button") == "sign_up"
            after = row["timestamp"] > identified_at or row["event"] in ("$identify", "signed_up")
            assert before != after, row
            assert row["distinct_id"] == (anonymous if before else email), row
        assert props[signup]["$anon_distinct_id"] == anonymous
        assert props[signup]["$set"] == {"email": email, "name": "Ada Lovelace", "plan": "member"}
        [signed_up] = [p for r, p in zip(events, props, strict=True) if r["event"] == "signed_up"]
        assert signed_up["plan"] == "member" and signed_up["method"] == "email"

        [purchase] = [(r, p) for r, p in zip(events, props, strict=True) if r["event"] == "purchase"]
        assert purchase[0]["distinct_id"] == email
        assert purchase[1]["amount"] == AMOUNT and purchase[1]["currency"] == "USD"
        assert purchase[1]["items"] == 2 and purchase[1]["product_ids"] == ["trail-runner", "rain-shell"]

        # the query API sees one person behind both ids, with what the sign-up set, and the revenue
        everyone = {"event": None, "math": "unique_persons"}
        [persons] = client.query(project_id, {"kind": "trends", "series": [everyone], "date_from": "-1d"})["results"]
        assert persons["count"] == 1
        people = client.query(project_id, {"kind": "sql", "sql": "SELECT properties FROM persons"})["results"]
        assert [json.loads(row[0]) for row in people["rows"]] == [
            {"email": email, "name": "Ada Lovelace", "plan": "member"}
        ]
        revenue = {"event": "purchase", "math": "sum", "math_property": "amount"}
        [total] = client.query(project_id, {"kind": "trends", "series": [revenue], "date_from": "-1d"})["results"]
        assert total["count"] == AMOUNT


def test_run_all_script_is_executable() -> None:
    script = Path(__file__).resolve().parents[3] / "examples" / "run-all.sh"
    assert script.stat().st_mode & 0o111, "examples/run-all.sh is not executable"
