"""clickhouse-connect, as the consumer, the API and dbt use it, against the real embedded server."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.integration.warehouse.conftest import PASSWORD
from tests.support.warehouse import WarehouseProcess

ROWS = 100_000


@pytest.fixture
def table(client: Client) -> str:
    name = f"events_{uuid.uuid4().hex[:8]}"
    client.command(
        f"CREATE TABLE {name} (id UInt64, event LowCardinality(String), ts DateTime64(3), amount Float64)"
        " ENGINE = MergeTree ORDER BY id"
    )
    return name


def test_command_and_query(client: Client) -> None:
    assert client.command("SELECT 1 + 1") == 2
    assert client.server_version.startswith("26.")
    result = client.query("SELECT number, toString(number) AS s FROM numbers(5) ORDER BY number")
    assert result.column_names == ("number", "s")
    assert result.result_rows == [(i, str(i)) for i in range(5)]


def test_insert_100k_rows_and_read_them_back(client: Client, table: str) -> None:
    start = datetime(2026, 11, 1)
    rows = [(i, f"event_{i % 7}", start + timedelta(seconds=i), i / 4) for i in range(ROWS)]
    summary = client.insert(table, rows, column_names=["id", "event", "ts", "amount"])
    assert summary.written_rows == ROWS
    count, total, last = client.query(f"SELECT count(), sum(amount), max(ts) FROM {table}").result_rows[0]
    assert (count, total) == (ROWS, sum(i / 4 for i in range(ROWS)))
    assert last == start + timedelta(seconds=ROWS - 1)


def test_query_df_and_query_arrow(client: Client, table: str) -> None:
    client.command(
        f"INSERT INTO {table} SELECT number, 'e' || toString(number % 3), now64(3), number FROM numbers(300)"
    )
    frame = client.query_df(
        f"SELECT event, count() AS n, sum(amount) AS total FROM {table} GROUP BY event ORDER BY event"
    )
    assert frame["event"].tolist() == ["e0", "e1", "e2"]
    assert frame["n"].tolist() == [100, 100, 100]
    arrow = client.query_arrow(f"SELECT id, event FROM {table} WHERE id < 10 ORDER BY id")
    assert arrow.num_rows == 10
    assert arrow.column("id").to_pylist() == list(range(10))


def test_server_side_parameters(client: Client) -> None:
    result = client.query("SELECT {n:UInt32} * 2 AS doubled, {s:String} AS s", parameters={"n": 21, "s": "it's"})
    assert result.result_rows == [(42, "it's")]
    # client-side binding (the %(name)s style) goes through the same server too
    assert client.query("SELECT %(v)s", parameters={"v": "x'y"}).result_rows == [("x'y",)]


def test_session_state_stays_with_the_session(client: Client, warehouse: WarehouseProcess) -> None:
    client.command("SET max_threads = 3")
    client.command("CREATE TEMPORARY TABLE scratch (a Int32)")
    client.command("INSERT INTO scratch VALUES (1), (2), (39)")
    assert client.command("SELECT getSetting('max_threads')") == 3
    assert client.command("SELECT sum(a) FROM scratch") == 42
    other = clickhouse_connect.get_client(host="127.0.0.1", port=warehouse.port, password=PASSWORD)
    try:
        assert other.command("SELECT getSetting('max_threads')") != 3
        with pytest.raises(DatabaseError) as caught:
            other.command("SELECT sum(a) FROM scratch")
        assert caught.value.code == 60  # UNKNOWN_TABLE: temporary tables belong to one session
    finally:
        other.close()


def test_per_query_settings_do_not_stick_to_the_session(client: Client) -> None:
    assert client.command("SELECT getSetting('max_threads')", settings={"max_threads": 1}) == 1
    assert client.command("SELECT getSetting('max_threads')") != 1


@pytest.mark.parametrize(
    ("sql", "settings", "code"),
    [
        ("SELEC 1", None, 62),  # SYNTAX_ERROR
        ("SELECT * FROM no_such_table", None, 60),  # UNKNOWN_TABLE
        ("SELECT no_such_function(1)", None, 46),  # UNKNOWN_FUNCTION
        ("SELECT throwIf(1, 'boom')", None, 395),  # FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
        ("SELECT 1", {"max_threads": "many"}, 27),  # a bad value for a real setting
    ],
)
def test_errors_raise_the_clients_exception_with_the_code(
    client: Client, sql: str, settings: dict | None, code: int
) -> None:
    with pytest.raises(DatabaseError) as caught:
        client.query(sql, settings=settings)
    assert caught.value.code == code
    assert f"Code: {code}. DB::Exception" in str(caught.value)


def test_an_unknown_setting_is_refused(client: Client) -> None:
    with pytest.raises(DatabaseError) as caught:
        client.query("SELECT 1", settings={"no_such_setting": 1})
    assert caught.value.code == 115 and "Unknown setting" in str(caught.value)


def test_a_wrong_password_is_refused(warehouse: WarehouseProcess) -> None:
    with pytest.raises(DatabaseError) as caught:
        clickhouse_connect.get_client(host="127.0.0.1", port=warehouse.port, password="wrong")
    assert caught.value.code == 516


def test_a_body_that_does_not_match_its_format_is_refused_and_nothing_lands(client: Client, table: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        client.raw_insert(table, ["id", "event"], insert_block="1,ok\nnot a number,bad\n", fmt="CSV")
    assert caught.value.code in (6, 27)  # CANNOT_PARSE_TEXT / CANNOT_PARSE_INPUT_ASSERTION_FAILED
    assert client.command(f"SELECT count() FROM {table}") == 0
    client.raw_insert(table, ["id", "event"], insert_block="1,ok\n2,fine\n", fmt="CSV")
    assert client.command(f"SELECT count() FROM {table}") == 2
