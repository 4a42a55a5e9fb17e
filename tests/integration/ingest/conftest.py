from __future__ import annotations

import pytest

from tests.support.ingest import Pipeline, Project
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def pipeline(stack: Stack) -> Pipeline:
    return Pipeline(stack.settings)


@pytest.fixture
def project(pipeline: Pipeline) -> Project:
    return pipeline.new_project()
