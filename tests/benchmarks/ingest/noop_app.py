"""The capture app with one more route, POST /noop, that reads the body and answers capture's 200.

`uvicorn --factory tests.benchmarks.ingest.noop_app:create_app`, run with capture's own command-line options
beside the stack's capture: the same server, middleware and routing, none of the pipeline (decoding, key,
stamping, rate limit, Kafka). Single-event capture's requests/s against this one's is what the pipeline costs.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from infra.settings import Settings
from ingest.capture.app import OK
from ingest.capture.app import create_app as create_capture_app


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_capture_app(settings)

    async def noop(request: Request) -> Response:
        await request.body()
        return Response(OK, media_type="application/json")

    app.add_api_route("/noop", noop, methods=["POST"], include_in_schema=False)
    return app
