"""The checked-in OpenAPI document is the one the running API serves, and it documents one error shape.

schemas/openapi/api.json is what clients are generated from; the test stack's API service (uvicorn under
supervisord, reached over real HTTP) is what they will talk to. The two are compared as parsed JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.cli import OPENAPI_PATH
from tests.support.stack import Stack

REGENERATE = ".venv/bin/clickpath api openapi"
ERROR_SCHEMA = "#/components/schemas/ErrorBody"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def served(stack: Stack) -> dict[str, Any]:
    response = httpx.get(f"http://127.0.0.1:{stack.settings.port('api')}/openapi.json", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def checked_in() -> dict[str, Any]:
    return json.loads(OPENAPI_PATH.read_text())


def differences(expected: Any, actual: Any, where: str = "") -> Iterator[str]:
    """Where two JSON values differ, down to the innermost key or index, as `paths › /api/x › get` locations."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(expected.keys() | actual.keys()):
            here = f"{where} › {key}" if where else key
            if key not in actual:
                yield f"{here}: only in the checked-in document"
            elif key not in expected:
                yield f"{here}: only in the served document"
            else:
                yield from differences(expected[key], actual[key], here)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            yield from differences(left, right, f"{where} › {index}")
    elif expected != actual:
        yield f"{where or 'the document'}: {_short(expected)} checked in, {_short(actual)} served"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def test_checked_in_document_is_the_served_one(checked_in: dict[str, Any], served: dict[str, Any]) -> None:
    found = list(differences(checked_in, served))
    shown = "\n  ".join(found[:20]) + (f"\n  … and {len(found) - 20} more" if len(found) > 20 else "")
    assert checked_in == served, (
        f"{OPENAPI_PATH.relative_to(OPENAPI_PATH.parents[2])} is not what the API serves; "
        f"run `{REGENERATE}` and commit the result. Differences:\n  {shown}"
    )


def error_responses(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for status, response in operation.get("responses", {}).items():
                if status == "default" or status[0] in "45":
                    yield f"{method.upper()} {path} {status}", response


@pytest.mark.parametrize("document", ["checked_in", "served"])
def test_every_error_response_is_the_shared_error_schema(document: str, request: pytest.FixtureRequest) -> None:
    errors = dict(error_responses(request.getfixturevalue(document)))
    assert errors, "the document declares no error responses at all"
    wrong = {
        where: response.get("content")
        for where, response in errors.items()
        if response.get("content") != {"application/json": {"schema": {"$ref": ERROR_SCHEMA}}}
    }
    assert not wrong, f"error responses not documented as {ERROR_SCHEMA} (see api/errors.py ERROR_RESPONSES): {wrong}"


@pytest.mark.parametrize("document", ["checked_in", "served"])
def test_the_shared_error_schema_is_code_message_field(document: str, request: pytest.FixtureRequest) -> None:
    schemas = request.getfixturevalue(document)["components"]["schemas"]
    body = schemas[ERROR_SCHEMA.rsplit("/", 1)[1]]
    assert body["required"] == ["error"]
    detail = schemas[body["properties"]["error"]["$ref"].rsplit("/", 1)[1]]
    assert set(detail["properties"]) == {"code", "message", "field"}
    assert set(detail["required"]) == {"code", "message"}
