"""Saved insights: a named query body of a project (docs/DASHBOARDS.md)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from api import access
from api.access import Action
from api.deps import PrincipalDep, SessionDep
from api.errors import ERROR_RESPONSES
from api.insights import InsightCreate, InsightList, InsightPublic, InsightUpdate, QueryKind, find_insight, stored_query
from api.models import Insight
from api.schemas import Id

router = APIRouter(prefix="/api", tags=["insights"], responses=ERROR_RESPONSES)


@router.post("/projects/{project_id}/insights", status_code=201)
def create_insight(project_id: Id, body: InsightCreate, principal: PrincipalDep, session: SessionDep) -> InsightPublic:
    """Save a query body as an insight."""
    project = access.project(session, principal, project_id, Action.EDIT_INSIGHTS)
    insight = Insight(
        project_id=project.id,
        name=body.name,
        description=body.description,
        query=stored_query(body.query),
        created_by=principal.user.id,
    )
    session.add(insight)
    session.commit()
    return InsightPublic.model_validate(insight)


@router.get("/projects/{project_id}/insights")
def list_insights(
    project_id: Id, principal: PrincipalDep, session: SessionDep, kind: QueryKind | None = None
) -> InsightList:
    """The project's insights, newest first; only those of one query kind with ``?kind=``."""
    access.project(session, principal, project_id, Action.READ_PROJECT)
    insights = session.scalars(select(Insight).where(Insight.project_id == project_id).order_by(Insight.id.desc()))
    # filtered here, not with PostgreSQL's ->>: that unescapes the whole json value, and refuses a \u0000 in it
    chosen = [insight for insight in insights if kind is None or insight.query["kind"] == kind]
    return InsightList(results=[InsightPublic.model_validate(insight) for insight in chosen])


@router.get("/projects/{project_id}/insights/{insight_id}")
def get_insight(project_id: Id, insight_id: Id, principal: PrincipalDep, session: SessionDep) -> InsightPublic:
    """One insight."""
    access.project(session, principal, project_id, Action.READ_PROJECT)
    return InsightPublic.model_validate(find_insight(session, project_id, insight_id))


@router.patch("/projects/{project_id}/insights/{insight_id}")
def update_insight(
    project_id: Id, insight_id: Id, body: InsightUpdate, principal: PrincipalDep, session: SessionDep
) -> InsightPublic:
    """Rename an insight, change its description or its query."""
    access.project(session, principal, project_id, Action.EDIT_INSIGHTS)
    insight = find_insight(session, project_id, insight_id)
    for field in body.model_fields_set:
        value = getattr(body, field)
        setattr(insight, field, stored_query(value) if field == "query" else value)
    session.commit()
    return InsightPublic.model_validate(insight)


@router.delete("/projects/{project_id}/insights/{insight_id}", status_code=204)
def delete_insight(project_id: Id, insight_id: Id, principal: PrincipalDep, session: SessionDep) -> Response:
    """Delete an insight, and its tiles on every dashboard."""
    access.project(session, principal, project_id, Action.EDIT_INSIGHTS)
    session.delete(find_insight(session, project_id, insight_id))
    session.commit()
    return Response(status_code=204)
