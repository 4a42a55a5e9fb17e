"""The caller's personal API keys."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy import select

from api import accounts, audit
from api.access import Scope
from api.deps import PrincipalDep, SessionDep
from api.errors import ERROR_RESPONSES, not_found
from api.models import PersonalApiKey
from api.schemas import Id, PersonalKeyCreate, PersonalKeyCreated, PersonalKeyPublic

router = APIRouter(prefix="/api/personal-keys", tags=["personal keys"], responses=ERROR_RESPONSES)


@router.get("")
def list_keys(principal: PrincipalDep, session: SessionDep) -> list[PersonalKeyPublic]:
    """The caller's keys (never the keys themselves: only their first characters)."""
    principal.require_scope(Scope.READ)
    keys = session.scalars(
        select(PersonalApiKey).where(PersonalApiKey.user_id == principal.user.id).order_by(PersonalApiKey.id)
    ).all()
    return [PersonalKeyPublic.model_validate(key) for key in keys]


@router.post("", status_code=201)
def create_key(body: PersonalKeyCreate, principal: PrincipalDep, session: SessionDep) -> PersonalKeyCreated:
    """A new key that acts as the caller within its scopes. The key is in this answer only."""
    principal.require_scope(Scope.WRITE)
    for scope in body.scopes:
        principal.require_scope(scope)  # a key never makes a key that may do more than itself
    key, plaintext = accounts.create_personal_key(session, principal.user, body.name, body.scopes, body.expires_at)
    session.commit()
    return PersonalKeyCreated.model_validate({**PersonalKeyPublic.model_validate(key).model_dump(), "key": plaintext})


@router.delete("/{key_id}")
def revoke_key(key_id: Id, principal: PrincipalDep, session: SessionDep) -> PersonalKeyPublic:
    """Revoke one of the caller's keys; it stops working at once."""
    principal.require_scope(Scope.WRITE)
    key = session.get(PersonalApiKey, key_id)
    if key is None or key.user_id != principal.user.id:
        raise not_found("personal key")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        audit.record(session, principal.user.id, None, "personal_key.revoked", f"personal_key:{key.id}")
        session.commit()
    return PersonalKeyPublic.model_validate(key)
