from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.support.stack import Stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The test session's own stack (ClickHouse, Kafka, PostgreSQL, Redis), started once, stopped at the end."""
    test_stack = Stack()
    try:
        test_stack.up()
        yield test_stack
    finally:  # also when `up` failed half way: whatever it started must not outlive the tests
        test_stack.run("down", check=False)
        shutil.rmtree(test_stack.home, ignore_errors=True)
