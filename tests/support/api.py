"""Helpers for API tests: sign up accounts with unique e-mails, build auth headers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    """A signed-up owner: their ids, tokens and project key."""

    email: str
    user_id: int
    organization_id: int
    project_id: int
    project_api_key: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def sign_up(client: TestClient, **overrides: Any) -> Account:
    body = {
        "email": unique_email(),
        "password": PASSWORD,
        "name": "Ada",
        "organization_name": "Analytical Engines",
        "project_name": "Web",
        **overrides,
    }
    response = client.post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Account(
        email=data["user"]["email"],
        user_id=data["user"]["id"],
        organization_id=data["organization"]["id"],
        project_id=data["project"]["id"],
        project_api_key=data["project"]["api_key"],
        access_token=data["tokens"]["access_token"],
        refresh_token=data["tokens"]["refresh_token"],
    )


def add_member(client: TestClient, owner: Account, role: str) -> tuple[int, dict[str, str]]:
    """A new user with ``role`` in the owner's organization: their id and auth headers."""
    email = unique_email(role)
    response = client.post(
        f"/api/organizations/{owner.organization_id}/members",
        json={"email": email, "role": role, "password": PASSWORD},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    token = client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()["access_token"]
    return response.json()["user"]["id"], bearer(token)
