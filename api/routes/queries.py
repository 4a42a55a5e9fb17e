"""The query router: one endpoint, the body's ``kind`` picks the runner (docs/QUERIES.md); with ``"async": true``
a worker runs it and ``GET …/query/{job_id}`` tells how it went (api/queries/jobs.py)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import redis
from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.responses import JSONResponse

from api import access
from api.access import Action
from api.deps import PrincipalDep, SessionDep, SettingsDep, warehouse
from api.errors import ERROR_RESPONSES, APIError, ErrorBody
from api.queries import jobs, service
from api.queries.context import QueryContext
from api.queries.registry import QueryBody, QueryResponse
from api.schemas import Id
from infra.settings import Settings

router = APIRouter(prefix="/api", tags=["query"], responses=ERROR_RESPONSES)
JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,100}$", description="The job_id an async query was given.")]
QUEUE_DOWN = {503: {"model": ErrorBody, "description": "The job queue (Redis) is unreachable."}}
QUEUED = {202: {"model": jobs.QueryJob, "description": 'Queued, for a body with "async": true.'}}
# Reads of a project's freshness, started before the caller is authenticated so that the two overlap.
FRESHNESS_READS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="freshness")


def _read_changes(request: Request, settings: Settings, project_id: int) -> int:
    client, _ = warehouse(request, settings)
    return QueryContext(project_id, ZoneInfo("UTC"), client, settings, datetime.now(UTC)).read_changes()


async def start_changes_read(project_id: Id, request: Request, settings: SettingsDep) -> Future[int]:
    """The project's freshness (QueryContext.data_changes), read in a thread while the dependencies after this
    one authenticate the caller: on a cached answer the read and authentication are most of the time (about
    4 and 2.5 ms). It reveals nothing: the route waits for it only once the caller may read the project."""
    return FRESHNESS_READS.submit(_read_changes, request, settings, project_id)


ChangesReadDep = Annotated[Future[int], Depends(start_changes_read)]


@router.post("/projects/{project_id}/query", responses=QUEUED | QUEUE_DOWN)
def run_query(
    project_id: Id,
    changes_read: ChangesReadDep,  # first: FastAPI resolves dependencies in order, so this starts before the next
    body: Annotated[QueryBody, Body()],
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
) -> QueryResponse:
    """Answer a query over the project's data, from cache when the data has not changed; or queue it (async)."""
    project = access.project(session, principal, project_id, Action.READ_PROJECT)
    timezone = ZoneInfo(project.timezone)
    session.close()  # the query may take seconds: give the PostgreSQL connection back first
    client, cache = warehouse(request, settings)
    if body.run_async:
        try:
            job = jobs.enqueue(jobs.queue(cache.client, settings), settings, body, project.id, timezone)
        except redis.RedisError:
            raise _queue_down("ask again, or without async") from None
        location = {"Location": f"/api/projects/{project.id}/query/{job.job_id}"}
        return JSONResponse(job.model_dump(mode="json"), status_code=202, headers=location)  # type: ignore[return-value]
    context = QueryContext(project.id, timezone, client, settings, datetime.now(UTC), changes_read)
    return service.execute(body, context, cache)  # type: ignore[return-value]


@router.get("/projects/{project_id}/query/{job_id}", responses=QUEUE_DOWN)
def read_query_job(
    project_id: Id, job_id: JobId, request: Request, principal: PrincipalDep, session: SessionDep, settings: SettingsDep
) -> jobs.QueryJob:
    """The status of an async query and, once finished, its answer; another project's job is 404."""
    access.project(session, principal, project_id, Action.READ_PROJECT)
    session.close()
    _, cache = warehouse(request, settings)
    try:
        return jobs.read(jobs.queue(cache.client, settings), project_id, job_id)
    except redis.RedisError:
        raise _queue_down("ask again") from None


def _queue_down(advice: str) -> APIError:
    return APIError(503, f"the job queue (Redis) is unreachable: {advice}", code="unavailable")
