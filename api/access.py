"""Who may do what: every organization- and project-scoped endpoint asks here, and only here.

A caller who is not a member of the organization gets 404 — the same answer as for an id that does
not exist — so ids reveal nothing about other organizations. A member without the role an action
needs gets 403, and so does a personal key without the scope.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import APIError, not_found
from api.models import Membership, PersonalApiKey, Project, Role, User


class Scope(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class Action(enum.Enum):
    """Each action with the least role and the key scope it needs."""

    READ_ORGANIZATION = (Role.VIEWER, Scope.READ)
    MANAGE_MEMBERS = (Role.ADMIN, Scope.WRITE)
    READ_PROJECT = (Role.VIEWER, Scope.READ)
    CREATE_PROJECT = (Role.ADMIN, Scope.WRITE)
    UPDATE_PROJECT = (Role.ADMIN, Scope.WRITE)
    DELETE_PROJECT = (Role.ADMIN, Scope.WRITE)
    MANAGE_PROJECT_KEYS = (Role.ADMIN, Scope.WRITE)
    EDIT_INSIGHTS = (Role.MEMBER, Scope.WRITE)
    """Create, change or delete a project's saved insights and dashboards (reading them is READ_PROJECT)."""

    @property
    def role(self) -> Role:
        return self.value[0]

    @property
    def scope(self) -> Scope:
        return self.value[1]


@dataclass(frozen=True)
class Principal:
    """The caller: a user, through a log-in token (every scope) or a personal key (its scopes)."""

    user: User
    scopes: frozenset[Scope]
    key: PersonalApiKey | None = None

    def require_scope(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise APIError(403, f"this personal API key lacks the '{scope}' scope")


def _membership(session: Session, principal: Principal, organization_id: int) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.organization_id == organization_id, Membership.user_id == principal.user.id)
    )


def _check(principal: Principal, membership: Membership, action: Action) -> None:
    principal.require_scope(action.scope)
    if membership.role.rank < action.role.rank:
        raise APIError(403, f"the {membership.role} role may not do this; it needs {action.role} or above")


def organization(session: Session, principal: Principal, organization_id: int, action: Action) -> Membership:
    membership = _membership(session, principal, organization_id)
    if membership is None:
        raise not_found("organization")
    _check(principal, membership, action)
    return membership


def project(session: Session, principal: Principal, project_id: int, action: Action) -> Project:
    # one round trip for the project and the caller's membership of its organization: every query asks this
    member = (Membership.organization_id == Project.organization_id) & (Membership.user_id == principal.user.id)
    found = session.execute(select(Project, Membership).outerjoin(Membership, member).where(Project.id == project_id))
    row = found.one_or_none()
    if row is None or row.Membership is None:
        raise not_found("project")
    _check(principal, row.Membership, action)
    return row.Project


def may_assign(actor: Membership, target_role: Role, current_role: Role | None = None) -> None:
    """Only an owner makes or unmakes owners; an admin manages the roles below."""
    touches_owner = target_role is Role.OWNER or current_role is Role.OWNER
    if touches_owner and actor.role is not Role.OWNER:
        raise APIError(403, "only an owner may grant, change or remove the owner role")
