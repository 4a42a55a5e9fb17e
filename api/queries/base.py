"""The base of every query body and answer model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class QueryModel(BaseModel):
    # Field docstrings become the OpenAPI descriptions; an unknown field (a typo such as date_form) is a 422
    # naming it, not silently ignored.
    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")
