"""Runs a query body: the cache first (unless ``refresh``), else its runner; times and labels the answer."""

from __future__ import annotations

import logging
import time

import redis

from api.queries import cache as answers
from api.queries.base import RUN_OPTIONS
from api.queries.context import QueryContext
from api.queries.registry import RESPONSES, RUNNERS

log = logging.getLogger(__name__)


def execute(query: object, context: QueryContext, cache: answers.Cache) -> object:
    started = time.perf_counter()
    kind = query.kind  # type: ignore[attr-defined]
    response_type = RESPONSES[kind]
    cache_key = answers.key(context, query.model_dump(mode="json", exclude=RUN_OPTIONS))  # type: ignore[attr-defined]
    if not query.refresh:  # type: ignore[attr-defined]
        hit = _read(cache, cache_key)
        if hit is not None:
            answer = response_type.model_validate_json(hit)
            return answer.model_copy(update={"cached": True, "took_ms": _since(started)})
    computed = RUNNERS[kind](query, context)
    answer = response_type(results=computed.results, source=computed.source, cached=False, took_ms=_since(started))
    _write(cache, cache_key, answer.model_dump_json().encode())
    return answer


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


# Redis down is a slower answer, not a failed one.
def _read(cache: answers.Cache, cache_key: str) -> bytes | None:
    try:
        return cache.get(cache_key)
    except redis.RedisError as error:
        log.warning("query cache unreadable: %s", error)
        return None


def _write(cache: answers.Cache, cache_key: str, value: bytes) -> None:
    try:
        cache.put(cache_key, value)
    except redis.RedisError as error:
        log.warning("query cache unwritable: %s", error)
