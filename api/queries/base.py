"""The base of every query body and answer model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class QueryModel(BaseModel):
    # Field docstrings become the OpenAPI descriptions; an unknown field (a typo such as date_form) is a 422
    # naming it, not silently ignored.
    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid", populate_by_name=True)


class Query(QueryModel):
    """What every query body has besides its question: how to run it. Neither is part of the cache key."""

    refresh: bool = False
    """Compute afresh even when a cached answer is still fresh."""
    run_async: bool = Field(default=False, alias="async")
    """Answer at once with a job id; ``GET …/query/{job_id}`` gives the result when a worker has run it."""


RUN_OPTIONS = {"refresh", "run_async"}
"""The fields of ``Query`` that say how, not what: left out of the cache key."""
