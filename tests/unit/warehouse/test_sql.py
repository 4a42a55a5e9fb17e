import pytest

from infra.warehouse.sql import scan

FORMATS = {name.lower(): name for name in ("CSV", "Native", "JSON", "JSONEachRow", "TabSeparated", "Values")}


@pytest.mark.parametrize(
    ("text", "keyword", "output_format"),
    [
        (b"SELECT 1", "SELECT", None),
        (b"SELECT 1 FORMAT JSON", "SELECT", "JSON"),
        (b"select 1 format jsoneachrow", "SELECT", "JSONEachRow"),
        (b"(SELECT 1) FORMAT CSV", "(", "CSV"),
        (b"WITH 1 AS x SELECT x FORMAT Native", "WITH", "Native"),
        # a column, a function or a qualified name called format is not the clause
        (b"SELECT format FROM t", "SELECT", None),
        (b"SELECT format('{}', 1) FROM t", "SELECT", None),
        (b"SELECT t.format FROM t", "SELECT", None),
        # nor is FORMAT inside strings, quoted identifiers, comments or brackets
        (b"SELECT 'FORMAT JSON'", "SELECT", None),
        (b'SELECT "FORMAT" FROM t', "SELECT", None),
        (b"-- FORMAT CSV\nSELECT 1", "SELECT", None),
        (b"/* FORMAT CSV */ SELECT 1", "SELECT", None),
        (b"SELECT (SELECT 1 FORMAT CSV)", "SELECT", None),
        (b"", "", None),
        (b"  \n SHOW TABLES", "SHOW", None),
    ],
)
def test_statement_kind_and_format(text: bytes, keyword: str, output_format: str | None) -> None:
    statement = scan(text, FORMATS)
    assert statement is not None
    assert (statement.keyword, statement.output_format) == (keyword, output_format)
    assert not statement.is_insert_with_data


@pytest.mark.parametrize(
    ("text", "head", "data"),
    [
        (b"INSERT INTO t FORMAT CSV\n1,2\n", b"INSERT INTO t ", b"1,2\n"),
        (b"INSERT INTO t FORMAT CSV 1,2", b"INSERT INTO t ", b"1,2"),
        (b"INSERT INTO t FORMAT CSV\r\n1,2", b"INSERT INTO t ", b"1,2"),
        (b"INSERT INTO t (format) FORMAT Native \n\x00\x01\xff", b"INSERT INTO t (format) ", b"\x00\x01\xff"),
        # one line break belongs to the clause, the next one to the data
        (b"INSERT INTO format FORMAT CSV\n\n1", b"INSERT INTO format ", b"\n1"),
        (b"INSERT INTO t SETTINGS a=1 FORMAT JSONEachRow\n{}", b"INSERT INTO t SETTINGS a=1 ", b"{}"),
    ],
)
def test_insert_data_starts_after_the_format_name(text: bytes, head: bytes, data: bytes) -> None:
    statement = scan(text, FORMATS)
    assert statement is not None and statement.is_insert_with_data
    assert text[: statement.head_end] == head
    assert text[statement.data_offset :] == data


def test_insert_values_runs_as_a_statement() -> None:
    statement = scan(b"INSERT INTO t VALUES (1, 'FORMAT CSV')", FORMATS)
    assert statement is not None and statement.keyword == "INSERT" and not statement.is_insert_with_data


def test_incomplete_insert_waits_for_more_text() -> None:
    assert scan(b"INSERT INTO t", FORMATS, complete=False) is None
    assert scan(b"INSERT INTO t FORMAT Nat", FORMATS, complete=False) is None  # "Native" may be cut in two
    statement = scan(b"INSERT INTO t FORMAT Native\n", FORMATS, complete=False)
    assert statement is not None and statement.output_format == "Native" and statement.data_offset == 28


def test_unknown_format_name_is_left_to_the_engine() -> None:
    statement = scan(b"SELECT 1 FORMAT NoSuchFormat", FORMATS)
    assert statement is not None and statement.output_format is None
