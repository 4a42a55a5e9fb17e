"""Response headers and bodies as ClickHouse's HTTP interface shapes them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

from infra.warehouse.errors import ClickHouseError

_TEXT = "text/plain; charset=UTF-8"
_BINARY_PREFIXES = (
    "native",
    "rowbinary",
    "parquet",
    "arrow",
    "orc",
    "avro",
    "protobuf",
    "msgpack",
    "capnproto",
    "bson",
    "npy",
)


def content_type(output_format: str) -> str:
    """The Content-Type ClickHouse sends for an output format."""
    name = output_format.lower()
    if name.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if name.startswith("csv"):
        header = "present" if "withnames" in name else "absent"
        return f"text/csv; charset=UTF-8; header={header}"
    if name in ("jsoneachrow", "jsonlines", "ndjson", "jsoncompacteachrow"):
        return "application/x-ndjson; charset=UTF-8"
    if name.startswith("json"):
        return "application/json; charset=UTF-8"
    if name == "xml":
        return "application/xml; charset=UTF-8"
    if name.startswith(_BINARY_PREFIXES):
        return "application/octet-stream"
    return _TEXT


def error_response(error: ClickHouseError, headers: dict[str, str]) -> PlainTextResponse:
    """An error before any of the result went out: status, exception code header and ``Code: N.`` body."""
    return PlainTextResponse(
        error.render(),
        status_code=error.http_status,
        headers={**headers, "X-ClickHouse-Exception-Code": str(error.code)},
        media_type=_TEXT,
    )


def exception_block(error: ClickHouseError, tag: str) -> bytes:
    """An error after the result started: the tagged block clients (25.11+) look for in the stream."""
    message = error.render().encode()
    return (
        b"__exception__\r\n" + tag.encode() + b"\r\n" + message + f"{len(message)} {tag}\r\n__exception__\r\n".encode()
    )


class ReleasingStreamingResponse(StreamingResponse):
    """A streaming response that gives its connection back however the exchange ends (even a client gone)."""

    def __init__(self, *args, release: Callable[[], Awaitable[None]], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release()
