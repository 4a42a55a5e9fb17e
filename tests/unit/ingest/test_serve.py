"""ingest/capture/serve.py: uvicorn's workers, each listening on the port with a socket of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import STARTUP_FAILURE

from ingest.capture import serve
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]
WORKERS = 2
CONNECTIONS = 32
WAIT_S = 30
POLL_S = 0.1


async def _answer_pid(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI app answering with the pid of the worker that served the request."""
    if scope["type"] != "http":
        return
    body = str(os.getpid()).encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_pid_app() -> ASGIApp:
    return _answer_pid


@pytest.fixture
def served() -> Iterator[tuple[psutil.Process, int]]:
    with _serving(WORKERS) as parent_and_port:
        yield parent_and_port


def _command(port: int, workers: int) -> list[str]:
    """capture's serve command, serving the pid app instead of capture."""
    app = ["--factory", f"{__name__}:create_pid_app", "--port", str(port), "--workers", str(workers)]
    return [sys.executable, "-m", "ingest.capture.serve", *app, "--no-access-log"]


@contextmanager
def _serving(workers: int) -> Iterator[tuple[psutil.Process, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(_command(port, workers), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        parent = psutil.Process(process.pid)
        wait_for(lambda: len(_listeners(parent, port)) == workers, WAIT_S, f"{workers} worker(s) listening", POLL_S)
        yield parent, port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=WAIT_S)


def test_each_worker_listens_with_a_socket_of_its_own(served: tuple[psutil.Process, int]) -> None:
    parent, port = served
    listeners = _listeners(parent, port)
    assert parent.pid not in listeners.values(), "the supervisor holds the port but must not accept"
    assert len(set(listeners.values())) == WORKERS, f"one socket per worker, not one shared: {listeners}"


def test_connections_opened_at_once_reach_every_worker(served: tuple[psutil.Process, int]) -> None:
    _, port = served
    for _ in range(3):
        assert len(set(_pids_serving(port))) == WORKERS


def test_one_worker_is_uvicorn_serving_alone() -> None:
    with _serving(1) as (parent, port):
        assert list(_listeners(parent, port).values()) == [parent.pid]
        assert set(_pids_serving(port)) == {parent.pid}


def test_a_worker_killed_is_replaced_by_one_listening_on_its_own_socket(served: tuple[psutil.Process, int]) -> None:
    parent, port = served
    killed = next(iter(_listeners(parent, port).values()))
    os.kill(killed, signal.SIGKILL)
    wait_for(
        lambda: len(_listeners(parent, port)) == WORKERS and killed not in _listeners(parent, port).values(),
        WAIT_S,
        "uvicorn's supervisor starting a new worker",
        POLL_S,
    )
    assert len(set(_listeners(parent, port).values())) == WORKERS
    assert killed not in _pids_serving(port)


def _listeners(parent: psutil.Process, port: int) -> dict[str, int]:
    """The listening sockets on the port among the parent and its children: socket inode → pid."""
    found = {}
    for process in [parent, *parent.children()]:
        try:
            for connection in process.net_connections(kind="tcp"):
                if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
                    found[os.readlink(f"/proc/{process.pid}/fd/{connection.fd}")] = process.pid
        except (psutil.Error, FileNotFoundError):
            continue  # a worker starting or ending meanwhile
    return found


def _pids_serving(port: int) -> list[int]:
    """The pid answering on each of CONNECTIONS connections, all opened before any request is sent."""
    connections = [socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) for _ in range(CONNECTIONS)]
    try:
        for connection in connections:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        return [int(_read_all(connection).split(b"\r\n\r\n", 1)[1]) for connection in connections]
    finally:
        for connection in connections:
            connection.close()


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_port_taken_is_a_clear_error(served: tuple[psutil.Process, int]) -> None:
    _, port = served  # held by the first server's supervisor
    second = subprocess.run(_command(port, WORKERS), cwd=REPO, capture_output=True, text=True, timeout=WAIT_S)
    assert second.returncode == STARTUP_FAILURE
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr


def test_the_command_line_takes_uvicorn_s_option_names() -> None:
    args = serve.parse_args(["--factory", "a:b", "--port", "9", "--workers", "3", "--no-access-log"])
    assert (args.factory, args.port, args.workers, args.access_log, args.proxy_headers) == ("a:b", 9, 3, False, True)
