"""AsyncClient: the same calls for asyncio apps, sent by a task on the app's own event loop.

capture() stays a plain (non-async) method that only queues, so it can be called from anywhere in the
loop's thread; `await flush()` and `await shutdown()` (or `async with`) deliver what is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

import httpx

from clickpath.calls import Calls
from clickpath.client import DEFAULT_HOST
from clickpath.consumer import chunks
from clickpath.events import Event
from clickpath.sender import AsyncSender
from clickpath.transport import Backoff, DeliveryError, Endpoint, OnError, log


class AsyncClient(Calls):
    def __init__(
        self,
        api_key: str,
        host: str = DEFAULT_HOST,
        *,
        flush_at: int = 100,
        flush_interval: float = 0.5,
        max_queue_size: int = 10_000,
        gzip: bool = True,
        timeout: float = 10.0,
        max_retries: int = 8,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__()
        self.flush_at, self.flush_interval_s, self.on_error = flush_at, flush_interval, on_error
        self._sender = AsyncSender(Endpoint(api_key, host, gzip), backoff or Backoff(max_retries), timeout, http_client)
        self._queue: asyncio.Queue[Event] = asyncio.Queue(max_queue_size)
        self._flush_now = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._closed = False
        self.dropped = 0  # queue full or client shut down
        self.failed = 0  # refused or given up on

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.shutdown()

    def _enqueue(self, event: Event) -> bool:
        if self._closed:
            self.dropped += 1
            return False
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            return False
        if self._worker is None:  # started on first use: the loop must be running by then
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="clickpath-consumer")
        return True

    async def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now; True once handled, False if `timeout` s passed first."""
        self._flush_now.set()
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._flush_now.clear()

    async def shutdown(self, timeout: float | None = 10.0) -> None:
        if self._closed:
            return
        self._closed = True
        if not await self.flush(timeout):
            log.warning("clickpath: %d events still queued at shutdown", self._queue.qsize())
        if self._worker:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await self._sender.close()

    async def _run(self) -> None:
        while True:
            batch = await self._next_batch()
            try:
                await self._upload(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _next_batch(self) -> list[Event]:
        batch = [await self._queue.get()]
        deadline = asyncio.get_running_loop().time() + self.flush_interval_s
        while len(batch) < self.flush_at:
            if not self._queue.empty():
                batch.append(self._queue.get_nowait())
                continue
            wait = deadline - asyncio.get_running_loop().time()
            if wait <= 0 or self._flush_now.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_now.wait(), min(wait, 0.05))  # wakes early for flush()
        return batch

    async def _upload(self, batch: list[Event]) -> None:
        for chunk in chunks(batch, self._report):
            try:
                await self._sender.send([encoded for _, encoded in chunk])
            except DeliveryError as exc:
                self._report(exc, [event for event, _ in chunk])
            except Exception as exc:  # a bug must not end the task: the queue would fill for good
                log.exception("clickpath: upload failed")
                self._report(exc, [event for event, _ in chunk])

    def _report(self, error: Exception, events: list[Event]) -> None:
        self.failed += len(events)
        log.warning("clickpath: %d events not delivered: %s", len(events), error)
        if self.on_error:
            try:
                self.on_error(error, events)
            except Exception:
                log.exception("clickpath: on_error raised")
