"""Every acknowledged insert survives a restart, clean (SIGTERM) or not (SIGKILL)."""

from __future__ import annotations

import signal
from pathlib import Path

import clickhouse_connect
import pytest

from tests.support.warehouse import WarehouseProcess

BATCHES = 20
BATCH_ROWS = 5_000


def insert_batches(server: WarehouseProcess) -> None:
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server.port)
    client.command("CREATE TABLE IF NOT EXISTS kept (batch UInt32, n UInt32) ENGINE = MergeTree ORDER BY (batch, n)")
    for batch in range(BATCHES):
        client.insert("kept", [(batch, n) for n in range(BATCH_ROWS)], column_names=["batch", "n"])
    client.close()


def count_rows(server: WarehouseProcess) -> tuple[int, int]:
    client = clickhouse_connect.get_client(host="127.0.0.1", port=server.port)
    rows, batches = client.query("SELECT count(), uniqExact(batch) FROM kept").result_rows[0]
    client.close()
    return rows, batches


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_acknowledged_inserts_survive_a_restart(tmp_path: Path, sig: signal.Signals) -> None:
    server = WarehouseProcess(tmp_path / "data", tmp_path / "server.log").start()
    insert_batches(server)
    code = server.stop(sig)
    assert code == -sig  # uvicorn re-raises SIGTERM after its clean shutdown, so the exit says why it stopped
    if sig == signal.SIGTERM:
        assert "stopped: engine closed" in (tmp_path / "server.log").read_text()
    restarted = WarehouseProcess(tmp_path / "data", tmp_path / "server.log").start()
    try:
        assert count_rows(restarted) == (BATCHES * BATCH_ROWS, BATCHES)
    finally:
        restarted.stop()
