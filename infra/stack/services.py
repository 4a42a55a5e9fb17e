"""The services of the local stack, in start order; later issues add Clickpath's own here."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import httpx

from infra import clients
from infra.settings import Settings
from infra.stack import dagster, kafka, postgres
from infra.stack import static_site as static_site_module
from infra.stack.service import Program, Service

ROOT = Path(__file__).resolve().parents[2]


def _clickhouse_check(settings: Settings) -> str:
    client = clients.clickhouse(settings, connect_timeout=5, send_receive_timeout=10, autogenerate_session_id=False)
    try:
        assert client.command("SELECT 1") == 1
        return f"ClickHouse {client.server_version}"
    finally:
        client.close()


def clickhouse(settings: Settings) -> Service:
    program = None
    if settings.clickhouse_url is None:
        data = settings.home_dir / "clickhouse"
        program = Program(
            command=[
                sys.executable,
                "-m",
                "infra",
                "warehouse",
                "serve",
                "--data",
                str(data),
                "--port",
                str(settings.port("clickhouse")),
            ],
            ports=(settings.port("clickhouse"),),
        )
    return Service("clickhouse", settings.effective_clickhouse_url, lambda: _clickhouse_check(settings), program)


def _redis_check(settings: Settings) -> str:
    connection = clients.redis_client(settings)
    try:
        assert connection.ping()
        return f"Redis {connection.info('server')['redis_version']}"
    finally:
        connection.close()


def _folder_made(folder: Path, what: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    return f"{what} in {folder}"


def redis(settings: Settings) -> Service:
    program = None
    data = settings.home_dir / "redis"
    if settings.redis_url is None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        program = Program(
            command=[
                server,
                "--port",
                str(settings.port("redis")),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data),
                "--appendonly",
                "yes",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            ports=(settings.port("redis"),),
        )
    return Service(
        "redis",
        settings.effective_redis_url,
        lambda: _redis_check(settings),
        program,
        # made by `up`, not whenever the service is described (status and down describe it too)
        prepare=(lambda: _folder_made(data, "data")) if program else None,
    )


def clickpath_environment(settings: Settings) -> dict[str, str]:
    """What Clickpath's own processes must see to share the stack's settings, whoever started supervisord."""
    environment = {"CLICKPATH_HOME": str(settings.home_dir), "CLICKPATH_PORT_OFFSET": str(settings.port_offset)}
    outside = {
        "CLICKPATH_CLICKHOUSE_URL": settings.clickhouse_url,
        "CLICKPATH_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "CLICKPATH_DATABASE_URL": settings.database_url,
        "CLICKPATH_REDIS_URL": settings.redis_url,
    }
    return environment | {name: value for name, value in outside.items() if value is not None}


def _http_check(url: str) -> str:
    response = httpx.get(url, timeout=5)
    response.raise_for_status()
    return f"HTTP {response.status_code}"


def _uvicorn(
    settings: Settings, name: str, factory: str, health_path: str, *options: str, server: str = "uvicorn"
) -> Service:
    """``server`` is uvicorn's command line or a module taking the same options (ingest/capture/serve.py)."""
    port = settings.port(name)
    program = Program(
        command=[
            sys.executable,
            "-m",
            server,
            "--factory",
            factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            *options,
        ],
        ports=(port,),
        environment=clickpath_environment(settings),
    )
    url = f"http://127.0.0.1:{port}"
    return Service(name, url, lambda: _http_check(url + health_path), program, needs_migrations=True)


def api(settings: Settings) -> Service:
    return _uvicorn(settings, "api", "api.main:create_app", "/health")


