"""The embedded ClickHouse server: ClickHouse's HTTP interface in front of this process's chdb engine.

One process owns the data directory. Each request runs on an engine connection of its own (or on its
named session's), in worker threads, so queries run in parallel and a slow one never holds up /ping
or an insert. Results stream out chunk by chunk; insert bodies stream in, decompressed on the fly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from infra.warehouse import codecs, errors, options, sql
from infra.warehouse.engine import Connection, Engine, Summary, engine_call
from infra.warehouse.errors import ClickHouseError
from infra.warehouse.responses import ReleasingStreamingResponse, content_type, error_response, exception_block
from infra.warehouse.sessions import Overlay, Session, SessionRegistry

log = logging.getLogger("clickpath.warehouse")

APPEND_BYTES = 1 << 20  # insert data handed to the engine per call: few thread hops, bounded memory
MAX_INSERT_HEAD = 256 << 10  # ClickHouse's max_query_size: how far to look for an INSERT's FORMAT
MAX_QUERY_BYTES = 16 << 20  # a statement (not insert data) larger than this is refused before parsing
KEEP_ALIVE_S = 30  # idle seconds a client connection is kept; uvicorn is started with the same value
EXPIRY_INTERVAL_S = 1.0
OK = "Ok.\n"


@dataclass
class ServerConfig:
    data_dir: Path
    user: str = "default"
    password: str = ""
    display_name: str = field(default_factory=socket.gethostname)


@dataclass
class Lease:
    """An engine connection lent to one request, and how to give it back as it was."""

    connection: Connection
    query_id: str
    session: Session | None = None
    close_session: bool = False
    stream: Any = None
    released: bool = False


class Warehouse:
    """State shared by all requests: the engine, the sessions, the queries running now."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.engine: Engine
        self.sessions: SessionRegistry
        self.running: set[str] = set()

    async def start(self) -> None:
        self.engine = await to_thread.run_sync(Engine, self.config.data_dir)
        self.sessions = SessionRegistry(self.engine)

    async def stop(self) -> None:
        for session in self.sessions.drain():
            await to_thread.run_sync(session.connection.close)
        await to_thread.run_sync(self.engine.close)

    async def expire_sessions(self) -> None:
        while True:
            await asyncio.sleep(EXPIRY_INTERVAL_S)
            for session in self.sessions.expired():
                await to_thread.run_sync(session.connection.close)

    # -- one request ---------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        if request.method == "GET" and not request.query_params:
            return PlainTextResponse(OK)
        query_id = request.query_params.get("query_id", "")
        try:
            opts = options.parse(request.query_params, request.headers)
            query_id = opts.query_id
            self._authenticate(opts.credentials)
            body = _decoded_body(request)
            lease = await self._lease(opts)
            try:
                return await self._execute(request, opts, body, lease)
            except BaseException:
                await self._release(lease)
                raise
        except ClickHouseError as error:
            return error_response(error, self._base_headers(query_id))
        except Exception as exc:  # a bug of ours must still answer as ClickHouse would, and be logged
            log.exception("request failed")
            return error_response(
                ClickHouseError(errors.STD_EXCEPTION, f"std::exception: {exc}"), self._base_headers(query_id)
            )

    def _authenticate(self, credentials: options.Credentials) -> None:
        expected = self.config
        user_ok = hmac.compare_digest(credentials.user.encode(), expected.user.encode())
        password_ok = hmac.compare_digest(credentials.password.encode(), expected.password.encode())
        if not (user_ok and password_ok):
            raise ClickHouseError(
                errors.AUTHENTICATION_FAILED,
                f"{credentials.user}: Authentication failed: "
                "password is incorrect, or there is no user with such name.",
            )

    async def _lease(self, opts: options.Options) -> Lease:
        if opts.query_id in self.running:
            raise ClickHouseError(
                errors.QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING, f"Query with id = {opts.query_id} is already running."
            )
        session = None
        if opts.session_id:
            session = self.sessions.acquire(opts.session_id, opts.session_timeout_s, opts.session_check)
            connection = session.connection
        else:
            connection = await to_thread.run_sync(_connect, self.engine, opts)
        self.running.add(opts.query_id)
        return Lease(connection, opts.query_id, session, opts.close_session)

    async def _release(self, lease: Lease) -> None:
        if lease.released:
            return
        lease.released = True
        self.running.discard(lease.query_id)
        if lease.session is None:
            if not lease.connection.closed:  # a stream read to its end closed it already
                await to_thread.run_sync(_close, lease)
            return
        if lease.stream is not None:
            await to_thread.run_sync(_cancel_stream, lease)
        self.sessions.release(lease.session, close=lease.close_session)

    async def _execute(
        self, request: Request, opts: options.Options, body: AsyncIterator[bytes], lease: Lease
    ) -> Response:
        text, statement, leading = await self._read_statement(opts.query, body)
        if not text.strip():
            raise ClickHouseError(errors.SYNTAX_ERROR, "Empty query")
        if lease.session is not None:
            await to_thread.run_sync(_prepare_session, lease.session, opts, statement.keyword)
        head = text[: statement.head_end] if statement.is_insert_with_data else text
        # bytes that are not UTF-8 become U+FFFD, so the engine answers with its own syntax error
        head_sql = head.decode(errors="replace")
        lease.connection.check(head_sql, _readonly_error(request.method, opts))
        encoding = codecs.choose_encoding(request.headers.get("accept-encoding")) if opts.compress_response else None
        if statement.is_insert_with_data:
            assert statement.output_format is not None
            summary = await self._insert(lease, head_sql, statement.output_format, leading, body)
            await self._release(lease)
            return Response(b"", headers=self._headers(opts, opts.default_format, summary, None))
        output_format = statement.output_format or opts.default_format
        if statement.streams:
            return await self._stream(lease, head_sql, output_format, opts, encoding)
        result = await to_thread.run_sync(lease.connection.run, head_sql, opts.default_format, opts.params)
        summary = Summary()
        summary.add_result(result)
        if statement.keyword == "USE":
            await to_thread.run_sync(lease.connection.current_database)
        await self._release(lease)
        encoder = codecs.encoder_for(encoding, opts.compression_level)
        payload = encoder.feed(result.bytes()) + encoder.finish()
        return Response(payload, headers=self._headers(opts, output_format, summary, encoding))

    async def _read_statement(self, query: bytes, body: AsyncIterator[bytes]) -> tuple[bytes, sql.Statement, bytes]:
        """Read as much of the request as the statement needs.

        Returns the statement's text, what it is, and for ``INSERT … FORMAT`` the inline data read
        so far (the rest is still in ``body``). As in ClickHouse, the ``query`` parameter and the body
        join with a newline.
        """
        formats = self.engine.formats
        text = bytearray(query + b"\n" if query else b"")
        statement = sql.scan(bytes(text), formats, complete=False) if query else None
        if statement is None:
            async for chunk in body:
                text += chunk
                statement = sql.scan(bytes(text), formats, complete=False)
                if statement is not None or len(text) > MAX_INSERT_HEAD:
                    break
        if statement is None or not statement.is_insert_with_data:
            async for chunk in body:
                text += chunk
                if len(text) > MAX_QUERY_BYTES:
                    raise ClickHouseError(errors.QUERY_IS_TOO_LARGE, f"Query is larger than {MAX_QUERY_BYTES} bytes")
            statement = sql.scan(bytes(text), formats)
        assert statement is not None
        leading = text[statement.data_offset :] if statement.data_offset is not None else b""
        return bytes(text), statement, bytes(leading)

    async def _insert(
        self, lease: Lease, head: str, data_format: str, leading: bytes, body: AsyncIterator[bytes]
    ) -> Summary:
        """Feed the body to the engine APPEND_BYTES at a time, receiving the next piece while the engine parses
        this one (one append in flight): the network and the parser work side by side, memory stays bounded."""
        inserter = await to_thread.run_sync(lease.connection.insert, head, data_format)
        appending: asyncio.Task[None] | None = None
        try:
            pending = bytearray(leading)
            async for chunk in body:
                pending += chunk
                if len(pending) >= APPEND_BYTES:
                    if appending is not None:
                        await appending
                    appending = asyncio.create_task(_append(inserter, bytes(pending)))
                    pending.clear()
            if appending is not None:
                await appending
            if pending:
                await _append(inserter, bytes(pending))
            result = await to_thread.run_sync(engine_call, inserter.finish)
        except BaseException:
            if appending is not None:  # a thread cannot be stopped: let its append end before cancelling
                with contextlib.suppress(BaseException):
                    await asyncio.shield(appending)
            await to_thread.run_sync(inserter.cancel)
            raise
        return Summary(
            written_rows=result.rows_written, written_bytes=result.bytes_written, elapsed_ns=int(result.elapsed * 1e9)
        )

    async def _stream(
        self, lease: Lease, sql_text: str, output_format: str, opts: options.Options, encoding: str | None
    ) -> Response:
        held, summary, exhausted = await to_thread.run_sync(_start_stream, lease, sql_text, opts)
        encoder = codecs.encoder_for(encoding, opts.compression_level)
        headers = self._headers(opts, output_format, summary, encoding)
        if exhausted:
            await self._release(lease)
            return Response(b"".join(encoder.feed(piece) for piece in held) + encoder.finish(), headers=headers)
        tag = secrets.token_hex(8)
        headers["X-ClickHouse-Exception-Tag"] = tag
        return ReleasingStreamingResponse(
            _rest_of_stream(lease, held, encoder, tag), headers=headers, release=lambda: self._release(lease)
        )

    # -- headers -------------------------------------------------------------------------------

    def _base_headers(self, query_id: str) -> dict[str, str]:
        headers = {"X-ClickHouse-Server-Display-Name": self.config.display_name}
        if query_id:
            headers["X-ClickHouse-Query-Id"] = query_id
        return headers

    def _headers(
        self, opts: options.Options, output_format: str, summary: Summary, encoding: str | None
    ) -> dict[str, str]:
        headers = {
            **self._base_headers(opts.query_id),
            "X-ClickHouse-Format": output_format,
            "X-ClickHouse-Timezone": self.engine.timezone,
            "X-ClickHouse-Summary": summary.as_header(),
            "Content-Type": content_type(output_format),
            "Keep-Alive": f"timeout={KEEP_ALIVE_S}",
        }
        if encoding:
            headers["Content-Encoding"] = encoding
        return headers


