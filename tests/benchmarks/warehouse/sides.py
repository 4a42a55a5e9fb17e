"""The two sides compared: the embedded server in a child process (HTTP) and a chdb engine in this process.

Both are reached through clickhouse-connect, so client-side serialization is the same code on both sides;
raw handles (httpx, urllib3, a bare chdb connection) are kept next to them to separate client from transport.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import chdb
import clickhouse_connect
import httpx
import urllib3
from clickhouse_connect.driver.client import Client

from tests.benchmarks import machine
from tests.support.warehouse import WarehouseProcess

HTTP_LZ4 = "HTTP lz4"
HTTP_PLAIN = "HTTP plain"
IN_PROCESS = "in-process"
CLIENT_VARIANTS = (HTTP_LZ4, HTTP_PLAIN, IN_PROCESS)
QUIET_TIMEOUT_S = 300


@dataclass
class Sides:
    server: WarehouseProcess
    clients: dict[str, Client]
    chdb_raw: chdb.state.sqlitelike.Connection
    httpx_client: httpx.Client
    urllib3_pool: urllib3.HTTPConnectionPool

    @classmethod
    def open(cls, work_dir: Path, server_log: Path) -> Sides:
        server_log.unlink(missing_ok=True)
        server = WarehouseProcess(work_dir / "server-data", server_log).start()
        try:
            return cls._around(server, work_dir / "in-process-data")
        except BaseException:
            server.stop()
            raise

    @classmethod
    def _around(cls, server: WarehouseProcess, local_dir: Path) -> Sides:
        local_dir.mkdir(parents=True, exist_ok=True)
        # chdb compares engine paths literally: open the raw handle on the path clickhouse-connect resolves to.
        local_path = os.path.realpath(local_dir)
        clients = {
            HTTP_LZ4: clickhouse_connect.get_client(host="127.0.0.1", port=server.port, compress=True),
            HTTP_PLAIN: clickhouse_connect.get_client(host="127.0.0.1", port=server.port, compress=False),
            IN_PROCESS: clickhouse_connect.get_client(interface="chdb", path=local_path),
        }
        return cls(
            server=server,
            clients=clients,
            chdb_raw=chdb.connect(local_path),
            httpx_client=httpx.Client(base_url=server.url, timeout=600),
            urllib3_pool=urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1),
        )

    @property
    def server_client(self) -> Client:
        return self.clients[HTTP_PLAIN]

    @property
    def local_client(self) -> Client:
        return self.clients[IN_PROCESS]

    def owner(self, variant: str) -> Client:
        """The client that administers the engine a variant writes to (DDL, counts, drops)."""
        return self.local_client if variant.startswith(IN_PROCESS) else self.server_client

    def quiesce(self) -> None:
        """Wait until neither engine runs a background merge, so one side's leftovers never slow the other."""
        deadline = time.monotonic() + QUIET_TIMEOUT_S
        for client in (self.server_client, self.local_client):
            machine.await_merges(client, deadline)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.chdb_raw.close()
        self.httpx_client.close()
        self.urllib3_pool.close()
        self.server.stop()
