"""Who may send: the project key resolved to a project.

Keys are resolved by api.project_keys (PostgreSQL behind a Redis cache) and then trusted by this
process for CLICKPATH_CAPTURE_KEY_CACHE_S, so a busy capture process asks Redis about a key about once
a second rather than once a request, and in the background. If Redis is down, keys are looked up in
PostgreSQL: capture keeps accepting.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis

from api.project_keys import ProjectKeys
from infra.settings import Settings
from ingest.errors import CaptureError

log = logging.getLogger(__name__)


MAX_KNOWN_KEYS = 10_000  # keys anyone may send: remembered ones are bounded


class Gate:
    def __init__(self, settings: Settings) -> None:
        self._keys = ProjectKeys(settings)
        self._cache_s = settings.capture_key_cache_s
        self._known: dict[str, tuple[int | None, float]] = {}
        self._refreshing: dict[str, asyncio.Task[tuple[int | None, float]]] = {}

    async def project(self, key: str | None) -> int:
        """The project of an active key; 401 otherwise.

        A key seen before is answered from memory at once; once its answer is older than the cache time,
        it is looked up again in the background, so no request waits on Redis after a key's first one.
        """
        if not key:
            raise CaptureError(401, "no project key: send api_key in the body or Authorization: Bearer", "api_key")
        known = self._known.get(key)
        if known is None:
            try:
                known = await self._refresh(key)
            except Exception as exc:  # PostgreSQL (and Redis) unreachable: a retry later may pass
                log.warning("project key lookup failed: %s", exc)
                raise CaptureError(503, "project keys cannot be checked now; retry later", code="unavailable") from None
        elif time.monotonic() - known[1] > self._cache_s and key not in self._refreshing:
            self._refreshing[key] = asyncio.create_task(self._refresh(key))
        if known[0] is None:
            raise CaptureError(401, "unknown or revoked project key", "api_key")
        return known[0]

    async def _refresh(self, key: str) -> tuple[int | None, float]:
        try:
            known = (await asyncio.to_thread(self._resolve, key), time.monotonic())
        finally:
            self._refreshing.pop(key, None)
        if len(self._known) >= MAX_KNOWN_KEYS:
            self._known.clear()
        self._known[key] = known
        return known

    def _resolve(self, key: str) -> int | None:
        try:
            return self._keys.resolve(key)
        except redis.RedisError:
            log.warning("Redis unavailable: project key looked up in PostgreSQL")
            return self._keys.lookup(key) if key.startswith("phc_") else None
