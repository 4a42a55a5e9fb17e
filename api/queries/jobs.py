"""Asynchronous queries: a body with ``"async": true`` becomes an rq job that the query worker runs.

The job runs the same ``service.execute`` as a synchronous request (cache included) and keeps the answer
as JSON for ``CLICKPATH_QUERY_JOB_TTL_S``. Jobs carry plain JSON (rq's JSON serializer, never pickle): the
project, its time zone, the validated body and the moment it was asked, so relative dates mean what they
meant then. A job belongs to its project (``meta.project_id``): read through another project it does not
exist. A runner's 4xx is an answer (a failed job with its status, message and field), not a crash.

The worker (``clickpath api worker``, the stack's ``query-worker``) forks a work horse per job, so each
job makes its own ClickHouse and Redis clients: connections made before a fork must not be shared with it.
"""

from __future__ import annotations

import hashlib
import os
import socket
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from redis import Redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.job import JobStatus as RqStatus
from rq.serializers import JSONSerializer

from api.errors import APIError, not_found
from api.queries import service
from api.queries.base import QueryModel
from api.queries.cache import Cache
from api.queries.context import QueryContext
from api.queries.registry import QueryBody, QueryResponse
from infra import clients
from infra.settings import Settings, get_settings

BODY: TypeAdapter[Any] = TypeAdapter(QueryBody)
WORKER_FAILED = 500  # the error status of a job the worker could not finish (a timeout, a crash)


class JobStatus(StrEnum):
    QUEUED = "queued"
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"


# rq's statuses as ours; anything else (deferred, scheduled …) is still waiting.
STATUSES = {
    RqStatus.STARTED: JobStatus.STARTED,
    RqStatus.FINISHED: JobStatus.FINISHED,
    RqStatus.FAILED: JobStatus.FAILED,
    RqStatus.STOPPED: JobStatus.FAILED,
    RqStatus.CANCELED: JobStatus.FAILED,
}


class JobError(QueryModel):
    status: int
    """The HTTP status the synchronous request would have had: 400 for a query that cannot be answered, 500 when
    the worker failed (a timeout, a crash)."""
    message: str
    field: str | None = None
    """The body field at fault, when there is one."""


class QueryJob(QueryModel):
    job_id: str
    kind: str
    status: JobStatus
    result: QueryResponse | None = None
    """When finished: the answer, as the synchronous request gives it."""
    error: JobError | None = None
    """When failed: why."""
    enqueued_at: datetime | None = None
    ended_at: datetime | None = None


def queue(connection: Redis, settings: Settings) -> Queue:
    return Queue(settings.query_queue, connection=connection, serializer=JSONSerializer)


def enqueue(jobs: Queue, settings: Settings, query: Any, project_id: int, timezone: ZoneInfo) -> QueryJob:
    ttl = settings.query_job_ttl_s
    job = jobs.enqueue(
        run,
        project_id,
        str(timezone),
        query.model_dump(mode="json", by_alias=True),
        datetime.now(UTC).isoformat(),
        description=f"{query.kind} query of project {project_id}",
        meta={"project_id": project_id, "kind": query.kind},
        job_timeout=settings.query_job_timeout_s,
        ttl=ttl,  # a job no worker took within this is dropped, as an answer is kept this long
        result_ttl=ttl,
        failure_ttl=ttl,
    )
    return QueryJob(job_id=job.id, kind=query.kind, status=JobStatus.QUEUED, enqueued_at=job.enqueued_at)


def run(project_id: int, timezone: str, body: dict[str, Any], asked_at: str) -> dict[str, Any]:
    """The job, in the worker's work horse: ``{"result": answer}`` or ``{"error": {status, message, field}}``."""
    settings = get_settings()
    warehouse = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    cache = Cache(clients.redis_client(settings), settings.query_cache_ttl_s)
    try:
        context = QueryContext(project_id, ZoneInfo(timezone), warehouse, settings, datetime.fromisoformat(asked_at))
        answer = service.execute(BODY.validate_python(body), context, cache)
        return {"result": answer.model_dump(mode="json")}  # type: ignore[attr-defined]
    except APIError as error:
        return {"error": {"status": error.status, "message": error.message, "field": error.field}}
    finally:
        warehouse.close()
        cache.client.close()


def read(jobs: Queue, project_id: int, job_id: str) -> QueryJob:
    """The job as its project sees it; another project's job, or one expired, is 404."""
    try:
        job = Job.fetch(job_id, connection=jobs.connection, serializer=JSONSerializer)
    except NoSuchJobError:
        raise not_found("query job") from None
    if job.meta.get("project_id") != project_id:
        raise not_found("query job")
    known = {
        "job_id": job.id,
        "kind": job.meta.get("kind", ""),
        "enqueued_at": job.enqueued_at,
        "ended_at": job.ended_at,
    }
    # the status of the same read as ended_at: asked again, it could say finished before ended_at was fetched
    status = STATUSES.get(job.get_status(refresh=False), JobStatus.QUEUED)
    if status is JobStatus.FINISHED:
        outcome = job.return_value()
        if outcome is None:  # the answer expired a moment before the job
            raise not_found("query job")
        if "error" in outcome:
            return QueryJob(**known, status=JobStatus.FAILED, error=outcome["error"])
        return QueryJob(**known, status=status, result=outcome["result"])
    if status is JobStatus.FAILED:
        return QueryJob(**known, status=status, error=_worker_error(job))
    return QueryJob(**known, status=status)


def _worker_error(job: Job) -> JobError:
    """Why the worker failed a job, without its traceback (which the worker's log has)."""
    result = job.latest_result()
    if result is not None and "JobTimeoutException" in (result.exc_string or ""):
        return JobError(status=WORKER_FAILED, message=f"the query ran longer than {job.timeout} s in the worker")
    return JobError(status=WORKER_FAILED, message="the query worker failed on this query; its log says why")


# -- the worker --------------------------------------------------------------------------------------------


def worker_prefix(settings: Settings) -> str:
    """The names of this stack's workers start with it: another stack sharing the Redis has other names."""
    stack = hashlib.sha256(f"{socket.gethostname()}:{settings.home_dir}".encode()).hexdigest()[:12]
    return f"clickpath-query-{stack}."


def workers(settings: Settings, connection: Redis) -> list[Worker]:
    """This stack's live workers of the query queue."""
    prefix = worker_prefix(settings)
    return [w for w in Worker.all(queue=queue(connection, settings)) if w.name.startswith(prefix)]


def work(settings: Settings) -> None:
    """Run a worker on the query queue until told to stop (SIGTERM: it finishes the job under way first)."""
    connection = clients.redis_client(settings)
    name = f"{worker_prefix(settings)}{os.getpid()}"
    Worker([queue(connection, settings)], name=name, connection=connection, serializer=JSONSerializer).work()
