from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from clickhouse_connect.driver.client import Client
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.main import create_app
from infra import clients
from infra.settings import Settings
from tests.support import activity
from tests.support.api import Account, sign_up
from tests.support.queries import World
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def api_settings(stack: Stack) -> Settings:
    """The test stack's PostgreSQL and Redis (migrated by its `up`), and a signing key of this session.

    Every TestClient request comes from one address, so the per-IP log-in limit is raised here; the
    rate-limit test builds an app with tight limits of its own.
    """
    return stack.settings.model_copy(
        update={"secret_key": SecretStr(secrets.token_urlsafe(32)), "login_limit_per_ip": "100000/minute"}
    )


@pytest.fixture(scope="session")
def api(api_settings: Settings) -> Iterator[TestClient]:
    """The API app in this process, on real PostgreSQL and Redis."""
    with TestClient(create_app(api_settings)) as client:
        yield client


@pytest.fixture
def owner(api: TestClient) -> Account:
    return sign_up(api)


@pytest.fixture(scope="session")
def warehouse(api_settings: Settings) -> Iterator[Client]:
    """The test stack's ClickHouse, for writing known rows straight into the tables the queries read."""
    client = clients.clickhouse(api_settings, database=api_settings.clickhouse_database)
    yield client
    client.close()


@pytest.fixture(scope="module")
def projects(api: TestClient, warehouse: Client) -> dict[str, tuple[Account, World]]:
    """A project per zone of ZONES holding tests/support/activity.py's persons, for the module's tests of
    retention, lifecycle or stickiness (some add events of their own: a module's projects are its own)."""
    return {zone: activity.project(api, warehouse, zone) for zone in activity.ZONES}


@pytest.fixture(scope="module")
def tricky_only(api: TestClient, warehouse: Client) -> tuple[Account, World]:
    """A project holding only the tricky persons, in New York."""
    return activity.project(api, warehouse, "America/New_York", seed=None)
