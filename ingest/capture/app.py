"""The capture API: `uvicorn --factory ingest.capture.app:create_app` (port 8000 in the local stack).

Three dialects, one pipeline (docs/INGESTION.md): Clickpath's own `/capture`, PostHog's routes
(`/batch/`, `/e/`, `/i/v0/e/`, `/capture/`, `/track/`, `/engage/`) and Segment's (`/v1/batch`,
`/v1/track`…). Each request is decoded, its key resolved, every event checked and stamped, the
project's rate limit applied, and the events produced to Kafka; the answer is 200 only once the broker
acknowledged all of them. A request is accepted whole or refused whole.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from infra.settings import Settings, get_settings
from ingest import events, payload, segment, useragent
from ingest.capture import metrics, openapi, remote_config
from ingest.capture.client_ip import ClientAddress
from ingest.capture.gate import Gate
from ingest.capture.ratelimit import RateLimit
from ingest.errors import CaptureError, invalid, too_large
from ingest.producer import SINGLE_LINGER_MS, EventProducer, KafkaUnavailableError

OK = b'{"status":1}'
SEGMENT_OK = b'{"success":true}'
GC_THRESHOLDS = (20_000, 20, 20)
POSTHOG_ROUTES = ("/e", "/i/v0/e", "/capture", "/track", "/engage", "/batch")
_LEGACY_SENT_AT_MIN_MS = 1_609_459_200_000  # 2021: smaller `_` values are old SDKs' seconds, ignored


class Capture:
    """The request pipeline shared by every route."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # one producer for single events, which their clients wait on, one for batches (ingest/producer.py)
        self.single, self.batched = EventProducer(settings, SINGLE_LINGER_MS), EventProducer(settings)
        self.producers = (self.single, self.batched)
        self.gate = Gate(settings)
        self.rate_limit = RateLimit(settings)
        self.client_address = ClientAddress(settings.capture_trusted_proxies)

    async def posthog(self, request: Request, native: bool = False) -> Response:
        document, form = await self._document(request)
        wrapper, batch = _posthog_batch(document)
        key = _bearer(request) or _posthog_key(wrapper, batch)
        if native and not key:
            raise CaptureError(401, "no project key: send api_key in the body or Authorization: Bearer", "api_key")
        sent_at = _sent_at(wrapper.get("sent_at", wrapper.get("sentAt")) or form.get("sent_at"), request)
        place = "batch[{}]" if wrapper or isinstance(document, list) else ""
        count = await self._accept(request, key, batch, place, sent_at, api="native" if native else "posthog")
        metrics.child(metrics.EVENTS, "native" if native else "posthog").inc(count)
        return Response(OK, media_type="application/json")

    async def segment(self, request: Request, single: str | None = None) -> Response:
        document, _ = await self._document(request)
        if not isinstance(document, dict):
            raise invalid("body", "a JSON object is expected")
        messages = [document] if single else _list(document.get("batch"), "batch")
        shared_context = document.get("context") if isinstance(document.get("context"), dict) else {}
        place = "" if single else "batch[{}]"
        batch = [
            segment.to_event(_with_context(message, shared_context), place.format(i), single)
            for i, message in enumerate(messages)
        ]
        key = segment.write_key(document, request.headers.get("authorization", ""))
        sent_at = _sent_at(document.get("sentAt"), request)
        count = await self._accept(request, key, batch, place, sent_at, api="segment")
        metrics.child(metrics.EVENTS, "segment").inc(count)
        return Response(SEGMENT_OK, media_type="application/json")

    async def _document(self, request: Request) -> tuple[Any, dict[str, str]]:
        body = await _read_body(request, self.settings.capture_max_request_bytes)
        return payload.decode(
            body,
            request.headers.get("content-type", ""),
            request.headers.get("content-encoding", ""),
            request.query_params,
            self.settings.capture_max_request_bytes,
        )

    async def _accept(
        self, request: Request, key: str | None, batch: list[Any], place: str, sent_at: datetime | None, api: str
    ) -> int:
        if not batch:
            raise invalid("batch", "no events in the request")
        if len(batch) > self.settings.capture_max_batch_events:
            raise too_large("batch", f"{len(batch)} events; at most {self.settings.capture_max_batch_events}")
        project_id = await self.gate.project(key)
        now = datetime.now(UTC)
        stamp = events.Stamp(
            project_id=project_id,
            now=now,
            sent_at=sent_at,
            ip=self.client_address.of(
                request.client.host if request.client else None, request.headers.get("x-forwarded-for")
            ),
            browser=useragent.describe(request.headers.get("user-agent", "")),
            max_event_bytes=self.settings.capture_max_event_bytes,
        )
        messages = [events.stamp(raw, place.format(i), stamp) for i, raw in enumerate(batch)]
        await self.rate_limit.admit(project_id, len(messages))
        try:
            await (self.single if len(messages) == 1 else self.batched).send(messages)
        except KafkaUnavailableError as exc:
            raise CaptureError(503, f"events not accepted, retry later: {exc}", code="kafka_unavailable") from None
        return len(messages)


def _posthog_batch(document: Any) -> tuple[dict[str, Any], list[Any]]:
    """PostHog's three shapes: an array of events, a {batch: [...]} wrapper, one event."""
    if isinstance(document, list):
        return {}, document
    if not isinstance(document, dict):
        raise invalid("body", "a JSON object or array is expected")
    if "batch" in document:
        return document, _list(document["batch"], "batch")
    return {}, [document]


