"""What the local stack knows about one service: how to run it, how to tell it is healthy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Program:
    """How the process manager runs one local process."""

    command: list[str]
    ports: tuple[int, ...] = ()
    """The ports it listens on: they must be free before it starts."""
    directory: Path | None = None
    user: str | None = None
    """Run as this user (PostgreSQL refuses to run as root)."""
    environment: dict[str, str] = field(default_factory=dict)
    stop_signal: str = "TERM"
    stop_wait_s: int = 30


@dataclass(frozen=True)
class Service:
    name: str
    address: str
    """Where clients reach it: a URL or host:port."""
    check: Callable[[], str]
    """Asks the service through its own protocol; returns a short detail, raises when unhealthy."""
    program: Program | None = None
    """None when the service runs elsewhere (its URL setting points outside)."""
    prepare: Callable[[], str] | None = None
    """Idempotent set-up before the first start (fetch jars, create data directories); returns what it did."""
    after_start: Callable[[], str] | None = None
    """Idempotent set-up once it answers (create a database); returns what it did."""
    ready_timeout_s: float = 60
    needs_migrations: bool = False
    """Healthy only once the migrations ran (Clickpath's own services): `up` waits for it after migrating."""

    @property
    def local(self) -> bool:
        return self.program is not None
