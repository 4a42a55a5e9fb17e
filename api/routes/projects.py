"""Projects and their write keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import access, accounts, audit
from api.access import Action
from api.deps import PrincipalDep, SessionDep
from api.errors import ERROR_RESPONSES
from api.models import Membership, Project
from api.schemas import Id, ProjectCreate, ProjectPublic, ProjectUpdate

router = APIRouter(prefix="/api", tags=["projects"], responses=ERROR_RESPONSES)


def public_project(session: Session, project: Project) -> ProjectPublic:
    """A project as the API shows it, with its active write key."""
    key = accounts.active_project_key(session, project.id)
    return ProjectPublic.model_validate(project).model_copy(update={"api_key": key.key if key else None})


@router.get("/projects")
def list_projects(principal: PrincipalDep, session: SessionDep) -> list[ProjectPublic]:
    """Every project of every organization the caller belongs to."""
    principal.require_scope(access.Scope.READ)
    projects = session.scalars(
        select(Project)
        .join(Membership, Membership.organization_id == Project.organization_id)
        .where(Membership.user_id == principal.user.id)
        .order_by(Project.id)
    ).all()
    return [public_project(session, project) for project in projects]


@router.post("/organizations/{organization_id}/projects", status_code=201)
def create_project(
    organization_id: Id, body: ProjectCreate, principal: PrincipalDep, session: SessionDep
) -> ProjectPublic:
    """A new project, with its first write key."""
    access.organization(session, principal, organization_id, Action.CREATE_PROJECT)
    project = accounts.create_project(session, organization_id, body.name, body.timezone, principal.user.id)
    session.commit()
    return public_project(session, project)


@router.get("/projects/{project_id}")
def get_project(project_id: Id, principal: PrincipalDep, session: SessionDep) -> ProjectPublic:
    """One project."""
    return public_project(session, access.project(session, principal, project_id, Action.READ_PROJECT))


@router.patch("/projects/{project_id}")
def update_project(project_id: Id, body: ProjectUpdate, principal: PrincipalDep, session: SessionDep) -> ProjectPublic:
    """Rename a project or change its time zone."""
    project = access.project(session, principal, project_id, Action.UPDATE_PROJECT)
    for field, value in body.model_dump(exclude_none=True).items():
        setattr(project, field, value)
    session.commit()
    return public_project(session, project)


@router.delete("/projects/{project_id}", status_code=204)
def delete_project(project_id: Id, request: Request, principal: PrincipalDep, session: SessionDep) -> Response:
    """Delete a project; its keys stop working at once."""
    project = access.project(session, principal, project_id, Action.DELETE_PROJECT)
    revoked = accounts.revoke_project_keys(session, project, principal.user.id)
    audit.record(session, principal.user.id, project.organization_id, "project.deleted", f"project:{project.id}")
    session.delete(project)
    session.commit()
    request.app.state.project_keys.forget(revoked)
    return Response(status_code=204)


@router.post("/projects/{project_id}/api-key/rotate")
def rotate_key(project_id: Id, request: Request, principal: PrincipalDep, session: SessionDep) -> ProjectPublic:
    """Replace the project's write key: the old one stops working at once."""
    project = access.project(session, principal, project_id, Action.MANAGE_PROJECT_KEYS)
    revoked = accounts.revoke_project_keys(session, project, principal.user.id)
    accounts.issue_project_key(session, project, principal.user.id)
    session.commit()
    request.app.state.project_keys.forget(revoked)
    return public_project(session, project)


@router.post("/projects/{project_id}/api-key/revoke")
def revoke_key(project_id: Id, request: Request, principal: PrincipalDep, session: SessionDep) -> ProjectPublic:
    """Revoke the project's write key without a replacement (rotate to get a new one)."""
    project = access.project(session, principal, project_id, Action.MANAGE_PROJECT_KEYS)
    revoked = accounts.revoke_project_keys(session, project, principal.user.id)
    session.commit()
    request.app.state.project_keys.forget(revoked)
    return public_project(session, project)
