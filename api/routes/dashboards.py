"""Dashboards: tiles of a project's insights, and every tile's answer in one request (docs/DASHBOARDS.md)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from api import access
from api.access import Action
from api.deps import PrincipalDep, SessionDep, SettingsDep, warehouse
from api.errors import ERROR_RESPONSES, APIError, not_found
from api.insights import (
    DashboardCreate,
    DashboardList,
    DashboardPublic,
    DashboardResults,
    DashboardUpdate,
    InsightPublic,
    TileCreate,
    TileError,
    TilePublic,
    TileResult,
    find_dashboard,
    find_insight,
)
from api.models import Dashboard, DashboardTile
from api.queries import service
from api.queries.cache import Cache
from api.queries.context import QueryContext
from api.schemas import Id

router = APIRouter(prefix="/api", tags=["dashboards"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)

MAX_TILES = 50  # every tile's query runs in the one results request: a bound on how long it may take


@router.post("/projects/{project_id}/dashboards", status_code=201)
def create_dashboard(
    project_id: Id, body: DashboardCreate, principal: PrincipalDep, session: SessionDep
) -> DashboardPublic:
    """A new, empty dashboard."""
    project = access.project(session, principal, project_id, Action.EDIT_INSIGHTS)
    dashboard = Dashboard(project_id=project.id, name=body.name, description=body.description, tiles=[])
    session.add(dashboard)
    session.commit()
    return DashboardPublic.model_validate(dashboard)


@router.get("/projects/{project_id}/dashboards")
def list_dashboards(project_id: Id, principal: PrincipalDep, session: SessionDep) -> DashboardList:
    """The project's dashboards with their tiles, newest first."""
    access.project(session, principal, project_id, Action.READ_PROJECT)
    dashboards = session.scalars(
        select(Dashboard)
        .where(Dashboard.project_id == project_id)
        .options(selectinload(Dashboard.tiles))
        .order_by(Dashboard.id.desc())
    )
    return DashboardList(results=[DashboardPublic.model_validate(dashboard) for dashboard in dashboards])


@router.get("/projects/{project_id}/dashboards/{dashboard_id}")
def get_dashboard(project_id: Id, dashboard_id: Id, principal: PrincipalDep, session: SessionDep) -> DashboardPublic:
    """One dashboard and its tiles."""
    access.project(session, principal, project_id, Action.READ_PROJECT)
    return DashboardPublic.model_validate(find_dashboard(session, project_id, dashboard_id))


@router.patch("/projects/{project_id}/dashboards/{dashboard_id}")
def update_dashboard(
    project_id: Id, dashboard_id: Id, body: DashboardUpdate, principal: PrincipalDep, session: SessionDep
) -> DashboardPublic:
    """Rename a dashboard or change its description."""
    access.project(session, principal, project_id, Action.EDIT_INSIGHTS)
    dashboard = find_dashboard(session, project_id, dashboard_id)
    for field in body.model_fields_set:
        setattr(dashboard, field, getattr(body, field))
    session.commit()
    return DashboardPublic.model_validate(dashboard)


@router.delete("/projects/{project_id}/dashboards/{dashboard_id}", status_code=204)
def delete_dashboard(project_id: Id, dashboard_id: Id, principal: PrincipalDep, session: SessionDep) -> Response:
    """Delete a dashboard and its tiles (the insights stay)."""
    access.project(session, principal, project_id, Action.EDIT_INSIGHTS)
    session.delete(find_dashboard(session, project_id, dashboard_id))
    session.commit()
    return Response(status_code=204)


@router.post("/projects/{project_id}/dashboards/{dashboard_id}/tiles", status_code=201)
def add_tile(
    project_id: Id, dashboard_id: Id, body: TileCreate, principal: PrincipalDep, session: SessionDep
) -> TilePublic:
    """Put an insight of the same project on the dashboard, after its last tile."""
    access.project(session, principal, project_id, Action.EDIT_INSIGHTS)
    dashboard = find_dashboard(session, project_id, dashboard_id, lock=True)  # two adds get two positions
    insight = find_insight(session, project_id, body.insight_id, field="insight_id")
    if len(dashboard.tiles) >= MAX_TILES:
        raise APIError(409, f"a dashboard holds at most {MAX_TILES} tiles", field="insight_id")
    position = max((tile.position for tile in dashboard.tiles), default=-1) + 1
    tile = DashboardTile(insight_id=insight.id, position=position)
    dashboard.tiles.append(tile)
    dashboard.updated_at = func.now()
    session.commit()
    return TilePublic.model_validate(tile)


@router.delete("/projects/{project_id}/dashboards/{dashboard_id}/tiles/{tile_id}", status_code=204)
def remove_tile(
    project_id: Id, dashboard_id: Id, tile_id: Id, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Take a tile off the dashboard (the insight stays)."""
    access.project(session, principal, project_id, Action.EDIT_INSIGHTS)
    dashboard = find_dashboard(session, project_id, dashboard_id, lock=True)
    tile = next((tile for tile in dashboard.tiles if tile.id == tile_id), None)
    if tile is None:
        raise not_found("tile")
    dashboard.tiles.remove(tile)
    dashboard.updated_at = func.now()
    session.commit()
    return Response(status_code=204)


@router.get("/projects/{project_id}/dashboards/{dashboard_id}/results")
def dashboard_results(
    project_id: Id,
    dashboard_id: Id,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    refresh: bool = False,
) -> DashboardResults:
    """Every tile's answer, each as ``POST …/query`` gives it (from cache when the data has not changed);
    a tile whose query fails carries its error, and the others still answer."""
    project = access.project(session, principal, project_id, Action.READ_PROJECT)
    dashboard = find_dashboard(session, project_id, dashboard_id, selectinload(Dashboard.tiles, DashboardTile.insight))
    public = DashboardPublic.model_validate(dashboard)
    insights = [InsightPublic.model_validate(tile.insight) for tile in dashboard.tiles]
    timezone = ZoneInfo(project.timezone)
    session.close()  # the queries may take seconds: give the PostgreSQL connection back first
    client, cache = warehouse(request, settings)
    context = QueryContext(project_id, timezone, client, settings, datetime.now(UTC))
    pairs = zip(public.tiles, insights, strict=True)
    tiles = [_answer(tile, insight, context, cache, refresh) for tile, insight in pairs]
    return DashboardResults(dashboard=public, tiles=tiles)


def _answer(tile: TilePublic, insight: InsightPublic, context: QueryContext, cache: Cache, refresh: bool) -> TileResult:
    """One tile's answer, or the error ``POST …/query`` would have given for its query."""
    try:
        result = service.execute(insight.query.model_copy(update={"refresh": refresh}), context, cache)
    except APIError as error:
        failure = TileError(status=error.status, message=error.message, field=error.field)
    except Exception:  # a bug in one runner must not blank the whole dashboard: it is logged, the tile says 500
        log.exception("dashboard tile %s: insight %s failed", tile.id, insight.id)
        failure = TileError(status=500, message="the query failed unexpectedly; the API's log says why")
    else:
        return TileResult(tile_id=tile.id, insight=insight, result=result, error=None)
    return TileResult(tile_id=tile.id, insight=insight, result=None, error=failure)
