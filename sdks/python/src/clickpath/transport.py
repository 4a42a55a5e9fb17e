"""Posting batches to capture: gzip, and when to retry (shared by the thread and the asyncio client).

Capture accepts or refuses a request whole (docs/INGESTION.md), so a batch is the unit of retry. Network
errors, 5xx, 408 and 429 are retried with exponential backoff and jitter (429 waits as long as Retry-After
says); any other 4xx is a refusal that a retry would only repeat, so the batch is dropped and reported.
"""

from __future__ import annotations

import gzip
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from clickpath.events import batch_body
from clickpath.version import VERSION

log = logging.getLogger("clickpath")

USER_AGENT = f"clickpath-python/{VERSION}"
# gzip level 6 costs ~4x the CPU of level 1 for a few % less; events are repetitive JSON, level 1 already
# shrinks them ~8x.
GZIP_LEVEL = 1
# A wrong Retry-After (an hour, a date far off) must not park the queue for long.
MAX_RETRY_AFTER_S = 60.0

OnError = Callable[[Exception, list[dict[str, Any]]], None]


class DeliveryError(Exception):
    """A batch that was refused (4xx) or still failed after the last retry."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with "equal jitter": half the step is fixed, half random, so clients that failed
    together do not come back together, and no retry is ever immediate."""

    max_retries: int = 8
    base_s: float = 0.5
    cap_s: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_S)
        step = min(self.cap_s, self.base_s * 2.0**attempt)
        return step / 2 + random.uniform(0, step / 2)


@dataclass(frozen=True)
class Endpoint:
    api_key: str
    host: str
    compress: bool = True

    @property
    def url(self) -> str:
        return self.host.rstrip("/") + "/capture"

    def request(self, encoded_events: list[bytes]) -> tuple[bytes, dict[str, str]]:
        """Body and headers for one attempt (sent_at is stamped anew each time)."""
        body = batch_body(self.api_key, encoded_events)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if self.compress:
            body = gzip.compress(body, compresslevel=GZIP_LEVEL)
            headers["Content-Encoding"] = "gzip"
        return body, headers


def next_attempt(result: httpx.Response | httpx.HTTPError, attempt: int, backoff: Backoff) -> tuple[str, float] | None:
    """After one attempt: None when capture took the batch, else (what went wrong, seconds to wait before the
    next attempt). Raises DeliveryError for a refusal, which no retry would change."""
    if isinstance(result, httpx.HTTPError):
        return repr(result), backoff.delay(attempt)
    status = result.status_code
    if 200 <= status < 300:
        return None
    if status == 429:
        return "HTTP 429", backoff.delay(attempt, retry_after(result))
    if status >= 500 or status == 408:
        return f"HTTP {status}", backoff.delay(attempt)
    raise refusal(result)


def refusal(response: httpx.Response) -> DeliveryError:
    """The error capture gave: {"error": {"code", "message"}} (docs/INGESTION.md), else the status."""
    try:
        error = response.json().get("error", {})
        message = f"{error.get('code')}: {error.get('message')}"
    except (ValueError, AttributeError):
        message = response.text[:200]
    return DeliveryError(f"capture answered {response.status_code}: {message}", response.status_code)


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
