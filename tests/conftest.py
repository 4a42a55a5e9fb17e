from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.support.stack import Stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The test session's own stack (ClickHouse, Kafka, PostgreSQL, Redis), started once, stopped at the end."""
    test_stack = Stack()
    test_stack.up()
    yield test_stack
    test_stack.down()
    shutil.rmtree(test_stack.home, ignore_errors=True)
