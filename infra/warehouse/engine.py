"""The chdb engine of this process and the connections requests run on.

chdb hosts one engine per process, bound to one data directory; any number of connections to it may
run queries in parallel, each with its own session state (current database, SET, temporary tables),
and chdb releases the GIL while the engine works. A connection costs about 0.2 ms to open, so a
request without a session gets a fresh one, and a named session keeps its own.

Every method here blocks: the server calls them from worker threads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import chdb
from chdb.state.sqlitelike import StreamingInserter, StreamingResult

from infra.warehouse import errors
from infra.warehouse.errors import ClickHouseError

T = TypeVar("T")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def engine_call(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call into chdb; whatever it raises leaves as the ClickHouseError its text describes."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:
        raise ClickHouseError.from_engine(exc) from None


@dataclass
class Summary:
    """The counters ClickHouse reports in X-ClickHouse-Summary."""

    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    elapsed_ns: int = 0

    def add_result(self, result: Any) -> None:
        """Add one chdb result (a whole one, or one chunk of a stream: chunk counters are increments)."""
        self.read_rows += result.storage_rows_read()
        self.read_bytes += result.storage_bytes_read()
        self.written_rows += result.rows_written()
        self.written_bytes += result.bytes_written()
        self.result_rows += result.rows_read()
        self.result_bytes += result.bytes_read()
        self.elapsed_ns += int(result.elapsed() * 1e9)

    def as_header(self) -> str:
        fields = {
            "read_rows": self.read_rows,
            "read_bytes": self.read_bytes,
            "written_rows": self.written_rows,
            "written_bytes": self.written_bytes,
            "total_rows_to_read": self.read_rows,
            "result_rows": self.result_rows,
            "result_bytes": self.result_bytes,
            "elapsed_ns": self.elapsed_ns,
        }
        return "{" + ",".join(f'"{key}":"{value}"' for key, value in fields.items()) + "}"


@dataclass
class Connection:
    """One engine connection; every engine error leaves it as a ClickHouseError (see engine_call)."""

    raw: chdb.state.sqlitelike.Connection
    database: str = "default"
    closed: bool = False

    def run(self, sql: str, fmt: str, params: Mapping[str, str] | None = None) -> Any:
        """Run a statement whole and return chdb's result (bytes() and counters)."""
        return engine_call(self.raw.query, sql, fmt, params=dict(params or {}))

    def stream(self, sql: str, fmt: str, params: Mapping[str, str] | None = None) -> StreamingResult:
        """Start a SELECT whose result is fetched chunk by chunk."""
        return engine_call(self.raw.send_query, sql, fmt, params=dict(params or {}))

    def insert(self, head: str, fmt: str) -> StreamingInserter:
        """Start an INSERT (the statement without its FORMAT clause) fed with bytes in ``fmt``."""
        return engine_call(self.raw.send_insert, head, fmt)

    def check(self, sql: str, readonly_error: str | None) -> None:
        """Refuse what ClickHouse's HTTP interface refuses: several statements, or a write when read-only.

        ``readonly_error`` is the message for a write, or None when writes are allowed.
        """
        # classify_query parses without running (about 15 µs); chdb itself would run several statements
        verdict = self.raw._conn.classify_query(sql)
        if verdict["statement_count"] > 1:
            raise ClickHouseError(errors.SYNTAX_ERROR, "Syntax error (Multi-statements are not allowed)")
        if readonly_error and verdict["query_class"].name == "MUTATING":
            raise ClickHouseError(errors.READONLY, readonly_error)

    def use(self, database: str) -> None:
        self.run(f"USE {quote_identifier(database)}", "TabSeparated")
        self.database = database

    def current_database(self) -> str:
        self.database = self.run("SELECT currentDatabase()", "TabSeparated").bytes().decode().strip()
        return self.database

    def set(self, settings: Mapping[str, str]) -> None:
        """Apply settings to this connection; an unknown name is refused as ClickHouse refuses it."""
        if not settings:
            return
        _check_setting_names(settings)
        assignments = ", ".join(f"{name} = {quote_string(value)}" for name, value in settings.items())
        self.run(f"SET {assignments}", "TabSeparated")

    def current_settings(self, names: Iterable[str]) -> dict[str, str]:
        """The connection's values of the named settings; an unknown name is refused as by SET."""
        wanted = list(names)
        _check_setting_names(wanted)
        if not wanted:
            return {}
        # getSetting() is about four times quicker than reading system.settings in chdb
        columns = ", ".join(f"toString(getSetting({quote_string(name)}))" for name in wanted)
        values = json.loads(self.run(f"SELECT {columns}", "JSONCompactEachRow").bytes())
        return dict(zip(wanted, values, strict=True))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.raw.close()


def _check_setting_names(names: Iterable[str]) -> None:
    """Names go into SQL unquoted, so anything but an identifier is refused before it gets there."""
    for name in names:
        if not _IDENTIFIER.match(name):
            raise ClickHouseError(errors.UNKNOWN_SETTING, f"Unknown setting '{name}'")


class Engine:
    """The process's engine, held open by an anchor connection while requests come and go."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = str(data_dir.resolve())
        self._anchor = Connection(chdb.connect(self.path))
        info = self._anchor.run("SELECT timezone(), version()", "TabSeparated").bytes().decode().split("\t")
        self.timezone, self.version = info[0], info[1].strip()
        names = self._anchor.run("SELECT name FROM system.formats", "TabSeparated").bytes().decode().split()
        self.formats = {name.lower(): name for name in names}

    def connect(self) -> Connection:
        return Connection(engine_call(chdb.connect, self.path))

    def close(self) -> None:
        self._anchor.close()
