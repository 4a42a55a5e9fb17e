"""The consumer: events topic → ClickHouse, each event once (docs/INGESTION.md, "Delivery guarantees").

Messages are buffered as consume() returns them and flushed together when they number
CLICKPATH_CONSUMER_BATCH_EVENTS or the oldest has waited CLICKPATH_CONSUMER_BATCH_MS. A flush sends poison to
the dead-letter topic, updates persons, inserts the rows with an insert_deduplication_token naming the offset
ranges (a retried insert is not stored twice), and only then commits the offsets. A crash between insert and
commit is covered on restart: a partition resumes after the highest offset ClickHouse holds (ingest_offsets).
While ClickHouse is down the consumer pauses its partitions and retries with backoff; it never skips and never
commits ahead.
"""

from __future__ import annotations

import ctypes
import gc
import itertools
import logging
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from clickhouse_connect.driver.client import Client
from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException, Message, TopicPartition

from infra import clients
from infra.settings import Settings
from ingest.dead_letters import DeadLetters
from ingest.rows import INSERT_SETTINGS, PoisonError, Rows

log = logging.getLogger("clickpath.consumer")

POLL_MESSAGES = 10_000
POLL_TIMEOUT_S = 0.1
BACKOFF_S = (0.5, 1, 2, 4, 8)


Ranges = dict[int, tuple[int, int]]  # partition → the first and last offset of a batch


@dataclass
class _Flight:
    """A batch handed to the insert thread: its offset ranges (for the commit), the store call and its future."""

    ranges: Ranges
    store: Callable[[], None]
    future: Future[None]


class PersonUpdates(Protocol):
    def process(self, events: list[dict[str, Any]]) -> None: ...


