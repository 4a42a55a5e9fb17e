"""The query API as the analyst app sees it: where it is, which key to use, and the calls the pages make.

Plain Python (httpx), no Streamlit: the pages cache around it, the tests call it directly.

The key comes from ``CLICKPATH_STREAMLIT_PERSONAL_KEY`` when set, else from the demo account that
`clickpath up` wrote to ``<home>/demo.json``; the API from ``CLICKPATH_API_URL``, else the local stack's
port (shifted by ``CLICKPATH_PORT_OFFSET``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from infra.settings import Settings

TIMEOUT_S = 60.0


class ApiError(Exception):
    """The API answered with an error (its ``{"error": {code, message, field}}``), or could not be reached."""

    def __init__(self, status: int | None, message: str, code: str = "error", field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        status = f"{self.status} " if self.status else ""
        return f"{status}{self.code}{where}: {self.message}"

    @property
    def unknown_kind(self) -> bool:
        """The API does not know this query kind (a runner this version of the API lacks)."""
        return self.status in (400, 422) and self.field == "kind"


class NotConfiguredError(Exception):
    """No personal key: neither the setting nor a demo.json to take it from."""


@dataclass(frozen=True)
class Connection:
    api_url: str
    personal_key: str
    project_id: int | None
    """The project to open on; None: the first the key can read."""
    key_source: str
    """Where the key came from, for the sidebar: the setting or the demo.json file."""


def demo_file(settings: Settings) -> Path:
    return settings.home_dir / "demo.json"


def connection(settings: Settings | None = None) -> Connection:
    """Where the API is and the key to ask it with, from settings, else from the stack's demo.json."""
    settings = settings or Settings()
    api_url = (settings.api_url or f"http://127.0.0.1:{settings.port('api')}").rstrip("/")
    demo: dict[str, Any] = {}
    path = demo_file(settings)
    if path.is_file():
        try:
            demo = json.loads(path.read_text()).get("demo", {})
        except (OSError, ValueError):
            demo = {}
    if settings.streamlit_personal_key is not None:
        key, source = settings.streamlit_personal_key.get_secret_value(), "CLICKPATH_STREAMLIT_PERSONAL_KEY"
        project = settings.streamlit_project_id
    elif demo.get("personal_api_key"):
        key, source = str(demo["personal_api_key"]), str(path)
        project = settings.streamlit_project_id or demo.get("project_id")
    else:
        raise NotConfiguredError(
            f"no personal API key: set CLICKPATH_STREAMLIT_PERSONAL_KEY, or run `make up` so that {path} exists"
        )
    return Connection(api_url, key, int(project) if project is not None else None, source)


class QueryClient:
    """The few calls the app makes, each raising ApiError with the API's own message on failure."""

    def __init__(self, api_url: str, personal_key: str, timeout_s: float = TIMEOUT_S) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.api_url, headers={"Authorization": f"Bearer {personal_key}"}, timeout=timeout_s
        )

    def __enter__(self) -> QueryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def projects(self) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = self._request("GET", "/api/projects")
        return answer

    def query(self, project_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """The whole answer: ``{"kind", "results", "source", "cached", "took_ms"}``."""
        answer: dict[str, Any] = self._request("POST", f"/api/projects/{project_id}/query", json=body)
        return answer

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(None, f"cannot reach the query API at {self.api_url}: {exc}", "unreachable") from exc
        if response.is_success:
            return response.json()
        try:
            error = response.json()["error"]
            raise ApiError(response.status_code, error["message"], error.get("code", "error"), error.get("field"))
        except (ValueError, KeyError, TypeError):
            raise ApiError(response.status_code, response.text[:500] or response.reason_phrase) from None
