"""Reading and replaying the dead-letter topic (``clickpath dlq list`` and ``clickpath dlq replay``).

The consumer sends a message it cannot store to the dead-letter topic unchanged, with headers
``clickpath_reason`` and ``clickpath_origin`` (ingest/dead_letters.py). Once the cause is fixed (a consumer
bug, a schema that was too strict), ``replay`` produces each pending letter back to the events topic and
the consumer checks it again: what is still bad comes back as a new letter. "Pending" means after the
offsets committed by the replay group, so a replay never sends a letter twice — unless it is killed between
the broker's acknowledgement and its commit; the events table then folds the repeat by uuid when parts merge
(docs/INGESTION.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, Producer, TopicPartition

from infra import clients
from infra.settings import Settings

REPLAY_GROUP = "clickpath-dlq-replay"
REPLAYED_HEADER = "clickpath_replayed_from"
TIMEOUT_S = 30


@dataclass(frozen=True)
class Letter:
    partition: int
    offset: int
    time: datetime
    reason: str
    origin: str
    key: bytes | None
    value: bytes | None


class DeadLetterQueue:
    """The dead-letter topic, read through the replay group's committed offsets (which only replay moves)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = settings.kafka_dlq_topic
        self._reader = Consumer(
            clients.kafka_config(settings)
            | {"group.id": REPLAY_GROUP, "enable.auto.commit": False, "enable.partition.eof": True}
        )

    def __enter__(self) -> DeadLetterQueue:
        return self

    def __exit__(self, *_: object) -> None:
        self._reader.close()

    def letters(self, everything: bool = False) -> Iterator[Letter]:
        """The pending letters (every letter still in the topic with ``everything``), partition by partition."""
        ends = self._assign(everything)
        while ends:
            for message in self._reader.consume(1000, 1.0):
                error = message.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    raise RuntimeError(f"reading {self.topic}: {error}")
                if error is None and message.offset() < ends.get(message.partition(), 0):
                    yield _letter(message)
                if message.offset() + (error is None) >= ends.get(message.partition(), 0):
                    ends.pop(message.partition(), None)

    def replay(self, letters: list[Letter], progress: Callable[[int], None] = lambda _: None) -> None:
        """Produce the letters to the events topic; once all are acknowledged, commit them as replayed."""
        producer = Producer(clients.kafka_config(self.settings) | {"enable.idempotence": True, "acks": "all"})
        failures: list[str] = []

        def delivered(error: object, _message: object) -> None:
            if error is not None:
                failures.append(str(error))
            progress(1)

        for letter in letters:
            origin = f"{self.topic}:{letter.partition}:{letter.offset}".encode()
            producer.produce(
                self.settings.kafka_events_topic, letter.value, letter.key, headers={REPLAYED_HEADER: origin},
                on_delivery=delivered,
            )  # fmt: skip
            producer.poll(0)
        if producer.flush(TIMEOUT_S) or failures:
            raise RuntimeError(f"the events topic did not acknowledge the replay: {failures[:3] or 'timed out'}")
        last: dict[int, int] = {}
        for letter in letters:
            last[letter.partition] = max(last.get(letter.partition, -1), letter.offset)
        if last:
            self._reader.commit(
                offsets=[TopicPartition(self.topic, p, offset + 1) for p, offset in last.items()], asynchronous=False
            )

    def _assign(self, everything: bool) -> dict[int, int]:
        """Assign each partition that has letters to read at its start; returns partition → end offset."""
        metadata = self._reader.list_topics(self.topic, timeout=TIMEOUT_S).topics[self.topic]
        if metadata.error is not None:
            raise RuntimeError(f"{self.topic}: {metadata.error}")
        partitions = [TopicPartition(self.topic, p) for p in sorted(metadata.partitions)]
        committed = {tp.partition: tp.offset for tp in self._reader.committed(partitions, timeout=TIMEOUT_S)}
        starts, ends = [], {}
        for tp in partitions:
            low, high = self._reader.get_watermark_offsets(tp, timeout=TIMEOUT_S)
            start = low if everything or committed[tp.partition] < 0 else max(low, committed[tp.partition])
            if start < high:
                starts.append(TopicPartition(self.topic, tp.partition, start if start > 0 else OFFSET_BEGINNING))
                ends[tp.partition] = high
        self._reader.assign(starts)
        return ends


def _letter(message: Message) -> Letter:
    headers = dict(message.headers() or [])
    _, millis = message.timestamp()
    return Letter(
        partition=message.partition(),
        offset=message.offset(),
        time=datetime.fromtimestamp(millis / 1000, UTC),
        reason=(headers.get("clickpath_reason") or b"").decode(errors="replace"),
        origin=(headers.get("clickpath_origin") or b"").decode(errors="replace"),
        key=message.key(),
        value=message.value(),
    )
