"""Sending events to Kafka from the capture API's event loop, answering only once the broker acknowledged.

librdkafka delivers acknowledgements on a thread of ours that polls the producer; each request waits on
an asyncio future that the last acknowledgement of its events resolves. Only the last event of a request
in each partition asks for an acknowledgement (a Python callback per event cost more CPU than stamping
it): the producer is idempotent, so the broker writes a partition's messages in order and acknowledges
the last only after the ones before it. To know the partition before producing, it is computed as
librdkafka's default partitioner does (CRC-32 of the key, modulo the partitions), so other producers of
the same keys (the dead-letter replay) agree. The producer is idempotent with
acks=all, so its own retries never write an event twice, and a message that cannot be delivered within
CLICKPATH_CAPTURE_DELIVERY_TIMEOUT_S fails (librdkafka drops it) rather than lingering, so that a request
answered 503 is not stored later behind the client's back.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from zlib import crc32

from confluent_kafka import KafkaError, KafkaException, Producer

from infra import clients
from infra.settings import Settings

POLL_S = 0.05
# How long librdkafka holds a partition's messages to send them together. The broker's CPU goes by produce
# request more than by event: at 1 ms, batched capture's requests cost Kafka about 8 µs of CPU an event
# against 1 µs for a producer sending large batches. So capture keeps a producer for each kind of request
# (docs/PERFORMANCE.md, the run of 07:50 on 6 December):
# - a single event, which its client waits on: at 5 ms the linger was most of its latency, while at 1 ms
#   Kafka's requests took so much CPU that 2 ms serves 12% more (p50 at 500 requests/s 3.6 ms against 2.7);
# - a batch, from an SDK flushing in the background: librdkafka's default, fewer and fuller requests.
SINGLE_LINGER_MS = 2
BATCH_LINGER_MS = 5
PROBE_TIMEOUT_S = 1.0
_DOWN_CODES = {KafkaError._ALL_BROKERS_DOWN}


class KafkaUnavailableError(Exception):
    """The broker did not acknowledge every event of a request."""


class _Delivery:
    """Counts one request's acknowledgements on the poll thread; wakes the request when all are in."""

    __slots__ = ("error", "future", "loop", "pending")

    def __init__(self, count: int, loop: asyncio.AbstractEventLoop) -> None:
        self.pending, self.error, self.loop = count, None, loop
        self.future: asyncio.Future[None] = loop.create_future()

    def __call__(self, error: KafkaError | None, _message: object) -> None:
        if error is not None and self.error is None:
            self.error = error
        self.pending -= 1
        if self.pending == 0:
            self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class EventProducer:
    def __init__(self, settings: Settings, linger_ms: int = BATCH_LINGER_MS) -> None:
        self.topic = settings.kafka_events_topic
        self._timeout_s = settings.capture_delivery_timeout_s
        self._config = clients.kafka_config(settings) | {
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": "lz4",
            "linger.ms": linger_ms,
            "batch.num.messages": 10000,
            "queue.buffering.max.messages": 1_000_000,
            "queue.buffering.max.kbytes": 1024 * 1024,
            "message.max.bytes": 4 * 1024 * 1024,
            "message.timeout.ms": int(self._timeout_s * 1000),
            "error_cb": self._on_error,
        }
        self._producer = Producer(self._config)
        self._partitions = 0  # unknown until the broker answers: until then librdkafka picks, and all report
        self._down_since: float | None = None
        self._probe: asyncio.Future[None] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="kafka-delivery", daemon=True)
        self._thread.start()

    @property
    def reachable(self) -> bool:
        return self._down_since is None

    async def send(self, messages: Sequence[tuple[bytes, bytes]]) -> None:
        """Produce every (key, value); return once all are acknowledged, else raise KafkaUnavailableError."""
        if not self.reachable or not self._partitions:  # the probe also learns the partitions
            await self._probe_once()
        count = self._partitions
        partitions = [crc32(key) % count for key, _ in messages] if count else [-1] * len(messages)
        last = {partition: index for index, partition in enumerate(partitions)} if count else None
        delivery = _Delivery(len(last) if last is not None else len(messages), asyncio.get_running_loop())
        produce = self._producer.produce
        for index, ((key, value), partition) in enumerate(zip(messages, partitions, strict=True)):
            report = delivery if last is None or last[partition] == index else None
            try:
                produce(self.topic, value, key, partition=partition, on_delivery=report)
            except BufferError:
                await self._produce_when_room(key, value, partition, report)
        try:
            async with asyncio.timeout(self._timeout_s + 1):  # librdkafka times out first; this is a backstop
                await delivery.future
        except TimeoutError:
            raise KafkaUnavailableError("Kafka did not acknowledge in time") from None
        if delivery.error is not None:
            raise KafkaUnavailableError(delivery.error.str())

    async def _probe_once(self) -> None:
        """After a connection error, ask the broker once (shared by every waiting request) before sending.

        A single broker also reports "all brokers down" when it merely closed an idle connection, so the
        flag alone must not refuse requests; a metadata round trip tells.
        """
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(asyncio.to_thread(self.check, PROBE_TIMEOUT_S))
        await asyncio.shield(self._probe)

    async def _produce_when_room(self, key: bytes, value: bytes, partition: int, report: _Delivery | None) -> None:
        while True:
            try:
                self._producer.produce(self.topic, value, key, partition=partition, on_delivery=report)
                return
            except BufferError:  # the local queue is full: let the poll thread drain it
                await asyncio.sleep(0.005)

    def check(self, timeout_s: float = 2.0) -> None:
        """Raise KafkaUnavailableError unless the broker answers for the topic now (readiness)."""
        try:
            metadata = self._producer.list_topics(self.topic, timeout=timeout_s)
        except KafkaException as exc:
            raise KafkaUnavailableError(str(exc)) from None
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None:
            raise KafkaUnavailableError(f"topic {self.topic} is not available")
        self._partitions = len(topic.partitions)  # grows when partitions are added; read again by /_ready
        self._down_since = None

    def close(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._producer.flush(self._timeout_s)

    def _on_error(self, error: KafkaError) -> None:
        if error.code() in _DOWN_CODES and self._down_since is None:
            self._down_since = time.monotonic()

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(POLL_S)
