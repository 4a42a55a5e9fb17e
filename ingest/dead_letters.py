"""The dead-letter topic: messages the consumer cannot store, kept with why and where they came from."""

from __future__ import annotations

from confluent_kafka import Message, Producer

from infra import clients
from infra.settings import Settings

FLUSH_TIMEOUT_S = 30


class DeadLetters:
    def __init__(self, settings: Settings) -> None:
        self.topic = settings.kafka_dlq_topic
        self._producer = Producer(clients.kafka_config(settings) | {"enable.idempotence": True, "acks": "all"})

    def send(self, poisoned: list[tuple[Message, str]]) -> None:
        """Produce each message unchanged, its reason and origin in headers; return once all are acknowledged."""
        failures: list[str] = []

        def delivered(error: object, _message: object) -> None:
            if error is not None:
                failures.append(str(error))

        for message, reason in poisoned:
            headers = {
                "clickpath_reason": reason.encode()[:1000],
                "clickpath_origin": f"{message.topic()}:{message.partition()}:{message.offset()}".encode(),
            }
            self._producer.produce(self.topic, message.value(), message.key(), headers=headers, on_delivery=delivered)
        remaining = self._producer.flush(FLUSH_TIMEOUT_S)
        if remaining or failures:
            raise RuntimeError(f"dead-letter topic did not acknowledge: {failures or remaining}")

    def close(self) -> None:
        self._producer.flush(FLUSH_TIMEOUT_S)
