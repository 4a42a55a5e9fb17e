"""ClickHouse exceptions as the HTTP interface reports them.

Clients (clickhouse-connect, dbt-clickhouse, curl users) recognise an error by three things: a non-2xx
status, the ``X-ClickHouse-Exception-Code`` header and a body that starts ``Code: N. DB::Exception:``.
Errors raised by the engine already carry their code and name; the few raised by the HTTP front itself
use the same codes ClickHouse's own server uses for them.
"""

from __future__ import annotations

import re

from chdb import engine_version

# Codes the HTTP front raises itself (names as errorCodeToName() gives them).
SYNTAX_ERROR = 62
UNKNOWN_SETTING = 115
BAD_ARGUMENTS = 36
NOT_IMPLEMENTED = 48
UNKNOWN_COMPRESSION_METHOD = 89
READONLY = 164
QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING = 216
QUERY_IS_TOO_LARGE = 229
ZLIB_INFLATE_FAILED = 354
SESSION_NOT_FOUND = 372
SESSION_IS_LOCKED = 373
INVALID_SESSION_TIMEOUT = 374
BROTLI_READ_FAILED = 448
AUTHENTICATION_FAILED = 516
ZSTD_DECODER_FAILED = 561
LZ4_DECODER_FAILED = 618
STD_EXCEPTION = 1001

_NAMES = {
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    UNKNOWN_COMPRESSION_METHOD: "UNKNOWN_COMPRESSION_METHOD",
    READONLY: "READONLY",
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING: "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING",
    QUERY_IS_TOO_LARGE: "QUERY_IS_TOO_LARGE",
    ZLIB_INFLATE_FAILED: "ZLIB_INFLATE_FAILED",
    SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    INVALID_SESSION_TIMEOUT: "INVALID_SESSION_TIMEOUT",
    BROTLI_READ_FAILED: "BROTLI_READ_FAILED",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    ZSTD_DECODER_FAILED: "ZSTD_DECODER_FAILED",
    LZ4_DECODER_FAILED: "LZ4_DECODER_FAILED",
    STD_EXCEPTION: "STD_EXCEPTION",
}

# ClickHouse's exceptionCodeToHTTPStatus (src/Server/HTTP/), by exception name; anything else is a 500.
_BAD_REQUEST = {
    "CANNOT_PARSE_TEXT",
    "CANNOT_PARSE_ESCAPE_SEQUENCE",
    "CANNOT_PARSE_QUOTED_STRING",
    "CANNOT_PARSE_DATE",
    "CANNOT_PARSE_DATETIME",
    "CANNOT_PARSE_NUMBER",
    "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
    "UNKNOWN_ELEMENT_IN_AST",
    "UNKNOWN_TYPE_OF_AST_NODE",
    "TOO_DEEP_AST",
    "TOO_BIG_AST",
    "UNEXPECTED_AST_STRUCTURE",
    "SYNTAX_ERROR",
    "INCORRECT_DATA",
    "TYPE_MISMATCH",
}
_NOT_FOUND = {
    "UNKNOWN_TABLE",
    "UNKNOWN_FUNCTION",
    "UNKNOWN_IDENTIFIER",
    "UNKNOWN_TYPE",
    "UNKNOWN_STORAGE",
    "UNKNOWN_DATABASE",
    "UNKNOWN_SETTING",
    "UNKNOWN_DIRECTION_OF_SORTING",
    "UNKNOWN_AGGREGATE_FUNCTION",
    "UNKNOWN_FORMAT",
    "UNKNOWN_DATABASE_ENGINE",
    "UNKNOWN_TYPE_OF_QUERY",
    "UNKNOWN_ROLE",
}
_STATUS_BY_NAME = {
    **dict.fromkeys(_BAD_REQUEST, 400),
    **dict.fromkeys(_NOT_FOUND, 404),
    "REQUIRED_PASSWORD": 401,
    "UNKNOWN_USER": 403,
    "WRONG_PASSWORD": 403,
    "AUTHENTICATION_FAILED": 403,
    "TIMEOUT_EXCEEDED": 408,
    "QUERY_IS_TOO_LARGE": 413,
    "HTTP_LENGTH_REQUIRED": 411,
    "NOT_IMPLEMENTED": 501,
    "SOCKET_TIMEOUT": 503,
    "CANNOT_OPEN_FILE": 503,
    "CANNOT_SCHEDULE_TASK": 503,
}

_ENGINE_MESSAGE = re.compile(r"Code: (\d+)\. DB::Exception: (.*)", re.DOTALL)
_TRAILING_NAME = re.compile(r"\s*\(([A-Z][A-Z0-9_]+)\)(?: \(version [^)]*\))?\s*$")


class ClickHouseError(Exception):
    """An error with ClickHouse's code, name and message."""

    def __init__(self, code: int, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.name = name or _NAMES.get(code, "UNKNOWN_EXCEPTION")

    @classmethod
    def from_engine(cls, exc: BaseException) -> ClickHouseError:
        """Read the code and name out of an exception raised by chdb (its text is ClickHouse's own)."""
        text = str(exc)
        match = _ENGINE_MESSAGE.search(text)
        if not match:
            return cls(STD_EXCEPTION, text)
        body = match.group(2).strip()
        trailing = _TRAILING_NAME.search(body)
        name = trailing.group(1) if trailing else None
        if trailing:
            body = body[: trailing.start()]
        return cls(int(match.group(1)), body, name)

    @property
    def http_status(self) -> int:
        return _STATUS_BY_NAME.get(self.name, 500)

    def render(self) -> str:
        """The body line ClickHouse sends: ``Code: N. DB::Exception: message. (NAME) (version V)``."""
        return f"Code: {self.code}. DB::Exception: {self.message} ({self.name}) (version {engine_version})\n"
