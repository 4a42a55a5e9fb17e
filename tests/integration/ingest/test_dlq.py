"""`clickpath dlq list` and `clickpath dlq replay` on the test stack's real Kafka, consumer and ClickHouse.

Letters are put straight into the dead-letter topic as the consumer writes them: one a good event (as if a
consumer bug, since fixed, had refused it) and one still poison. Other tests' letters may be pending in the
same topic; every check here looks only at this test's own, told apart by their reasons and values.
"""

from __future__ import annotations

import time
import uuid

import orjson
import pytest
from confluent_kafka import Producer

from infra import clients
from infra.settings import Settings
from ingest.dlq import DeadLetterQueue, Letter
from tests.support.ingest import Pipeline, Project, stamped
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def send_letters(settings: Settings, letters: dict[str, bytes]) -> None:
    """reason → value, into the dead-letter topic with the headers the consumer gives them."""
    producer = Producer(clients.kafka_config(settings) | {"acks": "all"})
    for reason, value in letters.items():
        headers = {"clickpath_reason": reason.encode(), "clickpath_origin": b"clickpath_events:0:0"}
        producer.produce(settings.kafka_dlq_topic, value, b"dlq-key", headers=headers)
    assert producer.flush(30) == 0


def letters(settings: Settings, everything: bool = False) -> list[Letter]:
    with DeadLetterQueue(settings) as queue:
        return list(queue.letters(everything))


def test_replay_sends_pending_letters_once_and_the_still_bad_come_back(
    stack: Stack, pipeline: Pipeline, project: Project
) -> None:
    settings = pipeline.settings
    tag = uuid.uuid4().hex
    good, bad = stamped(project, event="replayed"), stamped(project, event="replayed", distinct_id=None)
    send_letters(settings, {f"bug {tag}": good, f"still bad {tag}": bad})

    listed = stack.run("dlq", "list", "--limit", "1000").stdout
    assert f"bug {tag}" in listed and f"still bad {tag}" in listed, listed
    dry = stack.run("dlq", "replay", "--dry-run").stdout
    assert "none sent (dry run)" in dry, dry
    assert {f"bug {tag}", f"still bad {tag}"} <= {letter.reason for letter in letters(settings)}

    replayed = stack.run("dlq", "replay").stdout
    assert "replayed" in replayed, replayed
    assert {letter.reason for letter in letters(settings)}.isdisjoint({f"bug {tag}", f"still bad {tag}"})

    [event] = pipeline.events(project.id, 1)
    assert (str(event["uuid"]), event["event"]) == (orjson.loads(good)["uuid"], "replayed")
    back = wait_for_letter(settings, bad)
    assert back.origin.startswith(f"{settings.kafka_events_topic}:") and "distinct_id" in back.reason
    assert back in letters(settings), "a letter that came back is pending again"

    stack.run("dlq", "replay")  # the one that came back goes round once more; the good one is not sent again
    time.sleep(3)
    assert len(pipeline.events(project.id, 2, timeout_s=3)) == 1


def wait_for_letter(settings: Settings, value: bytes, timeout_s: float = 60) -> Letter:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [letter for letter in letters(settings, everything=True) if letter.value == value and letter.origin]
        back = [letter for letter in found if not letter.origin.endswith(":0:0")]
        if back:
            return back[-1]
        time.sleep(0.5)
    raise AssertionError(f"the replayed poison did not come back to {settings.kafka_dlq_topic} in {timeout_s} s")
