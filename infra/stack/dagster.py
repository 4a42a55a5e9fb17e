"""Dagster in the local stack: the webserver (UI, port 3001 + offset) and the daemon (schedules, sensors).

Both load the code location orchestration.definitions with DAGSTER_HOME in `<home>/dagster`, whose
dagster.yaml this module writes from settings (SQLite there, or PostgreSQL when dagster_postgres_url is
set). The dbt manifest is parsed here, once, before they start: each of them loads the definitions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from infra.settings import Settings
from infra.stack.service import Program, Service
from orchestration import instance, project

CODE_LOCATION = "orchestration.definitions"
# Every daemon the schedules and sensors need, as the webserver's GraphQL reports them.
REQUIRED_DAEMONS = ("SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR")
DAEMON_HEALTH = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"
# The webserver loads the definitions (and dagster-dbt) in a code server of its own before it answers.
READY_TIMEOUT_S = 180


def environment(settings: Settings) -> dict[str, str]:
    from infra.stack.services import clickpath_environment  # services imports this module

    extra = {"DAGSTER_HOME": str(instance.dagster_home(settings))}
    if settings.dbt_project_dir:
        extra["CLICKPATH_DBT_PROJECT_DIR"] = str(settings.effective_dbt_project_dir)
    if settings.dagster_postgres_url:
        extra["CLICKPATH_DAGSTER_POSTGRES_URL"] = settings.dagster_postgres_url
    return clickpath_environment(settings) | project.dbt_environment(settings) | extra


def prepare(settings: Settings) -> str:
    """A dbt project that does not parse must not keep the rest of the stack down: the UI shows its error."""
    home = instance.write_instance(settings)
    try:
        parsed = project.prepare(settings)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        parsed = f"dbt project not loadable ({str(exc).splitlines()[0]}); the Dagster UI shows why"
    return f"{parsed}, instance in {home}"


def build_models(settings: Settings) -> str:
    """The first `up` builds every model once (the demo data's days); a failure is reported, not fatal."""
    try:
        return project.build_if_new(settings)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return f"not built ({str(exc).splitlines()[0]}); see {project.target_dir(settings)}/dbt.log"


def _webserver_check(url: str) -> str:
    info = httpx.get(f"{url}/server_info", timeout=5)
    info.raise_for_status()
    return f"Dagster {info.json().get('dagster_webserver_version', '?')}"


def _daemon_check(url: str) -> str:
    """The daemon writes heartbeats into the instance; the webserver says whether they are recent."""
    response = httpx.post(f"{url}/graphql", json={"query": DAEMON_HEALTH}, timeout=10)
    response.raise_for_status()
    statuses = response.json()["data"]["instance"]["daemonHealth"]["allDaemonStatuses"]
    healthy = {status["daemonType"] for status in statuses if status["healthy"]}
    missing = [name for name in REQUIRED_DAEMONS if name not in healthy]
    assert not missing, f"daemons without a recent heartbeat: {', '.join(missing)}"
    return f"{len(healthy)} daemons healthy"


def services(settings: Settings) -> list[Service]:
    port = settings.port("dagster")
    url = f"http://127.0.0.1:{port}"
    scripts = Path(sys.executable).parent  # the virtualenv's entry points, whatever PATH says
    webserver = Program(
        command=[str(scripts / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-m", CODE_LOCATION],
        ports=(port,),
        environment=environment(settings),
    )
    daemon = Program(
        command=[str(scripts / "dagster-daemon"), "run", "-m", CODE_LOCATION], environment=environment(settings)
    )
    return [
        Service(
            "dagster",
            url,
            lambda: _webserver_check(url),
            webserver,
            prepare=lambda: prepare(settings),
            ready_timeout_s=READY_TIMEOUT_S,
            needs_migrations=True,
        ),
        # its health is read through the webserver, so it is listed (and waited for) after it
        Service(
            "dagster-daemon",
            f"{url} (daemon)",
            lambda: _daemon_check(url),
            daemon,
            ready_timeout_s=READY_TIMEOUT_S,
            needs_migrations=True,
        ),
    ]
