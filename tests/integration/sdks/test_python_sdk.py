"""The Python SDK against the test stack's capture API, read back from ClickHouse (issue 8).

The contract's calls arrive as the contract says; the asyncio client delivers too; and when capture is down,
slow, or answers 500 or 429, capture() still returns at once and, once capture is back, every event arrives
exactly once.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from clickpath import AsyncClient, Backoff, Client

from tests.integration.sdks.contract import problems, python_calls, rows_once
from tests.integration.sdks.proxy import FlakyProxy
from tests.support.ingest import Pipeline, Project

pytestmark = pytest.mark.integration

FAILING_S = 3.0  # how long the proxy fails before it lets requests through again
EVENTS = 200
# Retries every 0.1–0.8 s while capture fails: the test waits seconds, not the default minutes.
QUICK = Backoff(max_retries=40, base_s=0.1, cap_s=0.8)
HOST_CALL_BUDGET_S = 0.5  # EVENTS captures from the host thread, whatever capture's state


def test_contract_calls_stored(pipeline: Pipeline, project: Project) -> None:
    calls = python_calls()
    client = Client(project.key, pipeline.capture_url)
    expected = {}
    for case in calls.CASES:
        for call in case["calls"]:
            sent = calls.run_call(client, case["state"], call)
        assert sent, case["name"]
        expected[sent] = case
    client.shutdown()
    assert client.failed == client.dropped == 0

    rows = rows_once(pipeline, project, list(expected))
    found = [f"{case['name']}: {p}" for uuid, case in expected.items() for p in problems(case["expect"], rows[uuid])]
    assert not found, "\n".join(found)


def test_async_client_stored(pipeline: Pipeline, project: Project, run: str) -> None:
    async def main() -> list[str | None]:
        async with AsyncClient(project.key, pipeline.capture_url, flush_at=20) as client:
            return [client.capture("async order", f"user-{run}", {"i": i}) for i in range(50)]

    sent = asyncio.run(main())
    assert all(sent)
    rows = rows_once(pipeline, project, [uuid for uuid in sent if uuid])
    assert {row["event"] for row in rows.values()} == {"async order"}


@pytest.mark.parametrize("mode", ["down", "slow", "500", "429"])
def test_outage_then_exactly_once(pipeline: Pipeline, project: Project, proxy: FlakyProxy, mode: str) -> None:
    """capture unreachable or failing for a while: the host never waits, nothing is lost or doubled."""
    if mode == "down":
        proxy.stop()  # the port closes: connections are refused
    proxy.mode = mode
    client = Client(project.key, proxy.url, flush_at=50, flush_interval=0.2, backoff=QUICK)

    started = time.monotonic()
    sent = [client.capture("outage order", "user-1", {"i": i, "mode": mode}) for i in range(EVENTS)]
    assert time.monotonic() - started < HOST_CALL_BUDGET_S
    assert all(sent)

    time.sleep(FAILING_S)
    if mode == "down":
        proxy.start()  # same port again
    else:
        assert proxy.failures() > 0, proxy.seen
    proxy.mode = "ok"
    assert client.flush(timeout=30)
    client.shutdown()
    assert client.failed == client.dropped == 0
    rows_once(pipeline, project, [uuid for uuid in sent if uuid])
