"""SQL: a read-only SELECT over the project's own rows (rules in sql_guard.py), with time and row limits."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.queries.base import Query, QueryModel
from api.queries.context import Computed, QueryContext
from api.queries.sql_guard import restrict

MAX_SQL_LENGTH = 100_000


class SqlQuery(Query):
    kind: Literal["sql"]
    sql: str = Field(min_length=1, max_length=MAX_SQL_LENGTH)
    """One SELECT over ``events`` and ``persons`` (the project's rows only)."""


class SqlResult(QueryModel):
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    truncated: bool
    """True when the row limit cut the answer short."""


def run(query: SqlQuery, context: QueryContext) -> Computed:
    sql = restrict(query.sql, context.project_id)
    limit = context.settings.query_max_result_rows
    settings = {
        "readonly": 2,  # no writes whatever slipped through; 2 still lets this request carry its settings
        "max_result_rows": limit + 1,  # one more than shown: more rows than the limit means truncated
        "result_overflow_mode": "break",  # a partial answer, flagged, rather than an error
    }
    result = context.run(sql, context.params(), settings)
    rows = [[_plain(value) for value in row] for row in result.result_rows[:limit]]
    types = [column_type.name for column_type in result.column_types]
    truncated = len(result.result_rows) > limit
    return Computed(SqlResult(columns=list(result.column_names), types=types, rows=rows, truncated=truncated))


def _plain(value: Any) -> Any:
    """A value JSON can carry: FixedString and binary columns come as bytes, which may not be UTF-8."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
