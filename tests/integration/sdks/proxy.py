"""A proxy in front of the real capture API that fails on purpose: down, slow, 500 or 429, then healthy again."""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# Headers that describe one hop, not the message: never forwarded.
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass
class Seen:
    """One request as it arrived: how the proxy answered it, and what it carried."""

    mode: str
    status: int | None  # None: the connection was dropped or the client gave up
    gzip: bool = False
    events: list[tuple[str, str]] = field(default_factory=list)  # (uuid, event name)


def _wire(body: bytes) -> tuple[bool, list[tuple[str, str]]]:
    """Whether a capture body was gzip, and its events (a browser's Blob body is invisible to Playwright)."""
    compressed = body[:2] == b"\x1f\x8b"
    try:
        document = json.loads(gzip.decompress(body) if compressed else body)
    except ValueError:
        return compressed, []
    batch = document.get("batch", []) if isinstance(document, dict) else []
    return compressed, [(str(event.get("uuid")), str(event.get("event"))) for event in batch]


@dataclass
class FlakyProxy:
    """Forwards to `upstream` while `mode` is "ok"; otherwise answers as the mode says:

    - "500", "429": that status with a capture-like error body (429 with Retry-After: 1);
    - "slow": waits `slow_s`, then forwards (the request still reaches capture);
    - "down": stop() closes the port, so connections are refused, until start() opens it again.

    With `heal_after`, the proxy turns "ok" by itself after that many failed answers.
    """

    upstream: str
    slow_s: float = 2.0
    mode: str = "ok"
    heal_after: int | None = None
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        proxy = self

        class Handler(_Handler):
            pass

        Handler.proxy = proxy
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def failures(self) -> int:
        return sum(1 for s in self.seen if s.mode != "ok")


class _Handler(BaseHTTPRequestHandler):
    proxy: FlakyProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_OPTIONS(self) -> None:
        self._forward()

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.proxy.mode
        if mode in ("500", "429"):
            self._fail(int(mode), body)
            return
        if mode == "slow":
            time.sleep(self.proxy.slow_s)
        status = self._relay(body)
        self.proxy.seen.append(Seen(mode, status, *_wire(body)))

    def _fail(self, status: int, body: bytes) -> None:
        payload = b'{"error": {"code": "proxy", "message": "failing on purpose"}}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
        if status == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(payload)
        self.proxy.seen.append(Seen(str(status), status, *_wire(body)))
        if self.proxy.heal_after is not None and self.proxy.failures() >= self.proxy.heal_after:
            self.proxy.mode = "ok"

    def _relay(self, body: bytes) -> int | None:
        target = urlsplit(self.proxy.upstream)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_HEADERS:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return response.status
        except OSError:  # the client gave up waiting: capture has the events all the same
            return None
        finally:
            connection.close()
