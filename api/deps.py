"""FastAPI dependencies as typed aliases: settings, the database session, the caller; the warehouse."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

from clickhouse_connect.driver.client import Client
from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from api import db, security
from api.access import Principal, Scope
from api.errors import APIError
from api.models import PersonalApiKey, User
from api.queries.cache import Cache
from infra import clients
from infra.settings import Settings


async def get_settings(request: Request) -> Settings:
    # async: FastAPI runs a plain def dependency in a worker thread, a hop this lookup does not need
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    yield from db.session_scope(settings)


SessionDep = Annotated[Session, Depends(get_session)]

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
LAST_USED_PRECISION = timedelta(minutes=1)


def get_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise APIError(
            401, "missing credentials: send Authorization: Bearer <token or personal API key>", headers=_UNAUTHORIZED
        )
    if credential.startswith(security.PERSONAL_KEY_PREFIX):
        return _key_principal(session, credential)
    user_id = security.read_token(settings, credential, "access")
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise APIError(401, "invalid or expired access token", headers=_UNAUTHORIZED)
    return Principal(user, frozenset(Scope))


def _key_principal(session: Session, credential: str) -> Principal:
    found = select(PersonalApiKey).options(joinedload(PersonalApiKey.user))  # the key and its user in one read
    key = session.scalar(found.where(PersonalApiKey.token_hash == security.hash_key(credential)))
    now = datetime.now(UTC)
    if key is None or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise APIError(401, "invalid, revoked or expired personal API key", headers=_UNAUTHORIZED)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        key.last_used_at = now  # a write at most once a minute per key, not one per request
        session.commit()
    return Principal(key.user, frozenset(Scope(scope) for scope in key.scopes), key)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
_WAREHOUSE_LOCK = threading.Lock()


def warehouse(request: Request, settings: Settings) -> tuple[Client, Cache]:
    """The app's ClickHouse client and query cache, made on first use (the auth routes need neither).

    A plain function, not a dependency: a query route checks access and gives its PostgreSQL connection
    back before it asks for them.
    """
    state = request.app.state
    with _WAREHOUSE_LOCK:  # the query route's freshness read may ask from another thread at the same time
        if getattr(state, "query_clients", None) is None:
            state.query_clients = _query_clients(settings)
    return state.query_clients


def _query_clients(settings: Settings) -> tuple[Client, Cache]:
    # no session id: one client serves concurrent requests, and ClickHouse refuses concurrent queries within
    # one session
    client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
    return client, Cache(clients.redis_client(settings), settings.query_cache_ttl_s)