_USE_POST = "You should use method POST for modifying queries"


def _readonly_error(method: str, opts: options.Options) -> str | None:
    """ClickHouse's READONLY message when the request may not write, else None."""
    refusal = f"{opts.credentials.user}: Cannot execute query in readonly mode."
    if opts.readonly:
        return refusal
    if method == "GET":
        return f"{refusal} For queries over HTTP, method GET implies readonly. {_USE_POST}"
    return None


async def _decoded_body(request: Request) -> AsyncIterator[bytes]:
    decoder = codecs.decoder_for(request.headers.get("content-encoding"))
    async for chunk in request.stream():
        if chunk:
            out = decoder.feed(chunk)
            if out:
                yield out
    tail = decoder.finish()
    if tail:
        yield tail


async def _rest_of_stream(lease: Lease, held: list[bytes], encoder: codecs.Encoder, tag: str) -> AsyncIterator[bytes]:
    try:
        for piece in held:
            yield encoder.feed(piece)
        held.clear()
        while (chunk := await to_thread.run_sync(engine_call, lease.stream.fetch)) is not None:
            out = encoder.feed(chunk.bytes())
            if out:
                yield out
        lease.stream = None
        yield encoder.finish()
    except ClickHouseError as error:
        lease.stream = None
        yield encoder.feed(exception_block(error, tag)) + encoder.finish()


