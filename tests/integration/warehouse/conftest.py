from __future__ import annotations

from collections.abc import Iterator

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from tests.support.warehouse import WarehouseProcess

PASSWORD = "s3cret-for-tests"


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseProcess]:
    """One embedded ClickHouse server for the whole test session, with a password as in production."""
    root = tmp_path_factory.mktemp("warehouse")
    server = WarehouseProcess(root / "data", root / "server.log", password=PASSWORD).start()
    yield server
    server.stop()


@pytest.fixture(params=[True, False], ids=["compressed", "plain"])
def client(request: pytest.FixtureRequest, warehouse: WarehouseProcess) -> Iterator[Client]:
    """A clickhouse-connect client, with its default compression on and off."""
    connection = clickhouse_connect.get_client(
        host="127.0.0.1", port=warehouse.port, password=PASSWORD, compress=request.param
    )
    yield connection
    connection.close()
