from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator

import pytest

from tests.support.dbt import Dbt
from tests.support.ingest import Pipeline, Project
from tests.support.stack import Stack


def pytest_configure(config: pytest.Config) -> None:
    """Give SIGINT Python's own handler when the session inherited it ignored.

    A shell without job control starts background commands with SIGINT ignored (`.ci/run &`). Dagster's
    in-process runs copy SIGINT's handler to SIGTERM when they end, so SIGTERM would then be ignored too,
    and every process the tests start afterwards inherits that: a warehouse server stopped with SIGTERM
    shut down cleanly but exited 0, since uvicorn's re-raise of the signal was ignored. Python's handler,
    as in a terminal, does not outlive exec.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The test session's own stack (ClickHouse, Kafka, PostgreSQL, Redis), started once, stopped at the end."""
    test_stack = Stack()
    try:
        test_stack.up()
        yield test_stack
    finally:  # also when `up` failed half way: whatever it started must not outlive the tests
        test_stack.remove()


@pytest.fixture(scope="session")
def dbt(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Dbt:
    """The plain dbt CLI on models/, against the test stack's warehouse."""
    return Dbt(stack.env, tmp_path_factory.mktemp("dbt"))


@pytest.fixture(scope="session")
def pipeline(stack: Stack) -> Pipeline:
    return Pipeline(stack.settings)


@pytest.fixture
def project(pipeline: Pipeline) -> Project:
    """An owner, organization and project of the test's own."""
    return pipeline.new_project()


@pytest.fixture
def run() -> str:
    """A run id in every id and property a test sends, so a row is traced to the test that sent it."""
    return uuid.uuid4().hex[:12]
