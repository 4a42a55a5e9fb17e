"""The background thread: batching, retries, the bounded queue, flush and shutdown, thread safety."""

from __future__ import annotations

import threading
import time
from typing import Any

import clickpath
import httpx
import pytest
from clickpath import Client
from clickpath.consumer import MAX_EVENT_BYTES
from sdk_fake import FAST, FakeCapture, wait_for


def make(fake: FakeCapture, **options: Any) -> Client:
    options = {"backoff": FAST, "http_client": fake.client(), **options}
    return Client("phc_test", "http://capture.test", **options)


def test_batches_by_count(fake: FakeCapture) -> None:
    client = make(fake, flush_at=3, flush_interval=5.0)
    for i in range(6):
        client.capture("e", "u", {"i": i})
    wait_for(lambda: len(fake.requests) == 2)  # two full batches, long before the 5 s interval
    assert [len(b["batch"]) for b in fake.bodies()] == [3, 3]
    client.shutdown()


def test_batches_by_time(fake: FakeCapture) -> None:
    client = make(fake, flush_at=100, flush_interval=0.1)
    client.capture("e", "u")
    wait_for(lambda: len(fake.requests) == 1, timeout_s=2)
    client.shutdown()


def test_gzip_and_wire(fake: FakeCapture) -> None:
    client = make(fake)
    client.capture("e", "u")
    client.flush()
    request = fake.requests[0]
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["User-Agent"].startswith("clickpath-python/")
    assert str(request.url) == "http://capture.test/capture"
    client.shutdown()


@pytest.mark.parametrize(
    "failure",
    [500, 503, 429, 408, httpx.ConnectError("refused"), httpx.ReadTimeout("slow")],
    ids=str,
)
def test_retries_keep_uuids(fake: FakeCapture, failure: int | Exception) -> None:
    fake.answers = [failure, failure]
    client = make(fake)
    sent = client.capture("e", "u")
    assert client.flush(timeout=5)
    bodies = fake.bodies()
    assert len(bodies) == 3
    assert {b["batch"][0]["uuid"] for b in bodies} == {sent}  # the same event each time: capture dedups on it
    assert client.failed == 0
    client.shutdown()


def test_retry_after_is_honoured(fake: FakeCapture) -> None:
    fake.answers = [httpx.Response(429, headers={"Retry-After": "1"})]
    client = make(fake)
    client.capture("e", "u")
    started = time.monotonic()
    client.flush(timeout=5)
    assert len(fake.requests) == 2
    assert time.monotonic() - started >= 0.9  # not the 10 ms backoff
    client.shutdown()


def test_refusal_is_not_retried(fake: FakeCapture) -> None:
    errors: list[tuple[Exception, list[Any]]] = []
    fake.answers = [400]
    client = make(fake, on_error=lambda error, events: errors.append((error, events)))
    client.capture("e", "u")
    client.flush()
    assert len(fake.requests) == 1 and client.failed == 1
    assert errors and "400" in str(errors[0][0]) and len(errors[0][1]) == 1
    client.shutdown()


def test_gives_up_after_max_retries(fake: FakeCapture) -> None:
    fake.answers = [500] * 10
    client = make(fake)
    client.capture("e", "u")
    client.flush()
    assert len(fake.requests) == FAST.max_retries + 1 and client.failed == 1
    client.shutdown()


def test_sent_at_is_stamped_per_attempt(fake: FakeCapture) -> None:
    fake.answers = [500]
    client = make(fake)
    client.capture("e", "u")
    client.flush()
    first, second = fake.bodies()
    assert first["sent_at"] <= second["sent_at"]
    assert first["batch"] == second["batch"]
    client.shutdown()


def test_full_queue_drops_and_counts_never_blocks(fake: FakeCapture) -> None:
    gate = threading.Event()

    def stuck(request: httpx.Request) -> httpx.Response:
        gate.wait(5)
        return httpx.Response(200)

    client = Client(
        "k",
        "http://capture.test",
        max_queue_size=10,
        flush_at=1,
        http_client=httpx.Client(transport=httpx.MockTransport(stuck)),
    )
    started = time.monotonic()
    results = [client.capture("e", "u") for _ in range(100)]
    assert time.monotonic() - started < 0.5
    assert client.dropped >= 80 and results.count(None) == client.dropped
    gate.set()
    client.shutdown()


def test_oversize_event_dropped_alone(fake: FakeCapture) -> None:
    client = make(fake)
    client.capture("big", "u", {"blob": "x" * MAX_EVENT_BYTES})
    client.capture("small", "u")
    client.flush()
    assert [e["event"] for e in fake.events()] == ["small"] and client.failed == 1
    client.shutdown()


def test_threads_share_a_client(fake: FakeCapture) -> None:
    client = make(fake, flush_at=50)
    threads = [threading.Thread(target=lambda: [client.capture("e", "u") for _ in range(500)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.shutdown()
    uuids = [e["uuid"] for e in fake.events()]
    assert len(uuids) == len(set(uuids)) == 4000


def test_shutdown_flushes_and_later_calls_drop(fake: FakeCapture) -> None:
    client = make(fake, flush_interval=60)
    client.capture("e", "u")
    client.shutdown()
    assert len(fake.events()) == 1
    assert client.capture("late", "u") is None and client.dropped == 1


def test_shutdown_does_not_hang_on_a_dead_server() -> None:
    fake = FakeCapture(answers=[httpx.ConnectError("down")] * 100)
    client = Client("k", "http://capture.test", http_client=fake.client())  # the real 0.5 s → 30 s schedule
    client.capture("e", "u")
    started = time.monotonic()
    client.shutdown(timeout=0.5)
    assert time.monotonic() - started < 3


def test_sync_mode_sends_before_returning(fake: FakeCapture) -> None:
    client = make(fake, sync_mode=True)
    client.capture("e", "u")
    assert len(fake.requests) == 1
    client.shutdown()


def test_bad_input_never_raises(fake: FakeCapture) -> None:
    client = make(fake)
    assert client.capture("", "u") is None
    assert client.capture("e", "u", {"when": object()}) is not None  # sent as its text
    client.shutdown()


def test_module_level_client(fake: FakeCapture) -> None:
    clickpath.init("phc_x", "http://capture.test", http_client=fake.client(), backoff=FAST)
    clickpath.register({"app": "shop"})
    clickpath.capture("order", "user-1", {"amount": 1})
    clickpath.identify("user-1", {"plan": "pro"})
    clickpath.flush()
    clickpath.shutdown()
    assert [e["event"] for e in fake.events()] == ["order", "$identify"]
    assert all(e["properties"]["app"] == "shop" for e in fake.events())
    with pytest.raises(RuntimeError):
        clickpath.capture("e", "u")
