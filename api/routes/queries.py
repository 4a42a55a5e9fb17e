"""The query router: one endpoint, the body's ``kind`` picks the runner (docs/QUERIES.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Request

from api import access
from api.access import Action
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.errors import ERROR_RESPONSES
from api.queries import service
from api.queries.cache import Cache
from api.queries.context import QueryContext
from api.queries.registry import QueryBody, QueryResponse
from api.schemas import Id
from infra import clients

router = APIRouter(prefix="/api", tags=["query"], responses=ERROR_RESPONSES)


def _warehouse(request: Request, settings: SettingsDep) -> tuple[object, Cache]:
    """The app's ClickHouse client and cache, made on first use (the auth routes need neither)."""
    state = request.app.state
    if getattr(state, "query_clients", None) is None:
        # no session id: one client serves concurrent requests, and ClickHouse refuses concurrent queries
        # within one session
        warehouse = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
        state.query_clients = warehouse, Cache(clients.redis_client(settings), settings.query_cache_ttl_s)
    return state.query_clients


@router.post("/projects/{project_id}/query")
def run_query(
    project_id: Id,
    body: Annotated[QueryBody, Body()],
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
) -> QueryResponse:
    """Answer a trends, funnel or SQL query over the project's data; from cache when the data has not changed."""
    project = access.project(session, principal, project_id, Action.READ_PROJECT)
    timezone = ZoneInfo(project.timezone)
    session.close()  # the query may take seconds: give the PostgreSQL connection back first
    warehouse, cache = _warehouse(request, settings)
    context = QueryContext(project.id, timezone, warehouse, settings, datetime.now(UTC))  # type: ignore[arg-type]
    return service.execute(body, context, cache)  # type: ignore[return-value]
