"""Secrets as PostgreSQL keeps them, read straight from the tables, as anyone with a copy of the database would.

Passwords are argon2id hashes; personal keys are a SHA-256 and a short prefix; neither ever appears in
clear in any table. The audit log says who created, rotated or revoked which key and changed which role.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from psycopg import sql

from infra import clients
from infra.settings import Settings
from tests.support.api import PASSWORD, Account, add_member, bearer, sign_up, unique_email

pytestmark = pytest.mark.integration


@pytest.fixture
def db(api_settings: Settings) -> Iterator[psycopg.Connection]:
    with clients.postgres(api_settings) as connection:
        yield connection


def tables_containing(db: psycopg.Connection, secret: str) -> list[str]:
    """Every table of the schema with a row whose text form contains `secret` anywhere, in any column."""
    tables = db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    ).fetchall()
    query = "SELECT count(*) FROM {} AS t WHERE strpos(t::text, %s) > 0"
    return [
        name
        for (name,) in tables
        if db.execute(sql.SQL(query).format(sql.Identifier(name)), (secret,)).fetchone() != (0,)
    ]


# --- passwords --------------------------------------------------------------------------------------------


def test_passwords_are_kept_as_argon2id_hashes(api: TestClient, db: psycopg.Connection) -> None:
    # A password of this test alone, so finding it anywhere in the database can only mean it leaked.
    password = f"horse-{uuid.uuid4().hex}-staple"
    owner = sign_up(api, password=password)
    added = api.post(
        f"/api/organizations/{owner.organization_id}/members",
        json={"email": unique_email("member"), "role": "member", "password": password},
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    user_ids = [owner.user_id, added.json()["user"]["id"]]  # both ways an account is made: sign-up and invitation

    hashes = [
        db.execute("SELECT password_hash FROM users WHERE id = %s", (user_id,)).fetchone()[0] for user_id in user_ids
    ]

    for password_hash in hashes:
        assert password_hash.startswith("$argon2id$"), password_hash
        assert password not in password_hash
        assert PasswordHasher().verify(password_hash, password)  # argon2 itself, not the code under test, agrees
    assert hashes[0] != hashes[1], "two accounts with one password must get different salts"
    assert tables_containing(db, password) == []
    assert "users" in tables_containing(db, owner.email)  # the search does find what is there


# --- personal keys ----------------------------------------------------------------------------------------


def test_personal_keys_are_kept_as_sha256_and_a_short_prefix(
    api: TestClient, db: psycopg.Connection, owner: Account
) -> None:
    created = api.post("/api/personal-keys", json={"name": "ci", "scopes": ["read", "write"]}, headers=owner.headers)
    assert created.status_code == 201, created.text
    key_id, key = created.json()["id"], created.json()["key"]

    # Through the key's whole life: made, used (last_used_at is written), listed, revoked.
    stages = {
        "created": lambda: None,
        "used": lambda: api.get("/api/projects", headers=bearer(key)),
        "listed": lambda: api.get("/api/personal-keys", headers=owner.headers),
        "revoked": lambda: api.delete(f"/api/personal-keys/{key_id}", headers=owner.headers),
    }
    for stage, act in stages.items():
        response = act()
        assert response is None or response.status_code == 200, (stage, response.text)
        token_hash, prefix = db.execute(
            "SELECT token_hash, prefix FROM personal_api_keys WHERE id = %s", (key_id,)
        ).fetchone()
        assert token_hash == hashlib.sha256(key.encode()).hexdigest(), stage
        assert re.fullmatch(r"[0-9a-f]{64}", token_hash), stage
        assert key.startswith(prefix), stage
        # Short: what the prefix shows leaves at least 128 bits of the key unknown (6 bits a character).
        assert len(prefix) <= 16 and (len(key) - len(prefix)) * 6 >= 128, (stage, prefix)
        for part in (key, key[len(prefix) :]):  # neither the key nor the part the prefix does not show
            assert tables_containing(db, part) == [], (stage, part)
        assert db.execute(
            "SELECT count(*) FROM audit_events WHERE strpos(audit_events::text, %s) > 0", (key[len(prefix) :],)
        ).fetchone() == (0,)

    assert "personal_api_keys" in tables_containing(db, token_hash)  # the search does find what is there

    listed = api.get("/api/personal-keys", headers=owner.headers)
    assert key not in listed.text and key[len(prefix) :] not in listed.text
    assert [k["prefix"] for k in listed.json() if k["id"] == key_id] == [prefix]


# --- the audit log ----------------------------------------------------------------------------------------


def audit_events(db: psycopg.Connection, organization_id: int | None, *actors: int, after: int = 0) -> list[tuple]:
    """(actor, action, target, detail) of the events by these actors in this organization (None: no organization)."""
    return db.execute(
        "SELECT actor_user_id, action, target, detail FROM audit_events"
        " WHERE organization_id IS NOT DISTINCT FROM %s AND actor_user_id = ANY(%s) AND id > %s ORDER BY id",
        (organization_id, list(actors), after),
    ).fetchall()


def last_audit_id(db: psycopg.Connection) -> int:
    return db.execute("SELECT coalesce(max(id), 0) FROM audit_events").fetchone()[0]


def create_key(api: TestClient, headers: dict[str, str], scopes: list[str]) -> dict[str, Any]:
    response = api.post("/api/personal-keys", json={"name": "audited", "scopes": scopes}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_audit_records_personal_key_creation_and_revocation(
    api: TestClient, db: psycopg.Connection, owner: Account
) -> None:
    key = create_key(api, owner.headers, ["write", "read"])
    assert api.delete(f"/api/personal-keys/{key['id']}", headers=owner.headers).status_code == 200
    # Revoking a revoked key changes nothing, so it records nothing either.
    assert api.delete(f"/api/personal-keys/{key['id']}", headers=owner.headers).status_code == 200

    # Personal keys belong to a user, not an organization: their events have none.
    assert audit_events(db, None, owner.user_id) == [
        (owner.user_id, "personal_key.created", f"personal_key:{key['id']}", {"scopes": ["read", "write"]}),
        (owner.user_id, "personal_key.revoked", f"personal_key:{key['id']}", {}),
    ]


def test_audit_key_creation_names_the_key(api: TestClient, db: psycopg.Connection, owner: Account) -> None:
    key = create_key(api, owner.headers, ["read"])
    targets = [target for _, action, target, _ in audit_events(db, None, owner.user_id) if action.endswith("created")]
    assert targets == [f"personal_key:{key['id']}"]


def test_audit_records_project_key_rotation_and_revocation(
    api: TestClient, db: psycopg.Connection, owner: Account
) -> None:
    admin_id, admin_headers = add_member(api, owner, "admin")  # the actor is the admin, not the organization's owner
    start = last_audit_id(db)
    project = f"project:{owner.project_id}"

    assert api.post(f"/api/projects/{owner.project_id}/api-key/rotate", headers=admin_headers).status_code == 200
    assert api.post(f"/api/projects/{owner.project_id}/api-key/revoke", headers=admin_headers).status_code == 200

    assert audit_events(db, owner.organization_id, owner.user_id, admin_id, after=start) == [
        (admin_id, "project_key.revoked", project, {"count": 1}),  # rotation: the old key goes …
        (admin_id, "project_key.created", project, {}),  # … and a new one comes
        (admin_id, "project_key.revoked", project, {"count": 1}),
    ]


def test_audit_records_membership_and_role_changes(api: TestClient, db: psycopg.Connection, owner: Account) -> None:
    admin_id, admin_headers = add_member(api, owner, "admin")
    start = last_audit_id(db)
    members = f"/api/organizations/{owner.organization_id}/members"

    added = api.post(
        members, json={"email": unique_email("audited"), "role": "member", "password": PASSWORD}, headers=admin_headers
    )
    assert added.status_code == 201, added.text
    user_id = added.json()["user"]["id"]
    assert api.patch(f"{members}/{user_id}", json={"role": "viewer"}, headers=admin_headers).status_code == 200
    assert api.patch(f"{members}/{admin_id}", json={"role": "owner"}, headers=owner.headers).status_code == 200
    assert api.delete(f"{members}/{user_id}", headers=admin_headers).status_code == 204

    assert audit_events(db, owner.organization_id, owner.user_id, admin_id, after=start) == [
        (admin_id, "member.added", f"user:{user_id}", {"role": "member"}),
        (admin_id, "member.role_changed", f"user:{user_id}", {"old": "member", "new": "viewer"}),
        (owner.user_id, "member.role_changed", f"user:{admin_id}", {"old": "admin", "new": "owner"}),
        (admin_id, "member.removed", f"user:{user_id}", {}),
    ]


def test_audit_records_nothing_for_refused_changes(api: TestClient, db: psycopg.Connection, owner: Account) -> None:
    admin_id, admin_headers = add_member(api, owner, "admin")
    viewer_id, viewer_headers = add_member(api, owner, "viewer")
    start = last_audit_id(db)
    members = f"/api/organizations/{owner.organization_id}/members"

    refused = [
        api.patch(f"{members}/{viewer_id}", json={"role": "owner"}, headers=admin_headers),  # 403: owner role
        api.patch(f"{members}/{owner.user_id}", json={"role": "admin"}, headers=owner.headers),  # 409: last owner
        api.delete(f"{members}/{owner.user_id}", headers=owner.headers),  # 409: last owner
        api.post(f"/api/projects/{owner.project_id}/api-key/rotate", headers=viewer_headers),  # 403: role
        api.delete(f"{members}/{admin_id}", headers=viewer_headers),  # 403: role
    ]

    assert [response.status_code for response in refused] == [403, 409, 409, 403, 403]
    assert audit_events(db, owner.organization_id, owner.user_id, admin_id, viewer_id, after=start) == []
