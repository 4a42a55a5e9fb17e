"""One error shape for every failure: ``{"error": {"code": …, "message": …, "field": …}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "rate_limited",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class APIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.code = code or _CODES.get(status, "error")
        self.headers = headers


def not_found(what: str) -> APIError:
    return APIError(404, f"{what} not found")


def _response(
    status: int, code: str, message: str, field: str | None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _path(loc: tuple[str | int, ...], body: object) -> list[str]:
    """A validation error's location as a path in the request: without where the value came from (``body``,
    ``query``, ``path``) nor the tag pydantic puts after a discriminated union's location (the ``kind`` of a
    query body, at the top or nested as an insight's ``query``), which is not a field."""
    path: list[str] = []
    node, tagged = body if loc[:1] == ("body",) else None, False
    for part in loc[1:]:
        if not tagged and isinstance(node, dict) and part == node.get("kind"):
            tagged = True
            continue
        path.append(str(part))
        if isinstance(node, dict):
            node = node.get(part)
        else:
            node = node[part] if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node) else None
        tagged = False
    return path


def install(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def api_error(_: Request, exc: APIError) -> JSONResponse:
        return _response(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        # loc holds field names and list indexes; a JSON syntax error puts a character offset there instead
        location = [] if first.get("type") == "json_invalid" else _path(first.get("loc", ()), exc.body)
        if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):  # a missing or unknown `kind`
            location.append(str(first.get("ctx", {}).get("discriminator", "")).strip("'"))
        field = ".".join(location) or None
        return _response(422, "invalid", f"{field or 'request'}: {first.get('msg', 'invalid')}", field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _response(exc.status_code, _CODES.get(exc.status_code, "error"), str(exc.detail), None)


# Documented in OpenAPI for every route that can fail.
ERROR_RESPONSES = {status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 422, 429)}
