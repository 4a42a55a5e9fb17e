"""The SQL rules (api/queries/sql_guard.py) on the syntax tree alone: what is refused, and the rewrite."""

from __future__ import annotations

import pytest

from api.errors import APIError
from api.queries.sql_guard import restrict


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT count() FROM events", "SELECT count() FROM (SELECT * FROM events WHERE project_id = 7) AS events"),
        (
            "SELECT e.event FROM events AS e JOIN persons AS p ON 1 = 1",
            "SELECT e.event FROM (SELECT * FROM events WHERE project_id = 7) AS e "
            "JOIN (SELECT * FROM persons WHERE project_id = 7) AS p ON 1 = 1",
        ),
        (
            "SELECT (SELECT max(timestamp) FROM events WHERE project_id = 8)",
            "SELECT (SELECT max(timestamp) FROM (SELECT * FROM events WHERE project_id = 7) AS events "
            "WHERE project_id = 8)",
        ),
    ],
)
def test_every_allowed_table_reads_the_project_only(sql: str, expected: str) -> None:
    assert restrict(sql, 7) == expected


def test_in_a_list_or_subquery_is_fine() -> None:
    assert "IN ('a', 'b')" in restrict("SELECT count() FROM events WHERE distinct_id IN ('a', 'b')", 7)
    assert "IN (SELECT" in restrict("SELECT 1 FROM events WHERE distinct_id IN (SELECT distinct_id FROM events)", 7)


def test_ctes_may_be_read_by_name() -> None:
    assert "FROM x" in restrict("WITH x AS (SELECT event FROM events) SELECT * FROM x", 7)
    assert "count() * n" in restrict("WITH 10 AS n SELECT count() * n FROM events", 7)  # a value, not a table


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM system.tables",
        "SELECT * FROM events AS e JOIN system.users AS u ON 1 = 1",
        "SELECT * FROM file('x.csv')",
        "SELECT * FROM events UNION ALL SELECT * FROM person_properties",
        "SELECT joinGet('j', 'v', 1)",
        "SELECT 1 SETTINGS readonly = 0",
        "SELECT * FROM events SAMPLE 0.1",
        "SELECT count() FROM events WHERE distinct_id IN person_distinct_id_map",
        "SELECT count() FROM events WHERE distinct_id NOT IN (person_links)",
        "SELECT count() FROM events WHERE distinct_id GLOBAL IN person_links",
        "SELECT notIn(1, person_links)",
        "SELECT globalNullIn(1, person_links)",
        "SELECT 1; DROP TABLE events",
        # a CTE name reaches only its own scope; beyond it ClickHouse reads the real table of that name
        "SELECT * FROM (WITH person_links AS (SELECT 1 AS a) SELECT a FROM person_links) AS t, person_links",
        # a WITH of a value names no table: FROM that name reads the real one
        "WITH 1 AS person_links SELECT * FROM person_links",
        "WITH (SELECT 1) AS person_links SELECT * FROM person_links",
        "",
        "   ;  ",
    ],
)
def test_refused_with_a_reason(sql: str) -> None:
    with pytest.raises(APIError) as raised:
        restrict(sql, 7)
    assert raised.value.status == 400 and raised.value.field == "sql" and raised.value.message.startswith("sql: ")