def capture(settings: Settings) -> Service:
    # capture reads X-Forwarded-For itself, from CLICKPATH_CAPTURE_TRUSTED_PROXIES only (uvicorn trusts loopback);
    # with several workers each listens on the port itself, and the kernel spreads connections among them
    workers = settings.capture_workers
    options = ("--no-proxy-headers", "--workers", str(workers))
    service = _uvicorn(
        settings, "capture", "ingest.capture.app:create_app", "/_ready", *options, server="ingest.capture.serve"
    )
    if workers == 1:
        return service
    # each worker writes its metrics there and /metrics sums them (ingest/capture/metrics.py)
    metrics_dir = settings.home_dir / "capture-metrics"
    environment = service.program.environment | {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    program = replace(service.program, environment=environment)
    return replace(service, program=program, prepare=lambda: _folder_made(metrics_dir, "worker metrics"))


def static_site(settings: Settings, name: str, folder: Path) -> Service:
    """A built site (dashboard/dist, the example shop) served on the port of ``name`` (infra/stack/static_site.py).

    Healthy once the folder holds an index.html; it needs no database, so `up` waits for it before migrating.
    """
    service = _uvicorn(settings, name, "infra.stack.static_site:create_app", "/_health")
    environment = service.program.environment | {static_site_module.FOLDER_VARIABLE: str(Path(folder).resolve())}
    return replace(service, program=replace(service.program, environment=environment), needs_migrations=False)


def _dashboard_built(dist: Path) -> str:
    if not (dist / "index.html").is_file():
        raise RuntimeError(f"the dashboard is not built ({dist} has no index.html): run `make dashboard`")
    return f"serving {dist}"


def dashboard(settings: Settings) -> Service:
    """The React app (dashboard/, docs/DASHBOARD.md), built by `make dashboard`, which `make up` runs first."""
    dist = ROOT / "dashboard" / "dist"
    return replace(static_site(settings, "dashboard", dist), prepare=lambda: _dashboard_built(dist))


def example(settings: Settings) -> Service:
    """The demo shop of examples/ (`make example-site` puts the web SDK's bundle beside its pages)."""
    return static_site(settings, "example", ROOT / "examples" / "shop")


def streamlit(settings: Settings) -> Service:
    """The analyst app (streamlit_app/); it reads the query API with the key of settings or demo.json."""
    port = settings.port("streamlit")
    program = Program(
        command=[
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app" / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--client.toolbarMode",
            "minimal",
        ],
        ports=(port,),
        environment=clickpath_environment(settings),
    )
    url = f"http://127.0.0.1:{port}"
    return Service("streamlit", url, lambda: _http_check(url + "/_stcore/health"), program)


def _consumer_check(settings: Settings) -> str:
    """Up when the group has members (the consumer joined); the lag is part of the answer."""
    admin = clients.kafka_admin(settings)
    future = admin.describe_consumer_groups([settings.consumer_group], request_timeout=5)[settings.consumer_group]
    group = future.result()
    assert group.members, f"group {settings.consumer_group} has no members yet"
    return f"{len(group.members)} member(s) in {settings.consumer_group}"


def consumer(settings: Settings) -> Service:
    program = Program(
        command=[sys.executable, "-m", "ingest.consumer"],
        ports=(),
        environment=clickpath_environment(settings),
    )
    return Service(
        "consumer",
        f"kafka group {settings.consumer_group}",
        lambda: _consumer_check(settings),
        program,
        needs_migrations=True,
    )


def _query_worker_check(settings: Settings) -> str:
    """Up when a worker of this stack (not of another stack sharing the Redis) listens on the query queue."""
    from api.queries import jobs  # rq and the query runners, for this check only: not for every command

    connection = clients.redis_client(settings)
    try:
        found = jobs.workers(settings, connection)
        assert found, f"no worker of this stack on the queue {settings.query_queue} yet"
        return f"{len(found)} worker(s) on {settings.query_queue}"
    finally:
        connection.close()


def query_worker(settings: Settings) -> Service:
    """Runs asynchronous queries (`clickpath api worker`, api/queries/jobs.py)."""
    program = Program(
        command=[sys.executable, "-m", "infra", "api", "worker"],
        environment=clickpath_environment(settings),
    )
    return Service(
        "query-worker",
        f"rq queue {settings.query_queue}",
        lambda: _query_worker_check(settings),
        program,
        needs_migrations=True,
    )


def stack(settings: Settings) -> list[Service]:
    return [
        clickhouse(settings),
        kafka.service(settings),
        postgres.service(settings),
        redis(settings),
        api(settings),
        capture(settings),
        consumer(settings),
        query_worker(settings),
        *dagster.services(settings),
        dashboard(settings),
        streamlit(settings),
        example(settings),
    ]
