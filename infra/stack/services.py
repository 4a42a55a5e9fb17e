"""The services of the local stack, in start order; later issues add Clickpath's own here."""

from __future__ import annotations

import shutil
import sys

from infra import clients
from infra.settings import Settings
from infra.stack import kafka, postgres
from infra.stack.service import Program, Service


def _clickhouse_check(settings: Settings) -> str:
    client = clients.clickhouse(settings, connect_timeout=5, send_receive_timeout=10, autogenerate_session_id=False)
    try:
        assert client.command("SELECT 1") == 1
        return f"ClickHouse {client.server_version}"
    finally:
        client.close()


def clickhouse(settings: Settings) -> Service:
    program = None
    if settings.clickhouse_url is None:
        data = settings.home_dir / "clickhouse"
        program = Program(
            command=[
                sys.executable,
                "-m",
                "infra",
                "warehouse",
                "serve",
                "--data",
                str(data),
                "--port",
                str(settings.port("clickhouse")),
            ],
            ports=(settings.port("clickhouse"),),
        )
    return Service("clickhouse", settings.effective_clickhouse_url, lambda: _clickhouse_check(settings), program)


def _redis_check(settings: Settings) -> str:
    connection = clients.redis_client(settings)
    try:
        assert connection.ping()
        return f"Redis {connection.info('server')['redis_version']}"
    finally:
        connection.close()


def redis(settings: Settings) -> Service:
    program = None
    if settings.redis_url is None:
        data = settings.home_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        program = Program(
            command=[
                server,
                "--port",
                str(settings.port("redis")),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data),
                "--appendonly",
                "yes",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            ports=(settings.port("redis"),),
        )
    return Service("redis", settings.effective_redis_url, lambda: _redis_check(settings), program)


def stack(settings: Settings) -> list[Service]:
    return [clickhouse(settings), kafka.service(settings), postgres.service(settings), redis(settings)]
