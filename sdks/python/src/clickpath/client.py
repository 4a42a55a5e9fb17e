"""Client: the thread-backed SDK (and its synchronous mode for serverless functions)."""

from __future__ import annotations

import atexit
import queue
import threading

import httpx

from clickpath.calls import Calls
from clickpath.consumer import Consumer, chunks, wait_until_done
from clickpath.events import Event
from clickpath.sender import Sender
from clickpath.transport import Backoff, DeliveryError, Endpoint, OnError, log

DEFAULT_HOST = "http://127.0.0.1:8000"


class Client(Calls):
    """Queues events and sends them from a background thread.

    - `flush_at` events or `flush_interval` seconds after the first queued one, whichever comes first.
    - `max_queue_size` bounds memory: when the queue is full (capture down for long) new events are dropped
      and counted in `dropped`, the host is never blocked.
    - `sync_mode`: each call sends before it returns (with retries): for serverless functions, which may be
      frozen as soon as they answer.
    - `on_error(error, events)`: called for events refused by capture or given up on after `max_retries`.
    - `backoff`: the retry schedule, when the default (0.5 s doubling to 30 s, 8 retries) does not suit.
    - Safe to share between threads; `shutdown()` runs at interpreter exit too.
    """

    def __init__(
        self,
        api_key: str,
        host: str = DEFAULT_HOST,
        *,
        flush_at: int = 100,
        flush_interval: float = 0.5,
        max_queue_size: int = 10_000,
        gzip: bool = True,
        sync_mode: bool = False,
        timeout: float = 10.0,
        max_retries: int = 8,
        backoff: Backoff | None = None,
        on_error: OnError | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__()
        self.sync_mode, self.on_error = sync_mode, on_error
        self._sender = Sender(Endpoint(api_key, host, gzip), backoff or Backoff(max_retries), timeout, http_client)
        self._queue: queue.Queue[Event] = queue.Queue(max_queue_size)
        self._dropped = 0
        self._dropped_lock = threading.Lock()
        self._consumer = Consumer(
            self._queue, self._sender, flush_at=flush_at, flush_interval_s=flush_interval, on_error=on_error
        )
        self._closed = False
        if not sync_mode:
            self._consumer.start()
        atexit.register(self.shutdown)

    @property
    def dropped(self) -> int:
        """Events not queued because the queue was full (or the client shut down)."""
        return self._dropped

    @property
    def failed(self) -> int:
        """Events refused by capture or given up on after the last retry."""
        return self._consumer.failed

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def _enqueue(self, event: Event) -> bool:
        if self._closed:
            return self._drop()
        if self.sync_mode:
            return self._send_now(event)
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            return self._drop()
        return True

    def _drop(self) -> bool:
        with self._dropped_lock:
            self._dropped += 1
        return False

    def _send_now(self, event: Event) -> bool:
        for chunk in chunks([event], self._consumer.report):
            try:
                self._sender.send([encoded for _, encoded in chunk])
            except DeliveryError as exc:
                self._consumer.report(exc, [event])
                return False
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now; True once it is all handled, False if `timeout` s passed first."""
        if self.sync_mode or not self._consumer.is_alive():
            return self._queue.unfinished_tasks == 0
        self._consumer.flush_now.set()
        try:
            return wait_until_done(self._queue, timeout)
        finally:
            self._consumer.flush_now.clear()

    def shutdown(self, timeout: float | None = 10.0) -> None:
        """Flush for up to `timeout` s, then stop the thread; later calls drop their events."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.shutdown)
        self._consumer.stopping.set()
        if self._consumer.is_alive() and not wait_until_done(self._queue, timeout):
            log.warning("clickpath: %d events still queued at shutdown", self._queue.qsize())
        self._sender.abort.set()  # a retry still waiting gives up now
        if self._consumer.is_alive():
            self._consumer.join(timeout=1.0)
        self._sender.close()
