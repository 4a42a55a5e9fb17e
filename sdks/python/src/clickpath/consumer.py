"""The background thread: takes events off the queue, batches them by count, time and bytes, and sends.

The host's threads only ever put events on a bounded queue (never blocking); everything slow (JSON, gzip,
HTTP, waiting to retry) happens here.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from clickpath.events import Event, encode
from clickpath.sender import Sender
from clickpath.transport import DeliveryError, OnError, log

# Capture refuses an event over 1 MiB (CLICKPATH_CAPTURE_MAX_EVENT_BYTES) and with it the whole request:
# such an event is dropped here, alone. A margin covers the stamped fields capture adds.
MAX_EVENT_BYTES = 1_000_000
# Capture takes 20 MiB a request; 5 MiB keeps each request (and a retry of it) short.
MAX_BATCH_BYTES = 5_000_000
POLL_S = 0.2  # how often an idle thread looks at its stop flag


class Consumer(threading.Thread):
    def __init__(
        self,
        events: queue.Queue[Event],
        sender: Sender,
        *,
        flush_at: int,
        flush_interval_s: float,
        on_error: OnError | None,
    ) -> None:
        super().__init__(name="clickpath-consumer", daemon=True)  # daemon: never holds the host's exit
        self.events, self.sender = events, sender
        self.flush_at, self.flush_interval_s, self.on_error = flush_at, flush_interval_s, on_error
        self.flush_now = threading.Event()  # set by flush(): send what is queued without waiting for more
        self.stopping = threading.Event()
        self.failed = 0  # events refused or given up on

    def run(self) -> None:
        while not (self.stopping.is_set() and self.events.empty()):
            batch = self._next_batch()
            if batch:
                self._upload(batch)

    def _next_batch(self) -> list[Event]:
        try:
            batch = [self.events.get(timeout=POLL_S)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.flush_interval_s
        while len(batch) < self.flush_at:
            wait = 0.0 if self.flush_now.is_set() or self.stopping.is_set() else deadline - time.monotonic()
            try:
                batch.append(self.events.get(timeout=wait) if wait > 0 else self.events.get_nowait())
            except queue.Empty:
                break
        return batch

    def _upload(self, batch: list[Event]) -> None:
        try:
            for chunk in chunks(batch, self.report):
                try:
                    self.sender.send([encoded for _, encoded in chunk])
                except DeliveryError as exc:
                    self.report(exc, [event for event, _ in chunk])
        except Exception as exc:  # a bug here must not kill the thread: the queue would fill for good
            log.exception("clickpath: upload failed")
            self.report(exc, batch)
        finally:
            for _ in batch:
                self.events.task_done()

    def report(self, error: Exception, events: list[Event]) -> None:
        self.failed += len(events)
        log.warning("clickpath: %d events not delivered: %s", len(events), error)
        if self.on_error:
            try:
                self.on_error(error, events)
            except Exception:
                log.exception("clickpath: on_error raised")


def chunks(batch: list[Event], report: OnError) -> list[list[tuple[Event, bytes]]]:
    """The batch encoded and split into requests under MAX_BATCH_BYTES; oversize events reported, not sent."""
    result: list[list[tuple[Event, bytes]]] = [[]]
    size = 0
    for event in batch:
        encoded = encode(event)
        if len(encoded) > MAX_EVENT_BYTES:
            report(ValueError(f"event of {len(encoded)} bytes; capture takes {MAX_EVENT_BYTES}"), [event])
            continue
        if size + len(encoded) > MAX_BATCH_BYTES and result[-1]:
            result.append([])
            size = 0
        result[-1].append((event, encoded))
        size += len(encoded)
    return [chunk for chunk in result if chunk]


def wait_until_done(events: queue.Queue[Any], timeout_s: float | None) -> bool:
    """True once every queued event was handled (sent, refused or given up on), False at the timeout."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with events.all_tasks_done:
        while events.unfinished_tasks:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            events.all_tasks_done.wait(remaining)
    return True
