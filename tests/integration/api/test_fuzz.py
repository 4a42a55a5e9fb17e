"""Fuzz the auth API from its own OpenAPI document (schemathesis), on the test stack's PostgreSQL and Redis.

Every operation of the document gets generated valid and invalid requests (schemathesis' examples,
coverage and fuzzing phases), sent in process (ASGI) with an owner's credential — an access token, then
a personal API key — so the authenticated paths run past the credential check. Half of the generated
ids (the even ones) are replaced by the owner's own organization, project, colleague and key, so the
requests reach real rows instead of stopping at 404. Every response must not be a server error and must
conform to the document: a documented status code, the documented content type, a body valid against
its schema.

Bounded and reproducible: a few fuzzed examples per operation, a fixed seed, derandomized Hypothesis and
no example database, so CI sends the same requests on every run. A run cannot lock itself out: the app
under test has the log-in limits out of reach, and the key the fuzzer may revoke is never the one it
authenticates with.

The bugs found on the way are pinned at the end (see `Bugs found`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from infra.settings import Settings
from tests.support.api import PASSWORD, Account, bearer, sign_up, unique_email
from tests.support.fuzz import fuzz_settings

SEED = 20261127
MAX_EXAMPLES = 8  # per operation and credential, on top of the examples and coverage phases
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
POSTGRES_IDS = range(1, 2**31)  # a PostgreSQL integer id

# The document does not depend on settings, and building the app touches no service, so the schema is read
# at collection time (schemathesis' lazy `schemathesis.pytest.from_fixture` fails under pytest 9.2).
schema = schemathesis.openapi.from_dict(
    create_app(Settings()).openapi(), config=schemathesis.Config.from_dict({"seed": SEED})
)


@dataclass(frozen=True)
class Target:
    """The credential to send and the owner's ids to aim path parameters at."""

    headers: dict[str, str]
    ids: dict[str, int]


@pytest.fixture(scope="module")
def fuzzed_app(api_settings: Settings) -> FastAPI:
    """The app on the session's PostgreSQL and Redis, with log-in limits no derandomized run can reach."""
    return create_app(
        api_settings.model_copy(
            update={"login_limit_per_account": "1000000/minute", "login_limit_per_ip": "1000000/minute"}
        )
    )


@pytest.fixture(scope="module")
def colleague(api: TestClient) -> Account:
    """Someone each owner adds to their organization, so member operations have a member to act on."""
    return sign_up(api)


def _personal_key(api: TestClient, owner: Account, name: str) -> dict[str, Any]:
    response = api.post("/api/personal-keys", json={"name": name, "scopes": ["read", "write"]}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def target(api: TestClient, owner: Account, colleague: Account, credential: str) -> Target:
    """A fresh owner per operation (what one operation's requests change does not leak into the next)."""
    added = api.post(
        f"/api/organizations/{owner.organization_id}/members",
        json={"email": colleague.email, "role": "member"},
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    revocable = _personal_key(api, owner, "fuzzed")  # DELETE /api/personal-keys/{key_id} may revoke this one
    headers = owner.headers if credential == "access token" else bearer(_personal_key(api, owner, "fuzzer")["key"])
    ids = {
        "organization_id": owner.organization_id,
        "project_id": owner.project_id,
        "user_id": colleague.user_id,
        "key_id": revocable["id"],
    }
    return Target(headers, ids)


def aim(case: schemathesis.Case, target: Target) -> None:
    """Even ids that PostgreSQL can hold become the owner's own; anything else is sent as generated."""
    for name, value in list(case.path_parameters.items()):
        valid_id = isinstance(value, int) and not isinstance(value, bool) and value in POSTGRES_IDS
        if valid_id and value % 2 == 0 and name in target.ids:
            case.path_parameters[name] = target.ids[name]


@pytest.mark.parametrize("credential", ["access token", "personal key"])
@schema.parametrize()
@fuzz_settings(MAX_EXAMPLES)  # one owner per operation, shared by its examples
def test_no_server_error_and_responses_match_the_document(
    case: schemathesis.Case, credential: str, fuzzed_app: FastAPI, target: Target
) -> None:
    aim(case, target)
    case.call_and_validate(app=fuzzed_app, headers=target.headers, checks=CHECKS)


# Bugs found -------------------------------------------------------------------------------------------------
# By the fuzzing above and by probing around what it found; each was a 500 from an unhandled psycopg
# DataError, and each stays here as a regression test.


@pytest.fixture(scope="module")
def client(api_settings: Settings) -> Iterator[TestClient]:
    """Answers 500 like the served app instead of raising the server's exception into the test."""
    with TestClient(create_app(api_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def assert_client_error(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, f"{response.status_code}: {response.text[:300]}"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"}
    return error


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/api/projects/{big}", "project_id"),
        ("GET", "/api/organizations/{big}/members", "organization_id"),
        ("DELETE", "/api/organizations/{own}/members/{big}", "user_id"),
        ("DELETE", "/api/personal-keys/{big}", "key_id"),
    ],
)
def test_an_id_beyond_postgres_integer_is_refused(
    client: TestClient, owner: Account, method: str, path: str, field: str
) -> None:
    """Was: GET /api/projects/2147483648 → 500 (NumericValueOutOfRange); ids are now bounded in the path."""
    url = path.format(big=2**31, own=owner.organization_id)
    error = assert_client_error(client.request(method, url, headers=owner.headers), 404, 422)
    assert error["field"] in (field, None)


def test_a_new_members_name_with_a_nul_character_is_invalid(client: TestClient, owner: Account) -> None:
    """Was: POST /api/organizations/{id}/members {"name": "Ada\\u0000", …} → 500 (NUL reached PostgreSQL)."""
    body = {"email": unique_email("nul"), "password": PASSWORD, "name": "Ada\x00"}
    response = client.post(f"/api/organizations/{owner.organization_id}/members", json=body, headers=owner.headers)
    assert assert_client_error(response, 422)["field"] == "name"


def test_a_new_member_with_a_long_email_and_no_name_is_added(client: TestClient, owner: Account) -> None:
    email = f"{uuid.uuid4().hex}@{'d' * 60}.{'d' * 60}.{'d' * 60}.example.com"  # 241 characters, a valid address
    body = {"email": email, "password": PASSWORD}
    response = client.post(f"/api/organizations/{owner.organization_id}/members", json=body, headers=owner.headers)
    assert response.status_code == 201, f"{response.status_code}: {response.text[:300]}"


def test_a_key_expiring_after_year_9999_in_utc_leaves_the_key_list_readable(client: TestClient, owner: Account) -> None:
    body = {"name": "late", "expires_at": "9999-12-31T23:59:59-12:00"}
    created = client.post("/api/personal-keys", json=body, headers=owner.headers)
    assert created.status_code in (201, 422), f"{created.status_code}: {created.text[:300]}"
    listed = client.get("/api/personal-keys", headers=owner.headers)
    assert listed.status_code == 200, f"{listed.status_code}: {listed.text[:300]}"
