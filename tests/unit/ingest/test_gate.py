"""Project keys at capture when Redis and PostgreSQL cannot be reached: 503 for a new key, memory for a known one."""

from __future__ import annotations

import asyncio
import time

import pytest

from infra.settings import Settings
from ingest.capture.gate import Gate
from ingest.errors import CaptureError

UNREACHABLE = Settings(redis_url="redis://127.0.0.1:1/0", database_url="postgresql+psycopg://x@127.0.0.1:1/x")


def test_a_new_key_is_503_when_nothing_can_check_it() -> None:
    with pytest.raises(CaptureError) as refused:
        asyncio.run(Gate(UNREACHABLE).project("phc_never_seen"))
    assert refused.value.status == 503


def test_a_known_key_keeps_working_while_its_refresh_fails() -> None:
    gate = Gate(UNREACHABLE)
    gate._known["phc_known"] = (42, time.monotonic() - 60)  # resolved a minute ago, before the outage

    async def twice() -> list[int]:
        first = await gate.project("phc_known")  # stale: served, and a refresh starts (and fails)
        await asyncio.sleep(0.5)
        return [first, await gate.project("phc_known")]

    assert asyncio.run(twice()) == [42, 42]
