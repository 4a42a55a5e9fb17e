"""The demo account that `make up` creates (once) and writes to demo.json."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from api import accounts, db, security
from api.models import Membership, PersonalApiKey, Project
from infra.settings import Settings

EMAIL = "demo@clickpath.dev"
ORGANIZATION = "Demo organization"
PROJECT = "Demo shop"


def ensure(settings: Settings, previous: dict[str, Any]) -> dict[str, Any]:
    """Reuse the demo account recorded in demo.json while its personal key works; otherwise make one.

    An account whose credentials were lost gets a new password and a new key, not a second account.
    """
    with db.sessions(settings)() as session:
        if _still_valid(session, previous):
            return {key: previous[key] for key in _FIELDS}
        password = secrets.token_urlsafe(12)
        user = accounts.find_user(session, EMAIL)
        if user is None:
            account = accounts.create_account(session, EMAIL, password, "Demo", ORGANIZATION, PROJECT)
            user, project = account.user, account.project
        else:
            user.password_hash = security.hash_password(password)
            project = session.scalars(
                select(Project)
                .join(Membership, Membership.organization_id == Project.organization_id)
                .where(Membership.user_id == user.id)
                .order_by(Project.id)
            ).first()
            assert project is not None, "the demo user has no project"
        credentials = accounts.owner_credentials(session, user, project, "demo")
        session.commit()
        return {"email": EMAIL, "password": password, **credentials}


_FIELDS = ("email", "password", "organization_id", "project_id", "project_api_key", "personal_api_key")


def _still_valid(session: Any, previous: dict[str, Any]) -> bool:
    if not all(field in previous for field in _FIELDS):
        return False
    key = session.scalar(
        select(PersonalApiKey).where(PersonalApiKey.token_hash == security.hash_key(str(previous["personal_api_key"])))
    )
    return key is not None and key.revoked_at is None
