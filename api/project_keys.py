"""Resolving a project write key (``phc_…``) to its project, for the capture API.

Capture must not wait on PostgreSQL per request: a resolved key stays in Redis for
CLICKPATH_PROJECT_KEY_CACHE_S seconds, an unknown one for a few seconds (so a flood of bad keys does
not reach PostgreSQL either). Rotating or revoking a key deletes its cache entry at once, so it stops
working immediately; the expiry is the backstop.
"""

from __future__ import annotations

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api import db, security
from api.models import ProjectApiKey
from infra import clients
from infra.settings import Settings

CACHE_PREFIX = "clickpath:project_key:"
UNKNOWN = b"-"
UNKNOWN_TTL_S = 5
MAX_KEY_LENGTH = 64


class ProjectKeys:
    def __init__(
        self, settings: Settings, cache: redis.Redis | None = None, sessions: sessionmaker[Session] | None = None
    ) -> None:
        self._cache = cache or clients.redis_client(settings)
        self._sessions = sessions or db.sessions(settings)
        self._ttl_s = settings.project_key_cache_s

    def resolve(self, key: str) -> int | None:
        """The project id of an active key, or None."""
        if not key.startswith(security.PROJECT_KEY_PREFIX) or len(key) > MAX_KEY_LENGTH:
            return None
        cached = self._cache.get(CACHE_PREFIX + key)
        if cached is not None:
            return None if cached == UNKNOWN else int(cached)
        project_id = self.lookup(key)
        if project_id is None:
            self._cache.set(CACHE_PREFIX + key, UNKNOWN, ex=UNKNOWN_TTL_S)
        else:
            self._cache.set(CACHE_PREFIX + key, project_id, ex=self._ttl_s)
        return project_id

    def lookup(self, key: str) -> int | None:
        """The same answer straight from PostgreSQL (what the cache saves)."""
        with self._sessions() as session:
            return session.scalar(
                select(ProjectApiKey.project_id).where(ProjectApiKey.key == key, ProjectApiKey.revoked_at.is_(None))
            )

    def forget(self, keys: list[str]) -> None:
        if keys:
            self._cache.delete(*(CACHE_PREFIX + key for key in keys))
