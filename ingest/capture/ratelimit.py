"""Each project's event rate limit, shared by every capture process through Redis.

A fixed window (CLICKPATH_CAPTURE_RATE_LIMIT, e.g. 1000000/minute) counted in Redis through the `limits`
library's storage. Asking Redis on every request cost about a tenth of capture's CPU, so each process
counts locally and adds its counts to the shared window every SYNC_S with one INCRBY per project; a
request is refused when the shared total last seen plus what this process accepted since would pass the
limit. So the limit can be overshot by what the processes accept within SYNC_S. If Redis is down, the
counts wait for it and the limit is not enforced meanwhile: losing events would be worse.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

import redis
from limits import parse
from limits.storage import storage_from_string

from infra.settings import Settings
from ingest.errors import CaptureError

log = logging.getLogger(__name__)

SYNC_S = 0.1
KEY_PREFIX = "clickpath:capture_events"


class RateLimit:
    def __init__(self, settings: Settings) -> None:
        self._limit = parse(settings.capture_rate_limit)
        self._period = self._limit.get_expiry()
        self._storage = storage_from_string("async+" + settings.effective_redis_url, implementation="redispy")
        self._pending: dict[int, int] = {}
        self._shared: dict[int, tuple[float, int]] = {}  # project → (window start, its total last seen)
        self._synced_at = 0.0
        self._sync: asyncio.Task[None] | None = None

    async def admit(self, project_id: int, events: int) -> None:
        """Count the events against the project's limit; 429 with Retry-After once it would be passed."""
        now = time.time()
        window = now - now % self._period
        seen_window, total = self._shared.get(project_id, (window, 0))
        total = total if seen_window == window else 0
        pending = self._pending.get(project_id, 0)
        if total + pending + events > self._limit.amount:
            retry_after = max(1, math.ceil(window + self._period - now))
            raise CaptureError(
                429,
                f"project {project_id} is over its limit of {self._limit}; retry in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )
        self._pending[project_id] = pending + events
        if time.monotonic() - self._synced_at >= SYNC_S and (self._sync is None or self._sync.done()):
            self._synced_at = time.monotonic()
            self._sync = asyncio.create_task(self._add_pending(window))

    async def _add_pending(self, window: float) -> None:
        for project_id, count in list(self._pending.items()):
            key = f"{KEY_PREFIX}:{project_id}:{int(window)}"
            try:
                total = await self._storage.incr(key, self._period, amount=count)
            except redis.RedisError as exc:
                log.warning("rate limit counts kept until Redis answers: %s", exc)
                return
            self._pending[project_id] -= count
            self._shared[project_id] = (window, total)
