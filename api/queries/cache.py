"""Answers cached in Redis, keyed by project, the normalized query and the freshness of the project's data.

Freshness is the number of rows ever written to the project's events and person tables, which materialized
views keep in ``project_changes`` within every insert (schemas/clickhouse/0005_project_changes.sql); deleting
a person or rewriting retention adds to it too. Any write changes it, so a cached answer is never older than
the data it was computed from, and reading it is one small table. Relative dates move with the clock, so a
query without an absolute end also keys on the current minute.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import redis

from api.queries.context import QueryContext

VERSION = 4  # bump when a runner's answers change shape or meaning: old entries are then never read


def key(context: QueryContext, normalized: dict[str, Any]) -> str:
    volatile = not normalized.get("date_to") or str(normalized["date_to"]).startswith("-")
    parts = {
        "version": VERSION,
        "project": context.project_id,
        "timezone": str(context.timezone),
        "query": normalized,
        "freshness": str(context.data_changes),
        "minute": context.now.strftime("%Y-%m-%dT%H:%M") if volatile else None,
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"clickpath:query:{context.project_id}:{digest}"


class Cache:
    def __init__(self, client: redis.Redis, ttl_s: int) -> None:
        self.client, self.ttl_s = client, ttl_s

    def get(self, cache_key: str) -> bytes | None:
        return self.client.get(cache_key)

    def put(self, cache_key: str, value: bytes) -> None:
        self.client.set(cache_key, value, ex=self.ttl_s)
