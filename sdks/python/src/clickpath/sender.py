"""One batch to capture, retried until it is in or may not be retried (a thread's and a coroutine's version)."""

from __future__ import annotations

import asyncio
import threading

import httpx

from clickpath.transport import Backoff, DeliveryError, Endpoint, log, next_attempt


class Sender:
    """Blocking sends, for the background thread and for sync mode."""

    def __init__(self, endpoint: Endpoint, backoff: Backoff, timeout_s: float, http: httpx.Client | None = None):
        self.endpoint, self.backoff = endpoint, backoff
        self.http = http or httpx.Client(timeout=timeout_s)
        # Set at shutdown's deadline: a retry that is waiting gives up instead of holding the exit.
        self.abort = threading.Event()

    def send(self, encoded_events: list[bytes]) -> None:
        """Returns once capture answered 2xx; raises DeliveryError when refused or out of retries."""
        problem = ""
        for attempt in range(self.backoff.max_retries + 1):
            body, headers = self.endpoint.request(encoded_events)
            try:
                result: httpx.Response | httpx.HTTPError = self.http.post(
                    self.endpoint.url, content=body, headers=headers
                )
            except httpx.HTTPError as exc:
                result = exc
            retry = next_attempt(result, attempt, self.backoff)
            if retry is None:
                return
            problem, delay = retry
            if attempt < self.backoff.max_retries:
                log.debug("clickpath: %s; retry %d in %.1f s", problem, attempt + 1, delay)
                if self.abort.wait(delay):
                    raise DeliveryError(f"gave up at shutdown after {problem}")
        raise DeliveryError(f"gave up after {self.backoff.max_retries} retries: {problem}")

    def close(self) -> None:
        self.http.close()


class AsyncSender:
    """The same, awaited: for the asyncio client."""

    def __init__(self, endpoint: Endpoint, backoff: Backoff, timeout_s: float, http: httpx.AsyncClient | None = None):
        self.endpoint, self.backoff = endpoint, backoff
        self.http = http or httpx.AsyncClient(timeout=timeout_s)

    async def send(self, encoded_events: list[bytes]) -> None:
        problem = ""
        for attempt in range(self.backoff.max_retries + 1):
            body, headers = self.endpoint.request(encoded_events)
            try:
                result: httpx.Response | httpx.HTTPError = await self.http.post(
                    self.endpoint.url, content=body, headers=headers
                )
            except httpx.HTTPError as exc:
                result = exc
            retry = next_attempt(result, attempt, self.backoff)
            if retry is None:
                return
            problem, delay = retry
            if attempt < self.backoff.max_retries:
                log.debug("clickpath: %s; retry %d in %.1f s", problem, attempt + 1, delay)
                await asyncio.sleep(delay)
        raise DeliveryError(f"gave up after {self.backoff.max_retries} retries: {problem}")

    async def close(self) -> None:
        await self.http.aclose()
