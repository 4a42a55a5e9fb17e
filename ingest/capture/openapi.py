"""The capture API's OpenAPI document: the routes read raw bodies, so their request schemas are added here.

The event schema is schemas/event.schema.json itself, so the document and the validation cannot drift.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ingest import events

_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            # no field when the whole request is meant (429, 503)
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
            },
            "required": ["code", "message"],
        }
    },
}
_SEGMENT_ERROR = _ERROR["properties"]["error"]
_SEGMENT_MESSAGE = {
    "type": "object",
    "description": "A Segment message (track, identify, page, screen, group, alias).",
    "properties": {
        "type": {"type": "string", "enum": ["track", "identify", "page", "screen", "group", "alias"]},
        "event": {"type": "string"},
        "userId": {"type": "string"},
        "anonymousId": {"type": "string"},
        "previousId": {"type": "string"},
        "groupId": {"type": "string"},
        "messageId": {"type": "string"},
        "timestamp": {"type": "string"},
        "properties": {"type": "object"},
        "traits": {"type": "object"},
        "context": {"type": "object"},
    },
}


_GET_QUERY = [  # old SDKs send the body on a GET, as ?data=
    {"name": "data", "in": "query", "schema": {"type": "string"}, "description": "the body: JSON, base64 or lz64"},
    {"name": "compression", "in": "query", "schema": {"type": "string"}, "description": "gzip-js, lz64 or base64"},
]
_NOT_JSON = {  # answers that are no JSON, with their media type
    "/metrics": "text/plain",
    "/array/{token}/config.js": "application/javascript",
}


def _event() -> dict[str, Any]:
    schema = {key: value for key, value in events.SCHEMA.items() if not key.startswith("$")}
    schema["properties"] = {**schema["properties"], "api_key": {"type": "string"}}
    return schema


def _capture_body() -> dict[str, Any]:
    batch = {
        "type": "object",
        "required": ["batch"],
        "properties": {
            "api_key": {"type": "string"},
            "sent_at": {"type": "string"},
            "batch": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
        },
    }
    return {"oneOf": [{"$ref": "#/components/schemas/Event"}, batch]}


def _responses(ok: dict[str, Any], error: dict[str, Any]) -> dict[str, Any]:
    answer = {"200": {"description": "every event is in Kafka", "content": {"application/json": {"schema": ok}}}}
    reasons = {
        "400": "a bad body or event: the message names the event index, the field and the problem",
        "401": "no, unknown or revoked project key",
        "413": "body, event or batch too large",
        "415": "unsupported Content-Encoding",
        "429": "over the project's rate limit (Retry-After)",
        "503": "Kafka did not acknowledge: nothing of the request was accepted",
    }
    for status, text in reasons.items():
        answer[status] = {"description": text, "content": {"application/json": {"schema": error}}}
    return answer


def document(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        spec.setdefault("components", {}).setdefault("schemas", {})["Event"] = _event()
        for path, operations in spec["paths"].items():
            post = operations.get("post")
            if post is None or path.startswith(("/flags", "/decide")):
                continue
            segment = path.startswith("/v1/")
            if segment:
                schema = {"type": "object", "properties": {"batch": {"type": "array", "items": _SEGMENT_MESSAGE}}}
                if path != "/v1/batch":
                    schema = _SEGMENT_MESSAGE
            else:
                schema = _capture_body()
            post["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
            ok = (
                {"type": "object", "properties": {"success": {"type": "boolean"}}}
                if segment
                else {
                    "type": "object",
                    "properties": {"status": {"type": "integer"}},
                }
            )
            post["responses"] = _responses(ok, _SEGMENT_ERROR if segment else _ERROR)
            if "get" in operations:  # PostHog's routes answer a GET like a POST
                operations["get"]["parameters"] = _GET_QUERY
                operations["get"]["responses"] = post["responses"]
        _other_answers(spec["paths"])
        app.openapi_schema = spec
        return spec

    app.openapi = build  # type: ignore[method-assign]


def _other_answers(paths: dict[str, Any]) -> None:
    for path, media_type in _NOT_JSON.items():
        paths[path]["get"]["responses"]["200"]["content"] = {media_type: {"schema": {"type": "string"}}}
    unavailable = {"type": "object", "properties": {"status": {"type": "string"}, "reason": {"type": "string"}}}
    paths["/_ready"]["get"]["responses"]["503"] = {
        "description": "Kafka does not answer",
        "content": {"application/json": {"schema": unavailable}},
    }
