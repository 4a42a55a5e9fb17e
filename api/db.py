"""The PostgreSQL engine and sessions, made from settings."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from infra.settings import Settings


@lru_cache
def engine_for(url: str) -> Engine:
    # pre-ping: a connection the server closed (restart, idle timeout) is replaced, not handed out
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def sessions(settings: Settings) -> sessionmaker[Session]:
    return sessionmaker(engine_for(settings.effective_database_url), expire_on_commit=False)


def session_scope(settings: Settings) -> Iterator[Session]:
    """One session per request, committed by the handler, rolled back if it raised."""
    with sessions(settings)() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
