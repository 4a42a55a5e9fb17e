"""The HTTP interface itself, as curl and any HTTP client see it."""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import brotli
import httpx
import lz4.frame
import pytest
from backports import zstd

from tests.integration.warehouse.conftest import PASSWORD
from tests.support.warehouse import WarehouseProcess

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "lz4": lz4.frame.compress,
    "zstd": zstd.compress,
    "br": brotli.compress,
}
DECOMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "lz4": lz4.frame.decompress,
    "zstd": zstd.decompress,
    "br": brotli.decompress,
}


@pytest.fixture
def http(warehouse: WarehouseProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=warehouse.url, auth=("default", PASSWORD), timeout=60) as client:
        yield client


@pytest.fixture
def table(http: httpx.Client) -> str:
    name = f"t_{uuid.uuid4().hex[:8]}"
    ok(http.post("/", content=f"CREATE TABLE {name} (a UInt32, s String) ENGINE = MergeTree ORDER BY a"))
    return name


def ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, response.text
    return response


def refused(response: httpx.Response, code: int, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["X-ClickHouse-Exception-Code"] == str(code)
    assert response.text.startswith(f"Code: {code}. DB::Exception: ")
    return response.text


def summary(response: httpx.Response) -> dict[str, int]:
    return {key: int(value) for key, value in json.loads(response.headers["X-ClickHouse-Summary"]).items()}


def refused_while_running(
    http: httpx.Client, warehouse: WarehouseProcess, slow: dict[str, str], probe: dict[str, str]
) -> httpx.Response:
    """The first refusal of ``probe`` while the ``slow`` request runs.

    A probe answered before the slow request started is harmless; a slow request that itself ran into
    a probe ends at once, and is tried again.
    """
    for _ in range(3):
        runner = threading.Thread(target=lambda: http.get("/", params=slow))
        runner.start()
        with httpx.Client(base_url=warehouse.url, auth=("default", PASSWORD)) as other:
            while runner.is_alive():
                response = other.get("/", params=probe)
                if response.status_code != 200:
                    runner.join()
                    return response
                time.sleep(0.05)
    raise AssertionError("the probe was never refused while the slow request ran")


# -- health ---------------------------------------------------------------------------------------


def test_ping_and_root_answer_ok_without_credentials(warehouse: WarehouseProcess) -> None:
    assert httpx.get(f"{warehouse.url}/ping").text == "Ok.\n"
    assert httpx.head(f"{warehouse.url}/ping").status_code == 200
    assert httpx.get(f"{warehouse.url}/").text == "Ok.\n"


# -- where the query comes from -----------------------------------------------------------------


def test_query_in_url_in_body_or_split_between_them(http: httpx.Client) -> None:
    assert ok(http.get("/", params={"query": "SELECT 1"})).text == "1\n"
    assert ok(http.post("/", content="SELECT 2")).text == "2\n"
    # ClickHouse joins the query parameter and the body with a newline
    assert ok(http.post("/", params={"query": "SELECT"}, content="3")).text == "3\n"


def test_insert_with_the_query_in_the_url_and_the_data_in_the_body(http: httpx.Client, table: str) -> None:
    response = ok(http.post("/", params={"query": f"INSERT INTO {table} FORMAT CSV"}, content="1,a\n2,b\n"))
    assert summary(response)["written_rows"] == 2
    assert ok(http.get("/", params={"query": f"SELECT * FROM {table} ORDER BY a"})).text == "1\ta\n2\tb\n"


def test_insert_with_query_and_data_together_in_the_body(http: httpx.Client, table: str) -> None:
    ok(http.post("/", content=f"INSERT INTO {table} FORMAT JSONEachRow\n" + '{"a": 5, "s": "x"}\n' * 3))
    ok(http.post("/", content=f"INSERT INTO {table} VALUES (6, 'y'), (7, 'z')"))
    assert ok(http.get("/", params={"query": f"SELECT count(), sum(a) FROM {table}"})).text == "5\t28\n"


def test_a_body_bigger_than_the_append_size_streams_in(http: httpx.Client, table: str) -> None:
    rows = 400_000  # about 5 MB of CSV: several appends into the engine
    body = "".join(f"{i},row{i}\n" for i in range(rows)).encode()
    response = ok(http.post("/", params={"query": f"INSERT INTO {table} FORMAT CSV"}, content=body))
    assert summary(response)["written_rows"] == rows
    assert (
        ok(http.get("/", params={"query": f"SELECT count(), sum(a) FROM {table}"})).text
        == f"{rows}\t{rows * (rows - 1) // 2}\n"
    )


# -- formats, database, query id, parameters, settings ------------------------------------------


def test_format_clause_and_default_format(http: httpx.Client) -> None:
    response = ok(http.get("/", params={"query": "SELECT 1 AS x FORMAT JSONEachRow"}))
    assert (response.text, response.headers["X-ClickHouse-Format"]) == ('{"x":1}\n', "JSONEachRow")
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    response = ok(http.get("/", params={"query": "SELECT 1 AS x", "default_format": "CSVWithNames"}))
    assert (response.text, response.headers["X-ClickHouse-Format"]) == ('"x"\n1\n', "CSVWithNames")
    response = ok(http.get("/", params={"query": "SELECT 1 AS x FORMAT TSV", "default_format": "JSON"}))
    assert response.text == "1\n"  # the clause wins over default_format, as in ClickHouse
    assert ok(http.get("/", params={"query": "SELECT 1"})).headers["X-ClickHouse-Format"] == "TabSeparated"


def test_database_parameter(http: httpx.Client) -> None:
    ok(http.post("/", content="CREATE DATABASE IF NOT EXISTS http_db"))
    ok(
        http.post(
            "/", params={"database": "http_db"}, content="CREATE TABLE IF NOT EXISTS here (a Int8) ENGINE = Memory"
        )
    )
    assert ok(http.get("/", params={"query": "SELECT currentDatabase()", "database": "http_db"})).text == "http_db\n"
    assert ok(http.get("/", params={"query": "EXISTS TABLE http_db.here"})).text == "1\n"
    refused(http.get("/", params={"query": "SELECT 1", "database": "no_such_db"}), 81, 404)


def test_query_id_is_echoed_or_made_up(http: httpx.Client) -> None:
    assert (
        ok(http.get("/", params={"query": "SELECT 1", "query_id": "my-id"})).headers["X-ClickHouse-Query-Id"] == "my-id"
    )
    made_up = ok(http.get("/", params={"query": "SELECT 1"})).headers["X-ClickHouse-Query-Id"]
    assert uuid.UUID(made_up)


def test_a_query_id_that_is_running_is_refused(http: httpx.Client, warehouse: WarehouseProcess) -> None:
    slow = {"query": "SELECT sleep(3)", "query_id": "busy"}
    response = refused_while_running(http, warehouse, slow, {"query": "SELECT 1", "query_id": "busy"})
    refused(response, 216, 500)
    assert ok(http.get("/", params={"query": "SELECT 1", "query_id": "busy"})).text == "1\n"


def test_query_parameters(http: httpx.Client) -> None:
    params = {"query": "SELECT {n:UInt8} + 1, {s:String}", "param_n": "41", "param_s": "it's"}
    assert ok(http.get("/", params=params)).text == "42\tit\\'s\n"


def test_settings_apply_to_one_query_and_unknown_ones_are_refused(http: httpx.Client) -> None:
    query = "SELECT getSetting('max_threads')"
    assert ok(http.get("/", params={"query": query, "max_threads": "1"})).text == "1\n"
    assert ok(http.get("/", params={"query": query})).text != "1\n"
    text = refused(http.get("/", params={"query": "SELECT 1", "no_such_setting": "1"}), 115, 404)
    assert "Unknown setting 'no_such_setting'" in text
    # names go into SQL: anything but an identifier is refused before it gets there
    refused(http.get("/", params={"query": "SELECT 1", "max_threads = 1; DROP TABLE x --": "1"}), 115, 404)
    # values are quoted, whatever they hold
    value = ok(
        http.get("/", params={"query": "SELECT getSetting('format_csv_delimiter')", "format_csv_delimiter": "'"})
    )
    assert value.text == "\\'\n"


def test_several_statements_are_refused(http: httpx.Client) -> None:
    refused(http.post("/", content="SELECT 1; SELECT 2"), 62, 400)
    refused(http.post("/", content="CREATE TABLE ms (a Int8) ENGINE = Memory; DROP TABLE ms"), 62, 400)


def test_get_is_readonly(http: httpx.Client) -> None:
    text = refused(http.get("/", params={"query": "CREATE TABLE ro (a Int8) ENGINE = Memory"}), 164, 500)
    assert "method GET implies readonly" in text
    refused(http.post("/", params={"readonly": "1"}, content="CREATE TABLE ro (a Int8) ENGINE = Memory"), 164, 500)


# -- sessions -----------------------------------------------------------------------------------


def test_session_keeps_set_use_and_temporary_tables(http: httpx.Client) -> None:
    session = {"session_id": uuid.uuid4().hex}
    ok(http.post("/", params=session, content="SET max_threads = 2"))
    ok(http.post("/", params=session, content="USE system"))
    ok(http.post("/", params=session, content="CREATE TEMPORARY TABLE tmp AS SELECT 40 AS x"))
    assert ok(http.get("/", params={**session, "query": "SELECT getSetting('max_threads')"})).text == "2\n"
    assert ok(http.get("/", params={**session, "query": "SELECT currentDatabase()"})).text == "system\n"
    assert ok(http.get("/", params={**session, "query": "SELECT x + 2 FROM tmp"})).text == "42\n"
    # a per-query setting or database leaves the session as it was
    ok(http.get("/", params={**session, "query": "SELECT 1", "max_threads": "1", "database": "default"}))
    assert ok(http.get("/", params={**session, "query": "SELECT getSetting('max_threads')"})).text == "2\n"
    assert ok(http.get("/", params={**session, "query": "SELECT currentDatabase()"})).text == "system\n"
    # a SET sent with per-query settings changes the session, and the per-query ones still go away
    ok(http.post("/", params={**session, "max_threads": "1"}, content="SET max_threads = 5"))
    assert (
        ok(http.get("/", params={**session, "query": "SELECT getSetting('max_threads')", "max_threads": "1"})).text
        == "1\n"
    )
    assert ok(http.get("/", params={**session, "query": "SELECT getSetting('max_threads')"})).text == "5\n"
    # another session sees none of it
    refused(http.get("/", params={"session_id": uuid.uuid4().hex, "query": "SELECT x FROM tmp"}), 60, 404)


def test_session_check_and_expiry(http: httpx.Client) -> None:
    session_id = uuid.uuid4().hex
    refused(http.get("/", params={"session_id": session_id, "session_check": "1", "query": "SELECT 1"}), 372, 500)
    ok(http.get("/", params={"session_id": session_id, "session_timeout": "1", "query": "SELECT 1"}))
    # as in ClickHouse, each request sets the timeout again (60 s when it names none)
    ok(
        http.get(
            "/", params={"session_id": session_id, "session_check": "1", "session_timeout": "1", "query": "SELECT 1"}
        )
    )
    time.sleep(3)  # the timeout is one second and the server looks once a second
    refused(http.get("/", params={"session_id": session_id, "session_check": "1", "query": "SELECT 1"}), 372, 500)
    refused(http.get("/", params={"session_id": session_id, "session_timeout": "x", "query": "SELECT 1"}), 374, 500)


def test_a_session_serves_one_request_at_a_time(http: httpx.Client, warehouse: WarehouseProcess) -> None:
    session = {"session_id": uuid.uuid4().hex}
    response = refused_while_running(
        http, warehouse, {**session, "query": "SELECT sleep(3)"}, {**session, "query": "SELECT 1"}
    )
    refused(response, 373, 500)
    assert ok(http.get("/", params={**session, "query": "SELECT 1"})).text == "1\n"


# -- compression --------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", COMPRESSORS)
def test_compressed_request_bodies(http: httpx.Client, table: str, encoding: str) -> None:
    body = COMPRESSORS[encoding](b"".join(b"%d,s%d\n" % (i, i) for i in range(1000)))
    headers = {"Content-Encoding": encoding}
    ok(http.post("/", params={"query": f"INSERT INTO {table} FORMAT CSV"}, content=body, headers=headers))
    ok(
        http.post(
            "/", content=COMPRESSORS[encoding](f"INSERT INTO {table} FORMAT CSV\n5000,x\n".encode()), headers=headers
        )
    )
    assert ok(http.get("/", params={"query": f"SELECT count() FROM {table}"})).text == "1001\n"


@pytest.mark.parametrize("encoding", ["gzip", "lz4", "zstd"])
def test_a_body_of_several_frames_streamed_in_odd_pieces_lands_whole(
    http: httpx.Client, table: str, encoding: str
) -> None:
    blocks = [
        b"".join(b"%d,s%d\n" % (i, i) for i in range(start, start + 20_000)) for start in range(0, 100_000, 20_000)
    ]
    body = b"".join(COMPRESSORS[encoding](block) for block in blocks)  # one frame per block, as clickhouse-connect

    def pieces() -> Iterator[bytes]:  # sent chunked, split inside frames
        for start in range(0, len(body), 9_973):
            yield body[start : start + 9_973]

    ok(
        http.post(
            "/",
            params={"query": f"INSERT INTO {table} FORMAT CSV"},
            content=pieces(),
            headers={"Content-Encoding": encoding},
        )
    )
    assert ok(http.get("/", params={"query": f"SELECT count(), sum(a) FROM {table}"})).text == "100000\t4999950000\n"


@pytest.mark.parametrize("encoding", COMPRESSORS)
def test_compressed_responses_when_asked(warehouse: WarehouseProcess, encoding: str) -> None:
    query = {"query": "SELECT number FROM numbers(100000)", "enable_http_compression": "1"}
    # a raw client, so that the body arrives exactly as sent
    with (
        httpx.Client(base_url=warehouse.url, auth=("default", PASSWORD)) as raw,
        raw.stream("GET", "/", params=query, headers={"Accept-Encoding": encoding}) as response,
    ):
        assert response.headers["Content-Encoding"] == encoding
        body = b"".join(response.iter_raw())
    assert DECOMPRESSORS[encoding](body) == b"".join(b"%d\n" % i for i in range(100000))


def test_no_compression_unless_the_setting_asks(http: httpx.Client) -> None:
    response = ok(http.get("/", params={"query": "SELECT 1"}, headers={"Accept-Encoding": "gzip"}))
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize("encoding", COMPRESSORS)
def test_a_truncated_compressed_body_is_refused_and_nothing_lands(
    http: httpx.Client, table: str, encoding: str
) -> None:
    blob = COMPRESSORS[encoding](b"".join(b"%d,s\n" % i for i in range(10000)))
    response = http.post(
        "/",
        params={"query": f"INSERT INTO {table} FORMAT CSV"},
        content=blob[: len(blob) // 2],
        headers={"Content-Encoding": encoding},
    )
    assert response.status_code == 500 and response.text.startswith("Code: ")
    assert "Cannot decompress" in response.text
    assert ok(http.get("/", params={"query": f"SELECT count() FROM {table}"})).text == "0\n"


def test_an_unknown_content_encoding_is_refused(http: httpx.Client) -> None:
    refused(http.post("/", content=b"SELECT 1", headers={"Content-Encoding": "snappy"}), 89, 500)


# -- results and their headers ----------------------------------------------------------------


def test_headers_clients_read(http: httpx.Client, table: str) -> None:
    ok(http.post("/", content=f"INSERT INTO {table} SELECT number, 'x' FROM numbers(1000)"))
    response = ok(http.get("/", params={"query": f"SELECT count() FROM {table} WHERE a < 500"}))
    assert response.headers["X-ClickHouse-Timezone"]
    assert response.headers["X-ClickHouse-Server-Display-Name"]
    counts = summary(response)
    assert counts["read_rows"] > 0 and counts["result_rows"] == 1
    assert counts["elapsed_ns"] > 0


def test_results_stream_without_being_held_in_memory(http: httpx.Client, warehouse: WarehouseProcess) -> None:
    rss_before = resident_kib(warehouse.pid)
    rows = 30_000_000  # about 260 MB of text
    received = 0
    with http.stream("GET", "/", params={"query": f"SELECT number FROM numbers({rows})"}) as response:
        assert response.status_code == 200
        assert "X-ClickHouse-Exception-Tag" in response.headers
        for chunk in response.iter_bytes():
            received += chunk.count(b"\n")
    assert received == rows
    grown_mib = (resident_kib(warehouse.pid) - rss_before) / 1024
    assert grown_mib < 150, f"server grew by {grown_mib:.0f} MiB while streaming about 260 MB"


def test_an_error_in_the_middle_of_a_stream_is_tagged(http: httpx.Client) -> None:
    query = "SELECT throwIf(number = 2000000, 'boom') FROM numbers(3000000)"
    with http.stream("GET", "/", params={"query": query}) as response:
        assert response.status_code == 200  # the headers went out before the error happened
        tag = response.headers["X-ClickHouse-Exception-Tag"]
        body = response.read()
    assert body.endswith(f" {tag}\r\n__exception__\r\n".encode())
    assert f"__exception__\r\n{tag}\r\nCode: 395. DB::Exception: boom".encode() in body


def test_an_error_before_the_result_is_a_plain_error(http: httpx.Client) -> None:
    refused(http.get("/", params={"query": "SELECT throwIf(1, 'early')"}), 395, 500)


# -- bad requests -------------------------------------------------------------------------------


def test_bad_requests_get_clickhouse_errors_and_the_server_keeps_serving(http: httpx.Client, table: str) -> None:
    refused(http.post("/", content="SELEC 1"), 62, 400)
    refused(http.post("/", content=""), 62, 400)
    refused(http.post("/", content=b"SELECT '\xff\xfe"), 62, 400)  # not UTF-8, and not closed
    refused(
        http.post("/", params={"query": f"INSERT INTO {table} FORMAT CSV"}, content="1,a\nnot-a-number,b\n"), 27, 400
    )
    refused(
        http.post("/", params={"query": f"INSERT INTO {table} FORMAT JSONEachRow"}, content="{nope"), 26, 400
    )  # CANNOT_PARSE_QUOTED_STRING
    refused(http.post("/", params={"query": "INSERT INTO no_such_table FORMAT CSV"}, content="1\n"), 60, 404)
    refused(http.get("/", params={"query": "SELECT 1", "compress": "1"}), 48, 501)
    assert ok(http.get("/", params={"query": f"SELECT count() FROM {table}"})).text == "0\n"


@pytest.mark.parametrize(
    "auth",
    [
        {"auth": ("default", "wrong")},
        {"auth": ("nobody", PASSWORD)},
        {"headers": {"X-ClickHouse-User": "default", "X-ClickHouse-Key": "wrong"}},
        {"params": {"user": "default", "password": "wrong"}},
        {"params": {"user": "default", "password": PASSWORD}, "auth": ("default", PASSWORD)},  # two schemes
    ],
)
def test_wrong_or_mixed_credentials_are_refused(warehouse: WarehouseProcess, auth: dict) -> None:
    params = {"query": "SELECT 1", **auth.pop("params", {})}
    refused(httpx.get(f"{warehouse.url}/", params=params, **auth), 516, 403)


@pytest.mark.parametrize(
    "auth",
    [
        {"headers": {"X-ClickHouse-User": "default", "X-ClickHouse-Key": PASSWORD}},
        {"params": {"user": "default", "password": PASSWORD}},
    ],
)
def test_every_credential_scheme_works(warehouse: WarehouseProcess, auth: dict) -> None:
    params = {"query": "SELECT 1", **auth.pop("params", {})}
    assert ok(httpx.get(f"{warehouse.url}/", params=params, **auth)).text == "1\n"


# -- concurrency --------------------------------------------------------------------------------


def test_a_slow_query_blocks_neither_ping_nor_inserts(
    http: httpx.Client, warehouse: WarehouseProcess, table: str
) -> None:
    slow = threading.Thread(target=lambda: http.get("/", params={"query": "SELECT sleepEachRow(1) FROM numbers(3)"}))
    slow.start()
    time.sleep(0.3)
    with httpx.Client(base_url=warehouse.url, auth=("default", PASSWORD)) as other:
        assert other.get("/ping").text == "Ok.\n"
        ok(other.post("/", params={"query": f"INSERT INTO {table} FORMAT CSV"}, content="1,a\n"))
        assert ok(other.get("/", params={"query": f"SELECT count() FROM {table}"})).text == "1\n"
    assert slow.is_alive(), "the slow query should still be running while the others were answered"
    slow.join()


def test_many_clients_at_once_get_their_own_answers(warehouse: WarehouseProcess) -> None:
    results: dict[int, str] = {}

    def work(n: int) -> None:
        with httpx.Client(base_url=warehouse.url, auth=("default", PASSWORD), timeout=60) as client:
            for round_ in range(5):
                query = f"SELECT sum(number) + {n * 1000 + round_} FROM numbers({100_000 + n})"
                results[n * 10 + round_] = client.get("/", params={"query": query}).text

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n in range(16):
        for round_ in range(5):
            rows = 100_000 + n
            assert results[n * 10 + round_] == f"{rows * (rows - 1) // 2 + n * 1000 + round_}\n"


def resident_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
