"""Creating accounts, projects and keys: shared by the routes and `clickpath project create`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit, security
from api.access import Scope
from api.errors import APIError
from api.models import Membership, Organization, PersonalApiKey, Project, ProjectApiKey, Role, User


@dataclass(frozen=True)
class Account:
    user: User
    organization: Organization
    project: Project


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


def create_user(session: Session, email: str, password: str, name: str) -> User:
    if find_user(session, email) is not None:
        raise APIError(409, "an account with this e-mail already exists", field="email")
    user = User(email=email.lower(), name=name, password_hash=security.hash_password(password))
    session.add(user)
    session.flush()
    return user


def create_account(
    session: Session, email: str, password: str, name: str, organization_name: str, project_name: str
) -> Account:
    """A user who owns a new organization with a first project (sign-up)."""
    user = create_user(session, email, password, name)
    organization = Organization(name=organization_name)
    session.add(organization)
    session.flush()
    session.add(Membership(organization_id=organization.id, user_id=user.id, role=Role.OWNER))
    project = create_project(session, organization.id, project_name, "UTC", actor_user_id=user.id)
    return Account(user, organization, project)


def create_project(session: Session, organization_id: int, name: str, timezone: str, actor_user_id: int) -> Project:
    project = Project(organization_id=organization_id, name=name, timezone=timezone)
    session.add(project)
    session.flush()
    issue_project_key(session, project, actor_user_id)
    return project


def active_project_key(session: Session, project_id: int) -> ProjectApiKey | None:
    return session.scalar(
        select(ProjectApiKey).where(ProjectApiKey.project_id == project_id, ProjectApiKey.revoked_at.is_(None))
    )


def issue_project_key(session: Session, project: Project, actor_user_id: int) -> ProjectApiKey:
    key = ProjectApiKey(project_id=project.id, key=security.new_project_key())
    session.add(key)
    audit.record(session, actor_user_id, project.organization_id, "project_key.created", f"project:{project.id}")
    session.flush()
    return key


def revoke_project_keys(session: Session, project: Project, actor_user_id: int) -> list[str]:
    """Revoke the project's active key(s); returns them, so caches can forget them."""
    keys = session.scalars(
        select(ProjectApiKey).where(ProjectApiKey.project_id == project.id, ProjectApiKey.revoked_at.is_(None))
    ).all()
    now = datetime.now(UTC)
    for key in keys:
        key.revoked_at = now
    audit.record(
        session, actor_user_id, project.organization_id, "project_key.revoked", f"project:{project.id}", count=len(keys)
    )
    return [key.key for key in keys]


def create_personal_key(
    session: Session, user: User, name: str, scopes: list[Scope], expires_at: datetime | None
) -> tuple[PersonalApiKey, str]:
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise APIError(422, "expires_at must be in the future", field="expires_at")
    plaintext = security.new_personal_key()
    key = PersonalApiKey(
        user_id=user.id,
        name=name,
        token_hash=security.hash_key(plaintext),
        prefix=plaintext[:10],
        scopes=sorted({str(scope) for scope in scopes}),
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    audit.record(session, user.id, None, "personal_key.created", f"personal_key:{key.id}", scopes=key.scopes)
    return key, plaintext


def owner_credentials(session: Session, user: User, project: Project, key_name: str) -> dict[str, object]:
    """What a script needs to act for this owner: the ids, the project's write key (issued if it has none)
    and a new personal key that may read and write."""
    project_key = active_project_key(session, project.id) or issue_project_key(session, project, user.id)
    _, personal_key = create_personal_key(session, user, key_name, [Scope.READ, Scope.WRITE], None)
    return {
        "organization_id": project.organization_id,
        "project_id": project.id,
        "project_api_key": project_key.key,
        "personal_api_key": personal_key,
    }