def _posthog_key(wrapper: dict[str, Any], batch: list[Any]) -> str | None:
    for name in ("api_key", "token"):
        if isinstance(wrapper.get(name), str):
            return wrapper[name]
    tokens = {token for token in map(events.token_of, batch) if token is not None}
    events.refuse_inconsistent_tokens(tokens)
    return next(iter(tokens), None)


def _bearer(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    return authorization[7:].strip() or None if authorization[:7].lower() == "bearer " else None


def _sent_at(value: Any, request: Request) -> datetime | None:
    """The client's send time: the body's ISO text, else posthog-js's `sent_at` or `_` query (ms)."""
    if isinstance(value, str) and value:
        return events.parse_time(value, "sent_at")
    query = request.query_params.get("sent_at") or request.query_params.get("_")
    if query and query.isdigit() and int(query) >= _LEGACY_SENT_AT_MIN_MS:
        return events.parse_time(int(query), "sent_at")
    return None


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(field, "must be an array of events")
    return value


def _with_context(message: Any, shared: dict[str, Any]) -> Any:
    """A /v1/batch's own context applies to every message (the message's keys win)."""
    if shared and isinstance(message, dict):
        own = message.get("context") if isinstance(message.get("context"), dict) else {}
        return {**message, "context": {**shared, **own}}
    return message


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large("body", f"request body of {declared} bytes; at most {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large("body", f"request body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _error_response(request: Request, error: CaptureError) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code, "message": str(error), "field": error.field}
    if not request.url.path.startswith("/v1/"):  # Segment's SDKs read code and message at the top
        body = {"error": body}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        useragent.describe("Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36")  # loads the rules
        metrics.forget_dead_workers()
        app.state.capture = capture = Capture(settings)
        # Start-up leaves ~130,000 objects that live as long as the process; frozen, full collections skip
        # them (each walked them for ~80 ms, pausing every request: the p99). Decoding allocates a lot, so
        # young collections run less often too.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        yield
        for producer in capture.producers:
            await asyncio.to_thread(producer.close)

    app = FastAPI(
        title="Clickpath capture API",
        version="0.1.0",
        description="Events in: Clickpath's own endpoint, PostHog's and Segment's. See docs/INGESTION.md.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        # Prometheus /metrics is capture's telemetry; FastAPI's OpenTelemetry hooks cost CPU on every event
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.add_middleware(
        CORSMiddleware,  # PostHog's recipe: any origin echoed, with credentials (beacons send cookies)
        allow_origin_regex=".*",
        allow_credentials=True,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["Retry-After"],  # so a browser SDK can wait as a 429 tells it to
        max_age=86400,
    )

    @app.exception_handler(CaptureError)
    async def refused(request: Request, exc: CaptureError) -> JSONResponse:
        return _error_response(request, exc)

    _routes(app)
    openapi.document(app)
    return app


Handler = Callable[[Request], Awaitable[Response]]


def _timed(api: str, handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status_code
            return response
        except CaptureError as exc:
            status = exc.status
            raise
        finally:
            metrics.child(metrics.REQUESTS, api, str(status)).inc()
            metrics.child(metrics.LATENCY, api).observe(time.perf_counter() - started)

    return endpoint


def _capture(request: Request) -> Capture:
    return request.app.state.capture


def _routes(app: FastAPI) -> None:
    native = _timed("native", lambda request: _capture(request).posthog(request, native=True))
    app.add_api_route("/capture", native, methods=["POST"], name="capture", tags=["clickpath"])

    posthog = _timed("posthog", lambda request: _capture(request).posthog(request))
    for route in POSTHOG_ROUTES:
        for path in (route, route + "/"):
            for method in ("GET", "POST") if path != "/capture" else ():  # one route a method: unique OpenAPI ids
                app.add_api_route(path, posthog, methods=[method], name=f"posthog_{method.lower()}", tags=["posthog"])

    batch = _timed("segment", lambda request: _capture(request).segment(request))
    app.add_api_route("/v1/batch", batch, methods=["POST"], name="segment_batch", tags=["segment"])
    for kind in segment.TYPES:
        single = _timed("segment", lambda request, kind=kind: _capture(request).segment(request, single=kind))
        app.add_api_route(f"/v1/{kind}", single, methods=["POST"], name=f"segment_{kind}", tags=["segment"])

    @app.get("/array/{token}/config", tags=["posthog"])
    async def remote_config_json(token: str) -> JSONResponse:
        return JSONResponse(remote_config.config(token))

    @app.get("/array/{token}/config.js", tags=["posthog"])
    async def remote_config_js(token: str) -> Response:
        return Response(remote_config.config_js(token), media_type="application/javascript")

    async def flags() -> JSONResponse:
        return JSONResponse(remote_config.flags())

    for path in ("/flags", "/flags/", "/decide", "/decide/"):
        for method in ("GET", "POST"):
            app.add_api_route(path, flags, methods=[method], tags=["posthog"], name=f"flags_{method.lower()}")

    @app.get("/_health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/_ready", tags=["health"])
    async def ready(request: Request) -> JSONResponse:
        """Readiness: Kafka answers for the events topic."""
        try:
            for producer in _capture(request).producers:
                await asyncio.to_thread(producer.check)
        except KafkaUnavailableError as exc:
            return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["health"])
    async def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
