"""Saved insights and dashboards: their request and response bodies, and finding them within a project.

An insight keeps its query body as ``POST …/query`` validated it, defaults filled in, without ``refresh`` and
``async`` (how to run it, not what to ask), so a saved insight asks the same question whatever later becomes
a default. A dashboard is a list of tiles, each showing one insight of the same project (docs/DASHBOARDS.md).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator, model_serializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from api.errors import APIError, not_found
from api.models import DESCRIPTION_LENGTH, NAME_LENGTH, Dashboard, Insight
from api.queries.base import RUN_OPTIONS, Query
from api.queries.registry import RUNNERS, QueryBody, QueryResponse
from api.schemas import MAX_ID, _Named

QueryKind = StrEnum("QueryKind", {kind: kind for kind in RUNNERS})  # type: ignore[misc]
"""The ``kind`` of a query body, to filter insights by."""

_RUN_KEYS = frozenset(name for option in RUN_OPTIONS for name in (option, Query.model_fields[option].alias) if name)
_KEPT_CONTROLS = frozenset("\t\n\r")


def stored_query(query: Query) -> dict[str, Any]:
    """A query body as an insight keeps it: normalized, without ``refresh`` and ``async``."""
    return query.model_dump(mode="json", by_alias=True, exclude=RUN_OPTIONS)


# --- bodies --------------------------------------------------------------------------------------------------


class _Edit(_Named):
    """Names are trimmed and refused when blank or holding control characters; descriptions may hold line
    breaks and tabs, no other control character, and null is none (""). A field left out keeps its default
    (in a change: stays as it is); a null name or query is refused."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    @field_validator("description", check_fields=False)
    @classmethod
    def _description(cls, value: str | None) -> str:
        if value is None:
            return ""
        if any(unicodedata.category(char) == "Cc" and char not in _KEPT_CONTROLS for char in value):
            raise ValueError("must not contain control characters other than tabs and line breaks")
        return value

    @field_validator("name", "query", check_fields=False)
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # only a null that was sent gets here: a field left out is not validated
            raise ValueError("must not be null: leave the field out to keep it as it is")
        return value


class InsightCreate(_Edit):
    name: str = Field(min_length=1, max_length=NAME_LENGTH)
    description: str | None = Field(default="", max_length=DESCRIPTION_LENGTH)
    """Null or left out: none ("")."""
    query: QueryBody
    """A query body, checked as ``POST …/query`` checks it; ``refresh`` and ``async`` are accepted and dropped."""


class InsightUpdate(_Edit):
    """The fields to change; those left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=NAME_LENGTH)
    description: str | None = Field(default=None, max_length=DESCRIPTION_LENGTH)
    """Null or "": none."""
    query: QueryBody | None = None


class DashboardCreate(_Edit):
    name: str = Field(min_length=1, max_length=NAME_LENGTH)
    description: str | None = Field(default="", max_length=DESCRIPTION_LENGTH)
    """Null or left out: none ("")."""


class DashboardUpdate(_Edit):
    """The fields to change; those left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=NAME_LENGTH)
    description: str | None = Field(default=None, max_length=DESCRIPTION_LENGTH)
    """Null or "": none."""


class TileCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    insight_id: int = Field(ge=1, le=MAX_ID)
    """An insight of the same project."""


# --- answers -------------------------------------------------------------------------------------------------


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True, use_attribute_docstrings=True)


class InsightPublic(_Public):
    id: int
    project_id: int
    name: str
    description: str
    query: QueryBody
    """The saved query body (without ``refresh`` and ``async``): ``POST …/query`` takes it as it is."""
    created_at: datetime
    updated_at: datetime
    created_by: int | None
    """The user who saved it; null once that account is deleted."""

    # on the model, not the field: a field serializer would hide the query's schema from the OpenAPI document
    @model_serializer(mode="wrap")
    def _without_run_options(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        data["query"] = {key: value for key, value in data["query"].items() if key not in _RUN_KEYS}
        return data


class InsightList(BaseModel):
    results: list[InsightPublic]
    """Newest first."""


class TilePublic(_Public):
    id: int
    insight_id: int
    position: int
    """Orders the tiles: a new tile goes last; removing one leaves a gap."""


class DashboardPublic(_Public):
    id: int
    project_id: int
    name: str
    description: str
    tiles: list[TilePublic]
    """In order of position."""
    created_at: datetime
    updated_at: datetime


class DashboardList(BaseModel):
    results: list[DashboardPublic]
    """Newest first."""


class TileError(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)

    status: int
    """The status ``POST …/query`` would have answered with this tile's query (400 for a refused SQL query)."""
    message: str
    field: str | None = None
    """The field of the query the error is about, as a path in the body."""


class TileResult(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)

    tile_id: int
    insight: InsightPublic
    result: QueryResponse | None
    """What ``POST …/query`` answers for the insight's query; null when it failed."""
    error: TileError | None
    """Why the query failed; null when it answered."""


class DashboardResults(BaseModel):
    dashboard: DashboardPublic
    tiles: list[TileResult]
    """One per tile, in order of position."""


# --- lookups -------------------------------------------------------------------------------------------------


def find_insight(session: Session, project_id: int, insight_id: int, field: str | None = None) -> Insight:
    """The project's insight; another project's, or none, is the same 404."""
    insight = session.scalar(select(Insight).where(Insight.id == insight_id, Insight.project_id == project_id))
    if insight is None:
        raise APIError(404, "insight not found", field=field)
    return insight


def find_dashboard(
    session: Session, project_id: int, dashboard_id: int, *options: ORMOption, lock: bool = False
) -> Dashboard:
    """The project's dashboard (locked for the transaction when its tiles are about to change)."""
    statement = select(Dashboard).where(Dashboard.id == dashboard_id, Dashboard.project_id == project_id)
    statement = statement.options(*options)
    dashboard = session.scalar(statement.with_for_update() if lock else statement)
    if dashboard is None:
        raise not_found("dashboard")
    return dashboard
