"""AsyncClient: queued from the loop, sent by a task on it, with the same retries."""

from __future__ import annotations

import asyncio

import httpx
from clickpath import AsyncClient
from sdk_fake import FAST, FakeCapture


def test_async_client_batches_and_flushes(fake: FakeCapture) -> None:
    async def main() -> None:
        async with AsyncClient(
            "phc_test", "http://capture.test", flush_at=10, http_client=fake.async_client()
        ) as client:
            for i in range(25):
                client.capture("e", "u", {"i": i})
            assert await client.flush(timeout=5)
            assert [len(b["batch"]) for b in fake.bodies()] == [10, 10, 5]

    asyncio.run(main())


def test_async_client_retries_with_same_uuid(fake: FakeCapture) -> None:
    fake.answers = [503, httpx.ConnectError("down")]

    async def main() -> str | None:
        client = AsyncClient("k", "http://capture.test", backoff=FAST, http_client=fake.async_client())
        sent = client.identify("user-1", {"plan": "pro"})
        await client.shutdown()
        return sent

    sent = asyncio.run(main())
    assert len(fake.requests) == 3
    assert {b["batch"][0]["uuid"] for b in fake.bodies()} == {sent}


def test_async_client_full_queue_drops(fake: FakeCapture) -> None:
    async def main() -> int:
        client = AsyncClient("k", "http://capture.test", max_queue_size=5, http_client=fake.async_client())
        for _ in range(20):  # no await in between: the sender task cannot run yet
            client.capture("e", "u")
        await client.shutdown()
        return client.dropped

    assert asyncio.run(main()) == 15
    assert len(fake.events()) == 5
