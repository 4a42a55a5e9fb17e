"""Clickpath's Python SDK.

    import clickpath
    clickpath.init("phc_...", host="https://capture.example.com")
    clickpath.capture("order completed", "user-1", {"amount": 42})

or a client of your own: `clickpath.Client(...)` (a background thread) or `clickpath.AsyncClient(...)`
(a task on your asyncio loop). See README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clickpath.aio import AsyncClient
from clickpath.client import DEFAULT_HOST, Client
from clickpath.transport import Backoff, DeliveryError
from clickpath.version import VERSION

__all__ = [
    "VERSION",
    "AsyncClient",
    "Backoff",
    "Client",
    "DeliveryError",
    "alias",
    "capture",
    "default_client",
    "flush",
    "group",
    "identify",
    "init",
    "page",
    "register",
    "shutdown",
    "unregister",
]

_default: Client | None = None


def init(api_key: str, host: str = DEFAULT_HOST, **options: Any) -> Client:
    """Make the module-level client (options as for Client); a second init replaces the first."""
    global _default
    if _default is not None:
        _default.shutdown()
    _default = Client(api_key, host, **options)
    return _default


def default_client() -> Client:
    if _default is None:
        raise RuntimeError("clickpath.init(api_key, host=...) first")
    return _default


def capture(event: str, distinct_id: str, properties: Mapping[str, Any] | None = None, **options: Any) -> str | None:
    return default_client().capture(event, distinct_id, properties, **options)


def identify(
    distinct_id: str,
    set: Mapping[str, Any] | None = None,
    set_once: Mapping[str, Any] | None = None,
    **options: Any,
) -> str | None:
    return default_client().identify(distinct_id, set, set_once, **options)


def alias(distinct_id: str, alias: str) -> str | None:
    return default_client().alias(distinct_id, alias)


def group(distinct_id: str, group_type: str, group_key: str, properties: Mapping[str, Any] | None = None) -> str | None:
    return default_client().group(distinct_id, group_type, group_key, properties)


def page(distinct_id: str, url: str, properties: Mapping[str, Any] | None = None) -> str | None:
    return default_client().page(distinct_id, url, properties)


def register(properties: Mapping[str, Any]) -> None:
    default_client().register(properties)


def unregister(key: str) -> None:
    default_client().unregister(key)


def flush(timeout: float | None = None) -> bool:
    return default_client().flush(timeout)


def shutdown(timeout: float | None = 10.0) -> None:
    global _default
    if _default is not None:
        _default.shutdown(timeout)
        _default = None