class EventConsumer:
    def __init__(
        self,
        settings: Settings,
        clickhouse: Client | None = None,
        persons: PersonUpdates | None = None,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        self.settings = settings
        self.topic = settings.kafka_events_topic
        self.clickhouse = clickhouse or clients.clickhouse(
            settings, database=settings.clickhouse_database, autogenerate_session_id=False
        )
        if persons is None:
            from ingest.persons import Persons

            persons = Persons(self.clickhouse)
        self.persons = persons
        self.dead_letters = dead_letters or DeadLetters(settings)
        self.stopping = False
        self._buffered: list[list[Message]] = []  # as consume() returned them: no work per message until flush
        self._count = 0
        self._oldest: float | None = None
        self._revoked = False
        self._in_flight: _Flight | None = None
        self._inserter = ThreadPoolExecutor(1, thread_name_prefix="clickhouse-insert")
        self._person_writer = ThreadPoolExecutor(1, thread_name_prefix="person-updates")
        self._kafka = Consumer(
            clients.kafka_config(settings)
            | {
                "group.id": settings.consumer_group,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                # a killed consumer's partitions move to the others after 10 s, not librdkafka's 45 s
                "session.timeout.ms": 10_000,
                "fetch.max.bytes": 64 * 1024 * 1024,
                "max.partition.fetch.bytes": 8 * 1024 * 1024,
                "queued.max.messages.kbytes": 256 * 1024,
                # librdkafka stops fetching for this long once its queue is full (default 1 s): with batches this
                # large the queue fills during every flush, and reading was held to a third of its rate
                "fetch.queue.backoff.ms": 20,
            }
        )

    def run(self) -> None:
        """Consume until stop(): then store and commit what is buffered, and leave the group."""
        self._kafka.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        try:
            while not self.stopping:
                self._buffer(self._kafka.consume(POLL_MESSAGES, POLL_TIMEOUT_S))
                if self._due():
                    self.flush()
                elif self._in_flight is not None and self._in_flight.future.done():
                    self._finish()  # commit as soon as stored, not only when the next batch goes
            self.flush()  # once; if ClickHouse is down it is not committed, and the next run stores it
            self._finish()
        finally:
            self._inserter.shutdown()
            self._person_writer.shutdown()
            self._kafka.close()
            self.dead_letters.close()

    def stop(self, *_: object) -> None:
        self.stopping = True

    def _buffer(self, messages: list[Message]) -> None:
        if messages:
            self._buffered.append(messages)
            self._count += len(messages)
            if self._oldest is None:
                self._oldest = time.monotonic()

    def _due(self) -> bool:
        if self._oldest is None:
            return False
        waited_ms = (time.monotonic() - self._oldest) * 1000
        return self._count >= self.settings.consumer_batch_events or waited_ms >= self.settings.consumer_batch_ms

    def flush(self) -> None:
        """Decode what is buffered, finish the batch in flight (stored, then committed), send this one to be stored.

        One insert is in flight while the next batch is decoded: ClickHouse works on one batch while this
        process decodes the next.
        """
        batch, self._buffered, self._count, self._oldest = self._buffered, [], 0, None
        rows, poison, ranges = self._decode(batch)
        if not self._finish() or not ranges:
            return  # given up on a rebalance or a stop: this batch is read again from what is stored
        token = f"{self.topic}/" + ",".join(f"{p}:{first}-{last}" for p, (first, last) in sorted(ranges.items()))
        store = partial(self._store, rows, poison, token)
        self._in_flight = _Flight(ranges, store, self._inserter.submit(store))

    def _decode(self, batch: list[list[Message]]) -> tuple[Rows, list[tuple[Message, str]], Ranges]:
        """The rows of the batch's messages, its poison with the reasons, and each partition's offset range."""
        rows, poison, first, last = Rows(self.topic), [], {}, {}
        for messages in batch:
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        log.warning("consume error: %s", error)
                    continue
                partition, offset = message.partition(), message.offset()
                first.setdefault(partition, offset)
                last[partition] = offset
                try:
                    rows.add(message.value(), partition, offset)
                except PoisonError as exc:
                    poison.append((message, str(exc)))
        return rows, poison, {p: (first[p], last[p]) for p in last}

    def _finish(self) -> bool:
        """Wait for the insert in flight; retry it here if it failed; commit it once stored.

        False when the retries were given up: a rebalance placed every partition anew, from what is stored,
        or the consumer is stopping.
        """
        flight, self._in_flight = self._in_flight, None
        if flight is None:
            return True
        try:
            flight.future.result()
        except Exception as exc:  # any failure of a store is retried, never skipped
            log.warning("store failed (%s); retrying", exc)
            if not self._retrying(flight.store):
                return False
        self._commit(flight.ranges)
        return True

    def _store(self, rows: Rows, poison: list[tuple[Message, str]], token: str) -> None:
        if poison:
            self.dead_letters.send(poison)
            log.warning("%d message(s) sent to %s: %s", len(poison), self.dead_letters.topic, poison[0][1])
        if rows:
            # persons beside the events insert, not before it: both are done before the commit, and a replay
            # redoes both (each is idempotent)
            persons = self._person_writer.submit(self.persons.process, rows.person_events)
            self.clickhouse.raw_insert(  # no table: the body starts with its INSERT statement
                None,  # type: ignore[arg-type]
                insert_block=rows.body,  # type: ignore[arg-type]
                settings={**INSERT_SETTINGS, "insert_deduplication_token": token},
            )
            persons.result()

    def _commit(self, ranges: Ranges) -> None:
        offsets = [TopicPartition(self.topic, p, last + 1) for p, (_, last) in ranges.items()]
        try:
            self._kafka.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:  # a rebalance under way: the next owner resumes after ingest_offsets
            log.warning("commit refused (%s); the rows are stored, ingest_offsets covers them", exc)

    def _retrying(self, attempt: Callable[[], None]) -> bool:
        """Run attempt until it succeeds, partitions paused meanwhile. False if a rebalance or stop intervened."""
        self._revoked = False
        self._kafka.pause(self._kafka.assignment())
        try:
            for tries in itertools.count():
                self._wait(BACKOFF_S[min(tries, len(BACKOFF_S) - 1)])
                if self._revoked or self.stopping:  # stopping: nothing committed, the next run redoes it
                    return False
                try:
                    attempt()
                    return True
                except Exception as exc:
                    log.warning("store failed again (%s)", exc)
        finally:
            self._kafka.resume(self._kafka.assignment())
        return False

    def _wait(self, delay: float) -> None:
        """Sleep while still polling (partitions paused): the group keeps us, and rebalances are served."""
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and not (self._revoked or self.stopping):
            self._buffer(self._kafka.consume(POLL_MESSAGES, min(0.2, delay)))

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Resume each partition after the later of its committed offset and what ClickHouse already holds."""
        stored = self._retrying_query(
            "SELECT partition, max(max_offset) FROM ingest_offsets WHERE topic = {topic:String} GROUP BY partition",
            {"topic": self.topic},
        )
        committed = {tp.partition: tp.offset for tp in consumer.committed(partitions, timeout=30)}
        for tp in partitions:
            resume = committed.get(tp.partition, OFFSET_INVALID)
            if tp.partition in stored and (resume < 0 or stored[tp.partition] + 1 > resume):
                resume = stored[tp.partition] + 1
                log.info("partition %d resumes at %d, after the rows ClickHouse holds", tp.partition, resume)
            tp.offset = resume
        consumer.assign(partitions)

    def _retrying_query(self, query: str, parameters: dict[str, str]) -> dict[int, int]:
        for delay in (*BACKOFF_S, *[BACKOFF_S[-1]] * 1000):
            try:
                return dict(self.clickhouse.query(query, parameters=parameters).result_rows)
            except Exception as exc:
                log.warning("reading ingest_offsets failed (%s); retrying in %.1f s", exc, delay)
                time.sleep(delay)
        raise RuntimeError("ingest_offsets unreadable")

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Commit the insert in flight if it succeeded; drop what was not inserted: the next owner re-reads it.

        No retries here (they would poll inside a poll): a failed insert is left to the next owner, which
        resumes after the committed offset, or after ingest_offsets if the insert did land.
        """
        flight, self._in_flight = self._in_flight, None
        if flight is not None and flight.future.exception() is None:
            self._commit(flight.ranges)
        revoked = {tp.partition for tp in partitions}
        kept = ([m for m in messages if m.partition() not in revoked] for messages in self._buffered)
        self._buffered = [messages for messages in kept if messages]
        self._count = sum(map(len, self._buffered))
        if not self._buffered:
            self._oldest = None
        self._revoked = True


def _when_ready(settings: Settings) -> EventConsumer:
    """The consumer, once ClickHouse has its database: the stack starts it before migrating, and a
    restarted ClickHouse may take a while; waiting here beats crashing into the supervisor's back-off."""
    for delay in itertools.chain(BACKOFF_S, itertools.repeat(BACKOFF_S[-1])):
        try:
            return EventConsumer(settings)
        except Exception as exc:  # anything: ClickHouse or its database not there yet
            log.info("waiting for ClickHouse (%s); again in %.1f s", exc, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def tune_collector(settings: Settings) -> None:
    """Keep the cyclic garbage collector off what the consumer holds on purpose.

    The objects made at start-up live as long as the process: frozen, full collections skip them. A batch's
    Message objects are tracked by the collector and stay alive until their flush, then go by reference
    counting; at the default threshold (700 young objects) the collector walked them again and again: 0.3-0.5 s
    holding the GIL for every 500,000 events (about 980 young and 8 full collections). With the threshold
    above two batches it runs only when other objects pile up.
    """
    gc.freeze()
    gc.set_threshold(max(700, 2 * settings.consumer_batch_events), 10, 10)


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_BYTES = 1 << 30


def tune_allocator() -> bool:
    """Keep the memory a batch frees for the next batch, instead of handing it back to the kernel.

    A batch of 100,000 events allocates about 250 MB (the messages' values, the request body) and frees it once
    stored. By default glibc unmaps blocks over 32 MB and trims freed memory at the top of its heaps, so every
    batch faulted all of its pages in again, zeroed by the kernel: 360,000 minor faults and 1.28 s of kernel time
    on the consumer's thread per million events, against 118,000 and 0.64 s with these settings. The process
    keeps its peak (two batches) as resident memory. False, and nothing changed, where the C library is not glibc.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES) and mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))


def main(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    consumer = _when_ready(settings)
    tune_collector(settings)
    tune_allocator()
    signal.signal(signal.SIGTERM, consumer.stop)
    signal.signal(signal.SIGINT, consumer.stop)
    log.info("consuming %s as group %s", consumer.topic, settings.consumer_group)
    consumer.run()
    log.info("stopped after committing what was stored")


if __name__ == "__main__":
    from infra.settings import get_settings

    main(get_settings())
