"""Capture served by uvicorn, each worker on a listening socket of its own (SO_REUSEPORT).

`uvicorn --workers N` binds one socket in its parent and every worker accepts from it: whichever worker wakes
first takes every connection waiting, so a client opening its keep-alive connections at once (an SDK's pool,
a proxy, the benchmark's wrk) can land all of them on one worker while the other idles. Here each worker
binds the port itself, with SO_REUSEPORT, and the kernel spreads connections over the workers' sockets by
their addresses. uvicorn's own supervisor still starts, watches and restarts the workers
(docs/RUNBOOKS.md, "Capture").

    python -m ingest.capture.serve --factory ingest.capture.app:create_app --port 8000 --workers 2
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess


class WorkerSocket(socket.socket):
    """The supervisor's hold on the port (bound, never listening), which each worker it starts receives as a
    socket of its own: uvicorn hands its sockets to a new worker by pickling them, and this one pickles as its
    address, so the worker binds a new socket there, in the same SO_REUSEPORT group."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return bind, (self.family, self.getsockname())


def bind(family: socket.AddressFamily, address: tuple[str, int]) -> WorkerSocket:
    sock = WorkerSocket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _claim(family: socket.AddressFamily, address: tuple[str, int]) -> WorkerSocket:
    """The port, held for the workers, unless something else listens there. A socket with SO_REUSEPORT would
    join another server's group on the port (any of the same user's), so a plain socket is bound first: that
    fails while any other socket is bound there, as uvicorn's own bind does."""
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections closing (TIME_WAIT) are no owner
        probe.bind(address)
    return bind(family, address)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options of uvicorn's command line that the stack gives capture, with the same names."""
    parser = argparse.ArgumentParser(prog="python -m ingest.capture.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--factory", required=True, help="module:function that makes the ASGI app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--no-proxy-headers", dest="proxy_headers", action="store_false")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = uvicorn.Config(
        args.factory,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
        proxy_headers=args.proxy_headers,
    )
    if args.workers == 1:
        uvicorn.Server(config).run()
        return
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        held = _claim(family, (args.host, args.port))
    except OSError as exc:  # as uvicorn itself reports a port it cannot bind
        uvicorn.config.logger.error("cannot listen on %s:%d: %s", args.host, args.port, exc)
        sys.exit(STARTUP_FAILURE)
    with held:
        uvicorn.config.logger.info("Uvicorn running on http://%s:%d, %d workers", args.host, args.port, args.workers)
        Multiprocess(config, sockets=[held]).run()


if __name__ == "__main__":
    main()
