"""The calls both clients offer, and super properties; how an event is then queued is the client's business."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from clickpath import events
from clickpath.transport import log


class Calls:
    """capture, identify, alias, group and page, each returning the event's uuid (None if it was dropped).

    None of them raises: an analytics call must never break the code around it, so a problem is logged.
    """

    def __init__(self) -> None:
        self._super: dict[str, Any] = {}
        self._super_lock = threading.Lock()

    def _enqueue(self, event: events.Event) -> bool:
        raise NotImplementedError

    def register(self, properties: Mapping[str, Any]) -> None:
        """Super properties: added to every later event (an event's own properties win)."""
        with self._super_lock:
            self._super = {**self._super, **properties}  # copied, so capture reads it without the lock

    def unregister(self, key: str) -> None:
        with self._super_lock:
            self._super = {k: v for k, v in self._super.items() if k != key}

    def capture(
        self,
        event: str,
        distinct_id: str,
        properties: Mapping[str, Any] | None = None,
        *,
        timestamp: datetime | None = None,
        uuid: str | None = None,
    ) -> str | None:
        """Queue one event; returns at once with its uuid."""
        try:
            if not event or not distinct_id:
                raise ValueError("event and distinct_id must not be empty")
            message = events.event(
                event, distinct_id, properties, super_properties=self._super, timestamp=timestamp, event_uuid=uuid
            )
        except Exception:
            log.exception("clickpath: event %r not captured", event)
            return None
        return message["uuid"] if self._enqueue(message) else None

    def identify(
        self,
        distinct_id: str,
        set: Mapping[str, Any] | None = None,
        set_once: Mapping[str, Any] | None = None,
        *,
        anon_distinct_id: str | None = None,
    ) -> str | None:
        """$identify: person properties to set (and to set only if unset); links the anonymous id if given."""
        return self.capture("$identify", distinct_id, events.identify_properties(set, set_once, anon_distinct_id))

    def alias(self, distinct_id: str, alias: str) -> str | None:
        """$create_alias: `alias` becomes another id of the person known as `distinct_id`."""
        return self.capture("$create_alias", distinct_id, {"alias": alias})

    def group(
        self, distinct_id: str, group_type: str, group_key: str, properties: Mapping[str, Any] | None = None
    ) -> str | None:
        """$groupidentify: the group's own properties."""
        return self.capture("$groupidentify", distinct_id, events.group_properties(group_type, group_key, properties))

    def page(self, distinct_id: str, url: str, properties: Mapping[str, Any] | None = None) -> str | None:
        """$pageview of a page served by the backend."""
        return self.capture("$pageview", distinct_id, events.page_properties(url, properties))
