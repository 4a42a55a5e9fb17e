"""What an HTTP request asks for, read from its URL parameters and headers as ClickHouse reads them.

URL parameters are either reserved (query, database, session_id, …), query parameters
(``param_<name>``), or settings. Settings that shape the HTTP exchange itself (compression,
progress headers, readonly) are acted on here; the rest go to the engine, which refuses the
names it does not know.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from infra.warehouse import errors, sessions
from infra.warehouse.errors import ClickHouseError

# Reserved by ClickHouse's HTTP handler: never settings.
RESERVED = frozenset(
    {
        "query",
        "database",
        "default_format",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "close_session",
        "user",
        "password",
        "quota_key",
        "compress",
        "decompress",
        "stacktrace",
        "role",
        "buffer_size",
        "wait_end_of_query",
        "client_protocol_version",
    }
)
# Settings about the HTTP exchange, which the front honours itself and the engine never sees.
HTTP_SETTINGS = frozenset(
    {
        "enable_http_compression",
        "http_zlib_compression_level",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
        "add_http_cors_header",
        "http_response_buffer_size",
        "http_wait_end_of_query",
        "readonly",
    }
)
DEFAULT_BUFFER_SIZE = 1 << 20  # ClickHouse's DBMS_DEFAULT_BUFFER_SIZE: result bytes held before headers go out


@dataclass
class Credentials:
    user: str
    password: str


@dataclass
class Options:
    query: bytes = b""
    database: str | None = None
    default_format: str = "TabSeparated"
    query_id: str = ""
    session_id: str | None = None
    session_timeout_s: float = sessions.DEFAULT_TIMEOUT_S
    session_check: bool = False
    close_session: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    compress_response: bool = False
    compression_level: int = 3
    readonly: int = 0
    buffer_size: int = DEFAULT_BUFFER_SIZE
    wait_end_of_query: bool = False
    credentials: Credentials = field(default_factory=lambda: Credentials("default", ""))


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ClickHouseError(errors.BAD_ARGUMENTS, f"Cannot parse '{name}' value '{value}' as an integer") from None


def parse(params: Mapping[str, str], headers: Mapping[str, str]) -> Options:
    """Read the options of one request; raises ClickHouseError for a value that makes no sense."""
    options = Options(
        query=params.get("query", "").encode(),
        database=params.get("database") or headers.get("x-clickhouse-database") or None,
        default_format=params.get("default_format") or headers.get("x-clickhouse-format") or "TabSeparated",
        query_id=params.get("query_id") or headers.get("x-clickhouse-query-id") or str(uuid.uuid4()),
        session_id=params.get("session_id") or None,
        session_check=_flag(params.get("session_check")),
        close_session=_flag(params.get("close_session")),
        wait_end_of_query=_flag(params.get("wait_end_of_query")),
        credentials=credentials(params, headers),
    )
    if options.session_id:
        options.session_timeout_s = sessions.parse_timeout(params.get("session_timeout"))
    if "buffer_size" in params:
        options.buffer_size = _int("buffer_size", params["buffer_size"])
    if _flag(params.get("compress")) or _flag(params.get("decompress")):
        raise ClickHouseError(
            errors.NOT_IMPLEMENTED,
            "ClickHouse's internal compression (compress=1/decompress=1) is not supported by the embedded "
            "server: use HTTP compression (Content-Encoding, enable_http_compression=1)",
        )
    for name, value in params.items():
        if name.startswith("param_"):
            options.params[name[len("param_") :]] = value
        elif name in HTTP_SETTINGS:
            _apply_http_setting(options, name, value)
        elif name not in RESERVED and name:
            options.settings[name] = value
    return options


def _apply_http_setting(options: Options, name: str, value: str) -> None:
    if name == "enable_http_compression":
        options.compress_response = _flag(value)
    elif name == "http_zlib_compression_level":
        options.compression_level = _int(name, value)
    elif name == "readonly":
        options.readonly = _int(name, value)
    elif name == "http_wait_end_of_query":
        options.wait_end_of_query = options.wait_end_of_query or _flag(value)
    elif name == "http_response_buffer_size":
        options.buffer_size = _int(name, value)


def credentials(params: Mapping[str, str], headers: Mapping[str, str]) -> Credentials:
    """User and password from X-ClickHouse-User/Key, Basic auth or URL parameters (one scheme only)."""
    header_user, header_key = headers.get("x-clickhouse-user"), headers.get("x-clickhouse-key")
    authorization = headers.get("authorization")
    in_params = "user" in params or "password" in params
    schemes = sum((header_user is not None or header_key is not None, authorization is not None, in_params))
    if schemes > 1:
        raise ClickHouseError(
            errors.AUTHENTICATION_FAILED,
            "Invalid authentication: it is not allowed to use several authentication schemes simultaneously",
        )
    if header_user is not None or header_key is not None:
        return Credentials(header_user or "default", header_key or "")
    if authorization is not None:
        return _basic(authorization)
    return Credentials(params.get("user") or "default", params.get("password", ""))


def _basic(authorization: str) -> Credentials:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise ClickHouseError(
            errors.AUTHENTICATION_FAILED,
            f"Invalid authentication: '{scheme}' HTTP Authorization scheme is not supported",
        )
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise ClickHouseError(
            errors.AUTHENTICATION_FAILED, "Invalid authentication: malformed Basic credentials"
        ) from None
    return Credentials(user or "default", password)
