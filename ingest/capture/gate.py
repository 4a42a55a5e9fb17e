"""Who may send: the project key resolved to a project.

Keys are resolved by api.project_keys (PostgreSQL behind a Redis cache) and then trusted by this
process for CLICKPATH_CAPTURE_KEY_CACHE_S, so a busy capture process asks Redis about a key about once
a second rather than once a request. If Redis is down, keys are looked up in PostgreSQL: capture keeps
accepting.
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


class Gate:
    def __init__(self, settings: Settings) -> None:
        self._keys = ProjectKeys(settings)
        self._cache_s = settings.capture_key_cache_s
        self._known: dict[str, tuple[int | None, float]] = {}

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