# -- blocking steps, run in worker threads ------------------------------------------------------
# Each hop to a worker thread costs about 0.1 ms on two cores, more under load: a request without a
# session takes two, one to connect (with its settings and database), one to run and read its result.


def _connect(engine: Engine, opts: options.Options) -> Connection:
    """A connection of the request's own, with its settings and database for this request only."""
    connection = engine.connect()
    try:
        connection.set(opts.settings)
        if opts.database:
            connection.use(opts.database)
    except BaseException:
        connection.close()
        raise
    return connection


def _prepare_session(session: Session, opts: options.Options, keyword: str) -> None:
    if keyword in ("SET", "USE"):
        session.take_off()  # it changes the session itself, which must not keep a request's overlay
    else:
        session.wear(Overlay(opts.settings, opts.database))


def _start_stream(lease: Lease, sql_text: str, opts: options.Options) -> tuple[list[bytes], Summary, bool]:
    """Start a SELECT and read it up to the response buffer (or whole): the chunks, their counters, and whether
    it ended. A request's own connection is closed as soon as its result is read to the end."""
    lease.stream = lease.connection.stream(sql_text, opts.default_format, opts.params)
    summary, held, size = Summary(), [], 0
    while opts.wait_end_of_query or size < opts.buffer_size:
        chunk = engine_call(lease.stream.fetch)
        if chunk is None:
            lease.stream = None
            if lease.session is None:
                lease.connection.close()
            return held, summary, True
        summary.add_result(chunk)
        held.append(chunk.bytes())
        size += len(held[-1])
    return held, summary, False


def _close(lease: Lease) -> None:
    _cancel_stream(lease)
    lease.connection.close()


def _cancel_stream(lease: Lease) -> None:
    if lease.stream is not None:
        with contextlib.suppress(Exception):
            lease.stream.cancel()
        lease.stream = None


async def _ping(_: Request) -> Response:
    return PlainTextResponse(OK)


def create_app(config: ServerConfig) -> Starlette:
    warehouse = Warehouse(config)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await warehouse.start()
        expiry = asyncio.create_task(warehouse.expire_sessions())
        log.info("serving %s (ClickHouse %s)", config.data_dir, warehouse.engine.version)
        try:
            yield
        finally:
            expiry.cancel()
            await warehouse.stop()
            log.info("stopped: engine closed, %s flushed", config.data_dir)

    return Starlette(
        routes=[
            Route("/", warehouse.handle, methods=["GET", "POST"]),
            Route("/ping", _ping, methods=["GET", "HEAD"]),
            Route("/replicas_status", _ping, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def _append(inserter: Any, data: bytes) -> None:
    await to_thread.run_sync(engine_call, inserter.append, data)
