"""A built static site (the React dashboard, the example shop) served by uvicorn.

``create_app(folder)`` serves the folder's files. A GET for a page that is not there (no file extension,
a browser asking for HTML) gets ``index.html``, so a single-page app's client routes survive a reload;
a missing asset stays a 404. ``/config.json`` tells the page where the stack's APIs are, unless the
folder ships a ``config.json`` of its own:

    {"api_url": "http://<the page's host>:8001", "capture_url": "http://<the page's host>:8000",
     "project_api_key": "<the demo project's key, once demo.json exists>"}

(the local ports shifted by ``CLICKPATH_PORT_OFFSET``; ``CLICKPATH_API_PUBLIC_URL`` and
``CLICKPATH_CAPTURE_PUBLIC_URL`` override them). Hashed assets under ``/assets/`` (what Vite emits) are
cached for good; everything else is revalidated on each load.

Run by the local stack as ``uvicorn --factory infra.stack.static_site:create_app`` with the folder in
``CLICKPATH_STATIC_FOLDER`` (see ``infra.stack.services.static_site``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from infra.settings import Settings, get_settings

FOLDER_VARIABLE = "CLICKPATH_STATIC_FOLDER"
NO_STORE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


class _SiteFiles(StaticFiles):
    """StaticFiles with index.html for unknown pages and cache headers fit for a Vite build."""

    async def check_config(self) -> None:
        if not Path(str(self.directory)).is_dir():  # not built yet: say so, and look again on the next request
            raise HTTPException(503, f"{self.directory} does not exist: build the site first")
        await super().check_config()

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or not _is_page(path, scope):
                raise
            response = await super().get_response("index.html", scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        if path.startswith("assets/") and response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers.setdefault("Cache-Control", NO_STORE)
        return response


def _is_page(path: str, scope: Scope) -> bool:
    """A client route of the app (``/dashboards/3``), not a missing file (``/assets/x.js``)."""
    accept = dict(scope.get("headers", [])).get(b"accept", b"")
    return "." not in PurePosixPath(path).name and (not accept or b"text/html" in accept or b"*/*" in accept)


def public_urls(settings: Settings, request: Request) -> dict[str, str]:
    """Where a browser that loaded this page reaches the APIs: the same host, on their ports."""
    host = request.url.hostname or "127.0.0.1"
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    scheme = request.url.scheme
    return {
        "api_url": settings.api_public_url or f"{scheme}://{host}:{settings.port('api')}",
        "capture_url": settings.capture_public_url or f"{scheme}://{host}:{settings.port('capture')}",
    }


def demo_key(settings: Settings) -> dict[str, str]:
    """The demo project's key from the demo.json `clickpath up` wrote (the example shop sends its events with
    it); nothing before that. A project key only lets a page send events, as in every SDK snippet."""
    try:
        key = json.loads((settings.home_dir / "demo.json").read_text())["demo"]["project_api_key"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {"project_api_key": str(key)}


def create_app(folder: str | Path | None = None, settings: Settings | None = None) -> Starlette:
    """The site in ``folder`` (default: ``$CLICKPATH_STATIC_FOLDER``)."""
    if folder is None:
        if not os.environ.get(FOLDER_VARIABLE):
            raise RuntimeError(f"{FOLDER_VARIABLE} must name the folder to serve")
        folder = os.environ[FOLDER_VARIABLE]
    root = Path(folder).resolve()
    settings = settings or get_settings()

    async def config(request: Request) -> Response:
        own = root / "config.json"
        if own.is_file():
            return Response(own.read_bytes(), media_type="application/json", headers={"Cache-Control": NO_STORE})
        return JSONResponse(public_urls(settings, request) | demo_key(settings), headers={"Cache-Control": NO_STORE})

    async def health(request: Request) -> Response:
        if not (root / "index.html").is_file():
            return PlainTextResponse(f"{root} has no index.html: build the site first", status_code=503)
        return PlainTextResponse("ok", headers={"Cache-Control": NO_STORE})

    return Starlette(
        routes=[
            Route("/config.json", config, methods=["GET", "HEAD"]),
            Route("/_health", health, methods=["GET", "HEAD"]),
            # check_dir=False: the service starts (and its health check says why it is unhealthy) before a build
            Mount("/", _SiteFiles(directory=root, html=True, check_dir=False)),
        ]
    )
