"""supervisord runs the local stack's processes: it restarts what crashes and stops everything on ``down``.

Its configuration is generated into the stack's home from the services; ``up`` applies changes the
way ``supervisorctl update`` does, so an unchanged stack is left running untouched.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psutil
from supervisor.xmlrpc import SupervisorTransport

from infra.stack.files import write_if_changed
from infra.stack.service import Service

START_TIMEOUT_S = 20
# how long a program's descendants get to finish after supervisord stopped it, before they are killed
DESCENDANTS_GRACE_S = 10


class Supervisor:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.config = home / "supervisord.conf"
        self.socket = home / "supervisor.sock"
        self.logs = home / "logs"

    # -- configuration -----------------------------------------------------------------------------

    def write_config(self, services: Iterable[Service]) -> bool:
        self.logs.mkdir(parents=True, exist_ok=True)
        sections = [
            "[unix_http_server]",
            f"file={_escape(self.socket)}",
            "chmod=0700",
            "",
            "[supervisord]",
            f"logfile={_escape(self.logs / 'supervisord.log')}",
            f"pidfile={_escape(self.home / 'supervisord.pid')}",
            f"directory={_escape(self.home)}",
            "nodaemon=false",
            "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
            "",
            "[supervisorctl]",
            f"serverurl=unix://{_escape(self.socket)}",
            "",
        ]
        for service in services:
            if service.program is not None:
                sections += self._program(service)
        return write_if_changed(self.config, "\n".join(sections))

    def _program(self, service: Service) -> list[str]:
        program = service.program
        assert program is not None
        lines = [
            f"[program:{service.name}]",
            f"command={_escape(shlex.join(program.command))}",
            f"directory={_escape(program.directory or self.home)}",
            "autostart=true",
            "autorestart=true",
            "startsecs=2",
            f"stopsignal={program.stop_signal}",
            f"stopwaitsecs={program.stop_wait_s}",
            # the whole process group goes, so nothing a service spawned outlives `down`
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={_escape(self.logs / (service.name + '.log'))}",
            "stdout_logfile_maxbytes=20MB",
            "stdout_logfile_backups=2",
        ]
        if program.user:
            lines.append(f"user={program.user}")
        if program.environment:
            pairs = ",".join(f'{key}="{_escape(value)}"' for key, value in program.environment.items())
            lines.append(f"environment={pairs}")
        return [*lines, ""]

    # -- control -----------------------------------------------------------------------------------

    def _proxy(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def running(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return self._proxy().getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Fault):
            return False

    def start(self) -> str:
        """Start supervisord (which starts every program), or apply a changed configuration to it."""
        if not self.running():
            subprocess.run([sys.executable, "-m", "supervisor.supervisord", "-c", str(self.config)], check=True)
            deadline = time.monotonic() + START_TIMEOUT_S
            while not self.running():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"supervisord did not start; see {self.logs / 'supervisord.log'}")
                time.sleep(0.1)
            return "supervisord started"
        return self._update()

    def _update(self) -> str:
        proxy = self._proxy()
        added, changed, removed = proxy.reloadConfig()[0]
        for name in changed + removed:
            proxy.stopProcessGroup(name)
            proxy.removeProcessGroup(name)
        for name in changed + added:
            proxy.addProcessGroup(name)
        started = []
        for info in proxy.getAllProcessInfo():
            if info["statename"] not in ("RUNNING", "STARTING"):
                proxy.startProcess(info["name"], False)
                started.append(info["name"])
        changes = [
            f"{label}: {', '.join(names)}"
            for label, names in (("added", added), ("changed", changed), ("removed", removed), ("restarted", started))
            if names
        ]
        return "supervisord running; " + ("; ".join(changes) if changes else "nothing changed")

    def processes(self) -> dict[str, dict[str, Any]]:
        """Each program's state as supervisord reports it (statename, pid, start, …)."""
        if not self.running():
            return {}
        return {info["name"]: info for info in self._proxy().getAllProcessInfo()}

    def states(self) -> dict[str, str]:
        return {name: info["statename"] for name, info in self.processes().items()}

    def stop(self) -> list[str]:
        """Stop every program, then supervisord itself; returns the programs that were running."""
        if not self.running():
            return []
        proxy = self._proxy()
        running = [info for info in proxy.getAllProcessInfo() if info["statename"] == "RUNNING"]
        descendants = [child for info in running for child in _descendants(info["pid"])]
        proxy.stopAllProcesses(True)
        proxy.shutdown()
        pid_file = self.home / "supervisord.pid"
        deadline = time.monotonic() + START_TIMEOUT_S
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        _reap(descendants)
        return [info["name"] for info in running]


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _reap(processes: list[psutil.Process]) -> None:
    """Wait for what the programs spawned, and kill what outlives the grace period.

    supervisord signals a program's whole group but waits only for the program itself, so a child
    that shuts down slowly (Dagster's gRPC code servers) would still be running when ``down`` returns.
    """
    _, alive = psutil.wait_procs(processes, timeout=DESCENDANTS_GRACE_S)
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            continue  # it ended meanwhile
    psutil.wait_procs(alive, timeout=DESCENDANTS_GRACE_S)


def _escape(value: object) -> str:
    """supervisord expands %(name)s in its configuration, so a literal % is written %%."""
    return str(value).replace("%", "%%")
