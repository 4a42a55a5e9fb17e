"""Every auth flow end to end, on real PostgreSQL and Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.project_keys import ProjectKeys
from infra.settings import Settings
from tests.support.api import PASSWORD, Account, add_member, bearer, sign_up, unique_email
from tests.support.stack import Stack


def error(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()["error"]


# -- sign-up, log-in, tokens --------------------------------------------------------------------


def test_sign_up_makes_an_owner_with_an_organization_and_a_project(api: TestClient) -> None:
    account = sign_up(api, email=unique_email("Mixed.Case"))
    assert account.email == account.email.lower()  # one account per address, whatever its spelling
    assert account.project_api_key.startswith("phc_")
    me = api.get("/api/users/me", headers=account.headers).json()
    assert me["memberships"] == [
        {"organization": {"id": account.organization_id, "name": "Analytical Engines"}, "role": "owner"}
    ]
    projects = api.get("/api/projects", headers=account.headers).json()
    assert [(p["id"], p["name"], p["timezone"]) for p in projects] == [(account.project_id, "Web", "UTC")]


def test_an_address_signs_up_once(api: TestClient, owner: Account) -> None:
    assert (
        error(
            api.post(
                "/api/auth/signup",
                json={
                    "email": owner.email.upper(),
                    "password": PASSWORD,
                    "name": "Again",
                    "organization_name": "Again",
                },
            ),
            409,
        )["field"]
        == "email"
    )


def test_log_in_and_refresh(api: TestClient, owner: Account) -> None:
    tokens = api.post("/api/auth/login", json={"email": owner.email, "password": PASSWORD}).json()
    assert api.get("/api/users/me", headers=bearer(tokens["access_token"])).json()["id"] == owner.user_id
    refreshed = api.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    assert api.get("/api/users/me", headers=bearer(refreshed["access_token"])).status_code == 200
    # each token only for its own purpose
    assert api.get("/api/users/me", headers=bearer(tokens["refresh_token"])).status_code == 401
    error(api.post("/api/auth/refresh", json={"refresh_token": tokens["access_token"]}), 401)


def test_a_wrong_password_or_unknown_address_says_the_same(api: TestClient, owner: Account) -> None:
    wrong = error(api.post("/api/auth/login", json={"email": owner.email, "password": "not it at all"}), 401)
    unknown = error(api.post("/api/auth/login", json={"email": unique_email(), "password": PASSWORD}), 401)
    assert wrong == unknown


def test_log_in_attempts_are_limited_per_account_and_per_ip(api_settings: Settings) -> None:
    settings = api_settings.model_copy(update={"login_limit_per_account": "3/minute", "login_limit_per_ip": "5/minute"})
    with TestClient(create_app(settings), client=(f"10.9.{time.time_ns() % 250}.1", 50000)) as client:
        victim = sign_up(client)
        attempts = [client.post("/api/auth/login", json={"email": victim.email, "password": "guess"}) for _ in range(4)]
        assert [a.status_code for a in attempts] == [401, 401, 401, 429]
        assert int(attempts[-1].headers["Retry-After"]) >= 1
        assert attempts[-1].json()["error"]["code"] == "rate_limited"
        # other accounts from the same address run into the per-IP limit next
        others = [client.post("/api/auth/login", json={"email": unique_email(), "password": "x" * 8}) for _ in range(3)]
        assert [o.status_code for o in others] == [401, 429, 429]


# -- members ------------------------------------------------------------------------------------


def test_members_are_added_given_roles_and_removed(api: TestClient, owner: Account) -> None:
    members_url = f"/api/organizations/{owner.organization_id}/members"
    user_id, headers = add_member(api, owner, "viewer")
    assert api.get("/api/projects", headers=headers).json()[0]["id"] == owner.project_id
    roles = {m["user"]["id"]: m["role"] for m in api.get(members_url, headers=owner.headers).json()}
    assert roles == {owner.user_id: "owner", user_id: "viewer"}

    assert (
        api.patch(f"{members_url}/{user_id}", json={"role": "admin"}, headers=owner.headers).json()["role"] == "admin"
    )
    assert api.delete(f"{members_url}/{user_id}", headers=owner.headers).status_code == 204
    assert error(api.get(f"/api/projects/{owner.project_id}", headers=headers), 404)["message"] == "project not found"

    # an existing account joins by e-mail, without a password
    other = sign_up(api)
    response = api.post(members_url, json={"email": other.email, "role": "member"}, headers=owner.headers)
    assert response.status_code == 201 and response.json()["user"]["id"] == other.user_id
    error(api.post(members_url, json={"email": other.email, "role": "member"}, headers=owner.headers), 409)
    assert (
        error(api.post(members_url, json={"email": unique_email(), "role": "member"}, headers=owner.headers), 404)[
            "field"
        ]
        == "email"
    )


# -- projects and their keys ----------------------------------------------------------------------


def test_projects_are_created_renamed_and_deleted(api: TestClient, owner: Account) -> None:
    created = api.post(
        f"/api/organizations/{owner.organization_id}/projects",
        json={"name": "Mobile", "timezone": "Europe/Paris"},
        headers=owner.headers,
    )
    assert created.status_code == 201
    project = created.json()
    assert (project["name"], project["timezone"]) == ("Mobile", "Europe/Paris") and project["api_key"].startswith(
        "phc_"
    )
    renamed = api.patch(f"/api/projects/{project['id']}", json={"name": "iOS"}, headers=owner.headers).json()
    assert (renamed["name"], renamed["timezone"]) == ("iOS", "Europe/Paris")
    assert api.delete(f"/api/projects/{project['id']}", headers=owner.headers).status_code == 204
    error(api.get(f"/api/projects/{project['id']}", headers=owner.headers), 404)
    assert ProjectKeys(api.app.state.settings).resolve(project["api_key"]) is None  # its key died with it


def test_a_rotated_or_revoked_key_stops_resolving_at_once(api: TestClient, owner: Account) -> None:
    keys = ProjectKeys(api.app.state.settings)
    assert keys.resolve(owner.project_api_key) == owner.project_id  # now cached in Redis
    rotated = api.post(f"/api/projects/{owner.project_id}/api-key/rotate", headers=owner.headers).json()["api_key"]
    assert rotated != owner.project_api_key
    assert keys.resolve(owner.project_api_key) is None
    assert keys.resolve(rotated) == owner.project_id
    revoked = api.post(f"/api/projects/{owner.project_id}/api-key/revoke", headers=owner.headers).json()
    assert revoked["api_key"] is None
    assert keys.resolve(rotated) is None


def test_keys_that_are_not_project_keys_never_reach_the_database(api: TestClient) -> None:
    keys = ProjectKeys(api.app.state.settings)
    for key in ("", "phx_personal", "phc_" + "x" * 200, "SELECT 1", "phc_unknown"):
        assert keys.resolve(key) is None


# -- personal keys --------------------------------------------------------------------------------


def test_personal_keys_are_shown_once_act_within_scopes_and_can_be_revoked(api: TestClient, owner: Account) -> None:
    created = api.post("/api/personal-keys", json={"name": "ci", "scopes": ["read"]}, headers=owner.headers).json()
    key = created["key"]
    assert key.startswith("phx_") and created["prefix"] == key[:10]
    listed = api.get("/api/personal-keys", headers=owner.headers).json()
    assert [k["id"] for k in listed] == [created["id"]] and "key" not in listed[0]

    assert api.get(f"/api/projects/{owner.project_id}", headers=bearer(key)).status_code == 200
    assert error(api.patch(f"/api/projects/{owner.project_id}", json={"name": "x"}, headers=bearer(key)), 403)
    assert api.get("/api/personal-keys", headers=bearer(key)).json()[0]["last_used_at"] is not None

    revoked = api.delete(f"/api/personal-keys/{created['id']}", headers=owner.headers).json()
    assert revoked["revoked_at"] is not None
    error(api.get("/api/users/me", headers=bearer(key)), 401)


def test_an_expired_personal_key_is_refused(api: TestClient, owner: Account) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    key = api.post("/api/personal-keys", json={"name": "short", "expires_at": soon}, headers=owner.headers).json()[
        "key"
    ]
    assert api.get("/api/users/me", headers=bearer(key)).status_code == 200
    time.sleep(2.5)
    error(api.get("/api/users/me", headers=bearer(key)), 401)
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert (
        error(api.post("/api/personal-keys", json={"name": "x", "expires_at": past}, headers=owner.headers), 422)[
            "field"
        ]
        == "expires_at"
    )


# -- the command line and the stack ------------------------------------------------------------


def test_clickpath_project_create_prints_ids_and_keys(stack: Stack, api: TestClient) -> None:
    email = unique_email("cli")
    command = [
        sys.executable,
        "-m",
        "infra",
        "project",
        "create",
        "--org",
        "Cli Org",
        "--name",
        "Cli Project",
        "--email",
        email,
        "--password",
        PASSWORD,
    ]
    result = subprocess.run(command, env=stack.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"organization_id", "project_id", "project_api_key", "personal_api_key"}
    assert (
        api.get(f"/api/projects/{created['project_id']}", headers=bearer(created["personal_api_key"])).json()["api_key"]
        == created["project_api_key"]
    )
    again = subprocess.run(command, env=stack.env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_the_stack_runs_the_api_with_a_demo_account(stack: Stack) -> None:
    import httpx

    demo = json.loads((stack.home / "demo.json").read_text())["demo"]
    base = f"http://127.0.0.1:{stack.settings.port('api')}"
    tokens = httpx.post(f"{base}/api/auth/login", json={"email": demo["email"], "password": demo["password"]}).json()
    me = httpx.get(f"{base}/api/users/me", headers=bearer(tokens["access_token"])).json()
    assert me["email"] == demo["email"]
    project = httpx.get(f"{base}/api/projects/{demo['project_id']}", headers=bearer(demo["personal_api_key"])).json()
    assert project["api_key"] == demo["project_api_key"]


@pytest.mark.parametrize("path", ["/api/users/me", "/api/projects", "/api/personal-keys"])
def test_no_credentials_is_401_with_the_error_shape(api: TestClient, path: str) -> None:
    body = error(api.get(path), 401)
    assert body["code"] == "unauthorized" and "Authorization" in body["message"]
