"""The web SDK's script-tag bundle in headless Chromium against the test stack, read back from ClickHouse.

sdks/web/test/browser/page.html makes the calls (capture, register, identify, alias, a single-page-app
navigation); sdks/web/test/browser/run.mjs drives Debian's chromium with playwright-core and reports every
request the page made. The page talks to capture through the test's proxy, which records what each request
carried (Playwright cannot see a Blob body). Then: with the proxy answering 500, the page is reloaded before
anything got through, and everything still arrives, once.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.integration.sdks.contract import rows_once
from tests.integration.sdks.proxy import FlakyProxy
from tests.support.ingest import Pipeline, Project

pytestmark = pytest.mark.integration

NODE_TIMEOUT_S = 120


def browse(web_sdk: Path, web_origin: str, host: str, key: str, run: str, reload_after: int = 0) -> dict[str, Any]:
    page = f"{web_origin}/test/browser/page.html?{urlencode({'host': host, 'key': key, 'run': run})}"
    args = ["node", "test/browser/run.mjs", page] + ([str(reload_after)] if reload_after else [])
    result = subprocess.run(args, cwd=web_sdk, capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
    assert result.returncode == 0, f"run.mjs exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def on_wire(proxy: FlakyProxy) -> dict[str, str]:
    """uuid → event name of everything the page sent, whatever the answer."""
    return dict(event for seen in proxy.seen for event in seen.events)


def test_browser_calls_stored(
    pipeline: Pipeline, project: Project, run: str, web_sdk: Path, web_origin: str, proxy: FlakyProxy
) -> None:
    report = browse(web_sdk, web_origin, proxy.url, project.key, run)

    captures = report["requests"]
    assert captures and all(r["path"] == "/capture" and r["status"] == 200 for r in captures), captures
    assert all(r["type"] == "fetch" and r["contentType"] == "text/plain" for r in captures), captures
    assert all(seen.gzip for seen in proxy.seen), proxy.seen  # CompressionStream: Chromium has it
    sent = on_wire(proxy)
    assert sorted(sent.values()) == sorted(
        ["$pageview", "$pageview", "web order", "web order", "$identify", "$create_alias"]
    )
    rows = rows_once(pipeline, project, list(sent))

    uuids, anonymous, user = report["report"]["uuids"], report["report"]["anonymous"], f"user-{run}"
    props = {name: json.loads(rows[uuid]["properties"]) for name, uuid in uuids.items()}
    assert rows[uuids["order"]]["distinct_id"] == anonymous
    assert props["order"]["plan"] == "pro" and props["order"]["amount"] == 42 and "tier" not in props["order"]
    assert props["super"]["tier"] == "gold" and props["super"]["plan"] == "team"
    assert rows[uuids["identify"]]["distinct_id"] == user
    assert props["identify"]["$anon_distinct_id"] == anonymous
    assert props["identify"]["$set"] == {"email": f"{run}@example.com"}
    assert props["identify"]["$set_once"]["first_run"] == run
    assert (rows[uuids["alias"]]["distinct_id"], props["alias"]["alias"]) == (user, f"alias-{run}")
    for row in rows.values():
        properties = json.loads(row["properties"])
        assert properties["$lib"] == "clickpath-web" and properties["$session_id"], properties
        assert "Chrome" in properties.get("$browser", ""), properties  # HeadlessChrome: from the User-Agent, by capture
    pageviews = sorted(json.loads(r["properties"])["$current_url"] for r in rows.values() if r["event"] == "$pageview")
    assert pageviews[1] == pageviews[0] + "#pricing"


def test_browser_outage_and_reload_exactly_once(
    pipeline: Pipeline, project: Project, run: str, web_sdk: Path, web_origin: str, proxy: FlakyProxy
) -> None:
    """capture answers 500 until the page was reloaded: the events wait in localStorage and arrive once."""
    proxy.mode, proxy.heal_after = "500", 3
    report = browse(web_sdk, web_origin, proxy.url, project.key, run, reload_after=2)

    statuses = [r["status"] for r in report["requests"]]
    assert statuses.count(500) >= 2 and statuses[-1] == 200, statuses
    sent = on_wire(proxy)
    # first load: $pageview, 4 calls, the SPA $pageview, $pageleave at the reload; second load: $pageview
    assert sorted(sent.values()) == sorted(
        ["$pageview"] * 3 + ["web order", "web order", "$identify", "$create_alias", "$pageleave"]
    ), sent
    rows_once(pipeline, project, list(sent))
