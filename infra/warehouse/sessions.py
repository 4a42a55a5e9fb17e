"""Named HTTP sessions (``session_id``): one engine connection each, kept until idle too long.

As in ClickHouse, a session keeps SET, USE and temporary tables between requests, serves one request
at a time (a second one gets SESSION_IS_LOCKED), expires ``session_timeout`` seconds after its last
request ends, and ``session_check=1`` refuses a session that does not exist yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from infra.warehouse import errors
from infra.warehouse.engine import Connection, Engine
from infra.warehouse.errors import ClickHouseError

DEFAULT_TIMEOUT_S = 60  # ClickHouse's default_session_timeout
MAX_TIMEOUT_S = 3600  # ClickHouse's max_session_timeout


@dataclass(frozen=True)
class Overlay:
    """What one request lays over its session for itself alone: its URL settings and ``database``."""

    settings: dict[str, str] = field(default_factory=dict)
    database: str | None = None


@dataclass
class Session:
    id: str
    connection: Connection
    timeout_s: float
    busy: bool = False
    expires_at: float = field(default=0.0)
    overlay: Overlay = field(default_factory=Overlay)
    _saved_settings: dict[str, str] = field(default_factory=dict)
    _saved_database: str | None = None

    def wear(self, overlay: Overlay) -> None:
        """Run the connection with a request's overlay (blocking: call from a worker thread).

        The overlay stays on after the request: a client's next request usually brings the same one
        (clickhouse-connect sends its settings every time) and then costs no engine call. A request
        with a different overlay takes the old one off first, so the session's own state never shows
        a request's settings.
        """
        if overlay == self.overlay:
            return
        self.take_off()
        try:
            if overlay.settings:
                self._saved_settings = self.connection.current_settings(overlay.settings)
                self.connection.set(overlay.settings)
            if overlay.database and overlay.database != self.connection.database:
                self._saved_database = self.connection.database
                self.connection.use(overlay.database)
        except BaseException:
            self.take_off()
            raise
        self.overlay = overlay

    def take_off(self) -> None:
        """Put back the session's own settings and database (before a SET or USE changes them)."""
        if self._saved_settings:
            self.connection.set(self._saved_settings)
        if self._saved_database:
            self.connection.use(self._saved_database)
        self._saved_settings, self._saved_database, self.overlay = {}, None, Overlay()


def parse_timeout(value: str | None) -> float:
    if value is None:
        return DEFAULT_TIMEOUT_S
    if not value.isdigit():
        raise ClickHouseError(errors.INVALID_SESSION_TIMEOUT, f"Invalid session timeout: '{value}'")
    if int(value) > MAX_TIMEOUT_S:
        raise ClickHouseError(
            errors.INVALID_SESSION_TIMEOUT,
            f"Session timeout '{value}' is larger than max_session_timeout: {MAX_TIMEOUT_S}",
        )
    return float(value)


class SessionRegistry:
    """Sessions by id. Acquire and release run on the event loop, so no lock is needed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions: dict[str, Session] = {}

    def acquire(self, session_id: str, timeout_s: float, check: bool) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            if check:
                raise ClickHouseError(errors.SESSION_NOT_FOUND, f"Session {session_id} not found")
            session = Session(session_id, self._engine.connect(), timeout_s)
            self._sessions[session_id] = session
        if session.busy:
            raise ClickHouseError(
                errors.SESSION_IS_LOCKED,
                f"Session {session_id} is locked by a concurrent client",
            )
        session.busy = True
        session.timeout_s = timeout_s
        return session

    def release(self, session: Session, close: bool = False) -> None:
        session.busy = False
        session.expires_at = time.monotonic() + session.timeout_s
        if close:
            self._sessions.pop(session.id, None)
            session.connection.close()

    def expired(self) -> list[Session]:
        """Take out the idle sessions past their timeout; the caller closes their connections."""
        now = time.monotonic()
        gone = [s for s in self._sessions.values() if not s.busy and s.expires_at <= now]
        for session in gone:
            del self._sessions[session.id]
        return gone

    def drain(self) -> list[Session]:
        """Take out every session (at shutdown)."""
        gone = list(self._sessions.values())
        self._sessions.clear()
        return gone

    def __len__(self) -> int:
        return len(self._sessions)
