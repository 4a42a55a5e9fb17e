"""Organizations and their members."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import access, accounts, audit
from api.access import Action
from api.deps import PrincipalDep, SessionDep
from api.errors import ERROR_RESPONSES, APIError, not_found
from api.models import Membership, Role
from api.schemas import Id, MemberAdd, MemberPublic, MemberUpdate, OrganizationPublic

router = APIRouter(prefix="/api/organizations", tags=["organizations"], responses=ERROR_RESPONSES)


@router.get("")
def list_organizations(principal: PrincipalDep) -> list[OrganizationPublic]:
    """The organizations the caller belongs to."""
    principal.require_scope(access.Scope.READ)
    return [OrganizationPublic.model_validate(m.organization) for m in principal.user.memberships]


@router.get("/{organization_id}/members")
def list_members(organization_id: Id, principal: PrincipalDep, session: SessionDep) -> list[MemberPublic]:
    """Everyone in the organization, with their role."""
    access.organization(session, principal, organization_id, Action.READ_ORGANIZATION)
    members = session.scalars(select(Membership).where(Membership.organization_id == organization_id)).all()
    return [MemberPublic.model_validate(m, from_attributes=True) for m in members]


@router.post("/{organization_id}/members", status_code=201)
def add_member(organization_id: Id, body: MemberAdd, principal: PrincipalDep, session: SessionDep) -> MemberPublic:
    """Add a person by e-mail; with a password, an account is created for a new address."""
    actor = access.organization(session, principal, organization_id, Action.MANAGE_MEMBERS)
    access.may_assign(actor, body.role)
    user = accounts.find_user(session, str(body.email))
    if user is None:
        if body.password is None:
            raise APIError(404, "nobody has this e-mail yet; give a password to create the account", field="email")
        # no name given: the address's local part (at most 64 characters) stands in for one
        user = accounts.create_user(session, str(body.email), body.password, body.name or str(body.email).split("@")[0])
    elif _find(session, organization_id, user.id) is not None:
        raise APIError(409, "already a member", field="email")
    membership = Membership(organization_id=organization_id, user_id=user.id, role=body.role)
    session.add(membership)
    audit.record(session, principal.user.id, organization_id, "member.added", f"user:{user.id}", role=body.role)
    session.commit()
    return MemberPublic.model_validate(membership, from_attributes=True)


@router.patch("/{organization_id}/members/{user_id}")
def change_role(
    organization_id: Id, user_id: Id, body: MemberUpdate, principal: PrincipalDep, session: SessionDep
) -> MemberPublic:
    """Give a member another role."""
    actor = access.organization(session, principal, organization_id, Action.MANAGE_MEMBERS)
    membership = _find(session, organization_id, user_id)
    if membership is None:
        raise not_found("member")
    access.may_assign(actor, body.role, membership.role)
    if membership.role is Role.OWNER and body.role is not Role.OWNER:
        _keep_an_owner(session, organization_id)
    audit.record(
        session,
        principal.user.id,
        organization_id,
        "member.role_changed",
        f"user:{user_id}",
        old=membership.role,
        new=body.role,
    )
    membership.role = body.role
    session.commit()
    return MemberPublic.model_validate(membership, from_attributes=True)


@router.delete("/{organization_id}/members/{user_id}", status_code=204)
def remove_member(organization_id: Id, user_id: Id, principal: PrincipalDep, session: SessionDep) -> Response:
    """Take a member out of the organization."""
    actor = access.organization(session, principal, organization_id, Action.MANAGE_MEMBERS)
    membership = _find(session, organization_id, user_id)
    if membership is None:
        raise not_found("member")
    access.may_assign(actor, membership.role, membership.role)
    if membership.role is Role.OWNER:
        _keep_an_owner(session, organization_id)
    session.delete(membership)
    audit.record(session, principal.user.id, organization_id, "member.removed", f"user:{user_id}")
    session.commit()
    return Response(status_code=204)


def _find(session: Session, organization_id: int, user_id: int) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.organization_id == organization_id, Membership.user_id == user_id)
    )


def _keep_an_owner(session: Session, organization_id: int) -> None:
    """Refuse to take away the last owner. The owners' rows stay locked until the change commits, so two
    owners demoting each other at once cannot both succeed."""
    owners = session.scalars(
        select(Membership.id)
        .where(Membership.organization_id == organization_id, Membership.role == Role.OWNER)
        .order_by(Membership.id)
        .with_for_update()
    ).all()
    if len(owners) <= 1:
        raise APIError(409, "an organization keeps at least one owner")
