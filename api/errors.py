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


def install(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def api_error(_: Request, exc: APIError) -> JSONResponse:
        return _response(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        # loc holds field names and list indexes; a JSON syntax error puts a character offset there instead
        names = [] if first.get("type") == "json_invalid" else list(first.get("loc", ()))
        if names[:1] == ["body"] and len(names) > 1 and isinstance(exc.body, dict) and names[1] == exc.body.get("kind"):
            del names[1]  # the tag pydantic puts in the path of a discriminated union's member, not a field
        location = [str(part) for part in names if part not in ("body", "query", "path")]
        if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):  # a missing or unknown `kind`
            location.append(str(first.get("ctx", {}).get("discriminator", "")).strip("'"))
        field = ".".join(location) or None
        return _response(422, "invalid", f"{field or 'request'}: {first.get('msg', 'invalid')}", field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _response(exc.status_code, _CODES.get(exc.status_code, "error"), str(exc.detail), None)


# Documented in OpenAPI for every route that can fail.
ERROR_RESPONSES = {status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 422, 429)}
