"""`up`, `down` and `status` of the local stack."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from api import demo
from infra.migrations import migrate
from infra.settings import Settings
from infra.stack import dagster
from infra.stack.service import Service
from infra.stack.services import stack
from infra.stack.supervisor import Supervisor
from ingest import demo_data

Say = Callable[[str], None]
POLL_S = 0.5
LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class Health:
    service: Service
    state: str
    """The process manager's state for a local service; "outside" for one that runs elsewhere."""
    healthy: bool
    detail: str
    memory_mib: float | None = None
    """Resident memory of the service's processes (children included), for a local one that runs."""


def up(settings: Settings, say: Say) -> dict[str, object]:
    """Start whatever is not running, wait until each service answers, migrate; safe to run again."""
    home = settings.home_dir
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o755)  # the postgres user (when we run as root) must reach its data directory inside
    settings.signing_key()  # made once, before the API and the CLI could race to make it
    services = stack(settings)
    for service in services:
        if service.prepare:
            say(f"{service.name}: {service.prepare()}")
    supervisor = Supervisor(home)
    _check_ports_free(services, supervisor.states())
    supervisor.write_config(services)
    say(supervisor.start())
    for service in services:
        if not service.needs_migrations:
            say(f"{service.name}: {wait_healthy(service, supervisor)}")
    migrate(settings, say)
    for service in services:
        if service.needs_migrations:
            say(f"{service.name}: {wait_healthy(service, supervisor)}")
    demo_file = home / "demo.json"
    previous = json.loads(demo_file.read_text()).get("demo", {}) if demo_file.exists() else {}
    summary = describe(settings, services) | {"demo": demo.ensure(settings, previous)}
    say(f"demo account: {summary['demo']['email']}")
    say(f"demo events: {demo_data.ensure(settings, summary['demo'], previous)}")
    summary["demo"]["demo_events_loaded"] = True
    say(f"models: {dagster.build_models(settings)}")
    demo_file.touch(mode=0o600)
    demo_file.chmod(0o600)  # it holds the demo password and keys: readable by its owner alone, before writing
    demo_file.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _check_ports_free(services: list[Service], states: dict[str, str]) -> None:
    """A port taken by someone else would make a health check talk to the wrong server: refuse early."""
    for service in services:
        if service.program is None or states.get(service.name) in ("RUNNING", "STARTING"):
            continue
        for port in service.program.ports:
            if port_in_use(port):
                raise RuntimeError(
                    f"port {port} for {service.name} is taken by another process: stop it, "
                    "or shift the stack with CLICKPATH_PORT_OFFSET, or point the service's URL setting at it"
                )


def port_in_use(port: int) -> bool:
    """Whether something accepts connections on this loopback port."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_healthy(service: Service, supervisor: Supervisor) -> str:
    """Poll until the service answers (running its after-start step first, once it can)."""
    started = time.monotonic()
    deadline = started + service.ready_timeout_s
    while True:
        try:
            done = f"{service.after_start()}, " if service.after_start else ""
            return f"{done}{service.check()}, healthy after {time.monotonic() - started:.1f}s"
        except Exception as exc:  # each protocol fails in its own way until the service is up
            state = supervisor.states().get(service.name) if service.local else "outside"
            # BACKOFF is not final: supervisord starts the process again, and gives up (FATAL) after its retries
            if time.monotonic() > deadline or state in ("FATAL", "EXITED"):
                log = supervisor.logs / f"{service.name}.log"
                raise RuntimeError(
                    f"{service.name} is not healthy ({state}): {exc}; see {log}, which ends:\n{_tail(log)}"
                ) from exc
            time.sleep(POLL_S)


def _tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a service's log, for an error that is read where the log may be gone (CI)."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(unreadable: {exc})"


def describe(settings: Settings, services: list[Service]) -> dict[str, object]:
    """Where each service is and how to reach it: what `up` prints and writes to demo.json."""
    return {
        "services": {service.name: {"address": service.address, "local": service.local} for service in services},
        "settings": {
            "CLICKPATH_CLICKHOUSE_URL": settings.effective_clickhouse_url,
            "CLICKPATH_KAFKA_BOOTSTRAP_SERVERS": settings.effective_kafka_bootstrap_servers,
            "CLICKPATH_DATABASE_URL": settings.effective_database_url,
            "CLICKPATH_REDIS_URL": settings.effective_redis_url,
        },
        "logs": str(settings.home_dir / "logs"),
    }


def down(settings: Settings) -> list[str]:
    return Supervisor(settings.home_dir).stop()


def status(settings: Settings) -> list[Health]:
    processes = Supervisor(settings.home_dir).processes()
    report = []
    for service in stack(settings):
        info = processes.get(service.name, {})
        state = info.get("statename", "NOT STARTED") if service.local else "outside"
        memory = resident_mib(info["pid"]) if info.get("pid") else None
        try:
            report.append(Health(service, state, True, service.check(), memory))
        except Exception as exc:  # report every failure, whatever the client raised
            report.append(Health(service, state, False, str(exc) or type(exc).__name__, memory))
    return report


def resident_mib(pid: int) -> float | None:
    """Resident memory of a process and its children (PostgreSQL's backends, for one)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
        return sum(process.memory_info().rss for process in processes) / 2**20
    except psutil.Error:
        return None
