"""Why a capture request or an event was refused, with the HTTP status the SDKs act on."""

from __future__ import annotations

from api.errors import APIError

_CODES = {
    400: "invalid_request",
    401: "invalid_api_key",
    413: "payload_too_large",
    415: "unsupported_encoding",
    429: "rate_limited",
}


class CaptureError(APIError):
    """A refusal: ``field`` names the place (``batch[3].distinct_id``), ``message`` the problem.

    The API's error, with the codes capture's clients see; its text is ``field: message``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        code = code or _CODES.get(status, "unavailable" if status >= 500 else "error")
        super().__init__(status, message, field, code, headers)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def invalid(field: str | None, message: str) -> CaptureError:
    return CaptureError(400, message, field)


def too_large(field: str | None, message: str) -> CaptureError:
    return CaptureError(413, message, field)
