"""Who may send: the project key resolved to a project, and the project's event rate limit.

Keys are resolved by api.project_keys (PostgreSQL behind a Redis cache) and then trusted by this
process for CLICKPATH_CAPTURE_KEY_CACHE_S, so a busy capture process asks Redis about a key about once
a second rather than once a request. The rate limit counts events per project in Redis with the
`limits` library (a fixed window), shared by every capture process. If Redis is down, capture keeps
accepting (keys are then looked up in PostgreSQL and the limit is not enforced): losing events is
worse than a limit briefly not holding.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

import redis
from limits import parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from api.project_keys import ProjectKeys
from infra.settings import Settings
from ingest.errors import CaptureError

log = logging.getLogger(__name__)


class Gate:
    def __init__(self, settings: Settings) -> None:
        self._keys = ProjectKeys(settings)
        self._cache_s = settings.capture_key_cache_s
        self._known: dict[str, tuple[int | None, float]] = {}
        self._limit = parse(settings.capture_rate_limit)
        self._limiter = FixedWindowRateLimiter(
            storage_from_string("async+" + settings.effective_redis_url, implementation="redispy")
        )

    async def project(self, key: str | None) -> int:
        """The project of an active key; 401 otherwise."""
        if not key:
            raise CaptureError(401, "no project key: send api_key in the body or Authorization: Bearer", "api_key")
        now = time.monotonic()
        known = self._known.get(key)
        if known is None or now - known[1] > self._cache_s:
            known = (await asyncio.to_thread(self._resolve, key), now)
            self._known[key] = known
        if known[0] is None:
            raise CaptureError(401, "unknown or revoked project key", "api_key")
        return known[0]

    def _resolve(self, key: str) -> int | None:
        try:
            return self._keys.resolve(key)
        except redis.RedisError:
            log.warning("Redis unavailable: project key looked up in PostgreSQL")
            return self._keys.lookup(key) if key.startswith("phc_") else None

    async def admit(self, project_id: int, events: int) -> None:
        """Count the events against the project's limit; 429 with Retry-After once it is reached."""
        try:
            if await self._limiter.hit(self._limit, "capture", str(project_id), cost=events):
                return
            stats = await self._limiter.get_window_stats(self._limit, "capture", str(project_id))
        except redis.RedisError:
            log.warning("Redis unavailable: rate limit not enforced")
            return
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise CaptureError(
            429,
            f"project {project_id} is over its limit of {self._limit}; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
