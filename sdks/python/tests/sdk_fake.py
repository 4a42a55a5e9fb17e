"""A fake capture API for the SDK tests (httpx.MockTransport): records requests, answers as told."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from clickpath import Backoff

FAST = Backoff(max_retries=4, base_s=0.01, cap_s=0.05)  # the real schedule, in milliseconds


@dataclass
class FakeCapture:
    """Answers 200 unless `answers` says otherwise (popped per request: an int status or an exception)."""

    answers: list[int | Exception | httpx.Response] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(answer, json={"status": 1} if answer == 200 else {"error": {"code": "x", "message": "y"}})

    def bodies(self) -> list[dict[str, Any]]:
        return [body(request) for request in self.requests]

    def events(self) -> list[dict[str, Any]]:
        return [event for b in self.bodies() for event in b["batch"]]

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def body(request: httpx.Request) -> dict[str, Any]:
    data = request.content
    if request.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    result: dict[str, Any] = json.loads(data)
    return result


def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
