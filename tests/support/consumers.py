"""Consumer processes of one group (`python -m ingest.consumer`), started and killed as a process manager
would: what the scale-out test and benchmark run beside the stack's own consumer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from infra.settings import Settings


def environment(base: dict[str, str], settings: Settings) -> dict[str, str]:
    """The stack's environment with a topic and group of the caller's own, as an operator would set them."""
    return base | {
        "CLICKPATH_KAFKA_EVENTS_TOPIC": settings.kafka_events_topic,
        "CLICKPATH_KAFKA_DLQ_TOPIC": settings.kafka_dlq_topic,
        "CLICKPATH_CONSUMER_GROUP": settings.consumer_group,
        "CLICKPATH_CONSUMER_BATCH_EVENTS": str(settings.consumer_batch_events),
        "PYTHONPATH": os.getcwd(),
    }


class Consumers:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.processes = env, logs, {}

    def start(self, number: int) -> None:
        log = (self.logs / f"consumer-{number}.log").open("ab")
        self.processes[number] = subprocess.Popen(
            [sys.executable, "-m", "ingest.consumer"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def kill(self, number: int) -> None:
        self.processes[number].send_signal(signal.SIGKILL)
        self.processes[number].wait(30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            process.wait(60)
