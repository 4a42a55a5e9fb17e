"""The checked-in capture OpenAPI document is the one the running capture API serves."""

from __future__ import annotations

import json

import httpx
import pytest

from ingest.capture.cli import OPENAPI_PATH
from tests.support.ingest import Pipeline

pytestmark = pytest.mark.integration


def test_checked_in_document_is_served(pipeline: Pipeline) -> None:
    served = httpx.get(pipeline.capture_url + "/openapi.json", timeout=10).json()
    assert served == json.loads(OPENAPI_PATH.read_text()), "regenerate with: .venv/bin/clickpath capture openapi"


def test_every_capture_route_documents_its_body_and_refusals(pipeline: Pipeline) -> None:
    spec = json.loads(OPENAPI_PATH.read_text())
    for path in ("/capture", "/batch/", "/e/", "/i/v0/e/", "/v1/batch", "/v1/track"):
        post = spec["paths"][path]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"], path
        assert {"200", "400", "401", "413", "429", "503"} <= set(post["responses"]), path
