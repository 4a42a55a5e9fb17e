"""Data lifecycle: how long a project's events are kept, and erasing one person (docs/LIFECYCLE.md).

Retention is ClickHouse's TTL on `events` (schemas/clickhouse/0004_lifecycle.sql): each row carries its
project's `retention_days`, stamped at insert from `project_retention_dict`. Setting a project's retention
records it, reloads the dictionary (new rows), and rewrites the rows already stored (a mutation).

Erasing a person removes, with mutations that rewrite the data (not only hide it), every row of any table
in Clickpath's database that names one of the person's distinct ids or the person: events, the person
tables, and the per-person tables dbt builds (found by their `project_id` with `distinct_id` or `person_id`
columns, so new models are covered without a change here).

Both leave the rollups (the materialized views' aggregates, which name nobody) counting deleted events, so
both rebuild the project's rows of each rollup from the events that remain, with the view's own query. Both
also add a change to `project_changes`, the marker the query cache keys on, as deletions pass no view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from clickhouse_connect.driver.client import Client

from ingest.persons import person_id_sql

SYNC = {"mutations_sync": 2}  # the call returns once the mutation is done, on every replica
TABLES_SQL = """
SELECT table, groupArray(name) AS columns
FROM system.columns
WHERE database = currentDatabase()
    AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree')
    AND name IN ('project_id', 'distinct_id', 'other_distinct_id', 'person_id')
GROUP BY table
HAVING has(columns, 'project_id')
ORDER BY table
"""


# Counts writes, never rebuilt: a rebuilt count could fall back to a value an older cached answer was keyed on.
CHANGES_TABLE = "project_changes"


def note_change(client: Client, project_id: int) -> None:
    """Tell the query cache (schemas/clickhouse/0005_project_changes.sql) the project's data changed."""
    client.insert(CHANGES_TABLE, [(project_id, 1)], column_names=["project_id", "changes"])


def set_retention(client: Client, project_id: int, days: int, now: bool = False) -> None:
    """Keep the project's events `days` days (0: forever); with `now`, expired rows go at once, not at merges."""
    client.insert("project_retention", [(project_id, days)], column_names=["project_id", "days"])
    client.command("SYSTEM RELOAD DICTIONARY project_retention_dict")
    client.command(
        f"ALTER TABLE events UPDATE retention_days = {int(days)} WHERE project_id = {int(project_id)}", settings=SYNC
    )
    if now:
        client.command("ALTER TABLE events MATERIALIZE TTL", settings=SYNC)
        rebuild_rollups(client, project_id)
    note_change(client, project_id)


def retention(client: Client) -> dict[int, int]:
    """Every project with a retention set: project id → days (0: forever)."""
    return dict(client.query("SELECT project_id, days FROM project_retention_latest ORDER BY project_id").result_rows)


@dataclass(frozen=True)
class Person:
    project_id: int
    person_id: UUID
    distinct_ids: list[str]


def person_of(client: Client, project_id: int, distinct_id: str) -> Person:
    """The person a distinct id belongs to, with every distinct id linked to it."""
    person_id = client.query(
        f"""
        SELECT if(count() > 0, any(person_id), {person_id_sql("{p:UInt64}", "{d:String}")})
        FROM person_distinct_ids FINAL
        WHERE project_id = {{p:UInt64}} AND distinct_id = {{d:String}} AND is_deleted = 0
        """,
        parameters={"p": project_id, "d": distinct_id},
    ).first_row[0]
    linked = client.query(
        "SELECT distinct_id FROM person_distinct_ids FINAL WHERE project_id = {p:UInt64} AND person_id = {u:UUID} "
        "AND is_deleted = 0",
        parameters={"p": project_id, "u": person_id},
    ).result_columns
    ids = sorted({distinct_id, *(linked[0] if linked else [])})
    return Person(project_id, person_id, ids)


def erase_person(client: Client, person: Person) -> dict[str, int]:
    """Delete the person's rows from every table that holds them; returns rows deleted per table."""
    parameters = {"p": person.project_id, "ids": person.distinct_ids, "u": person.person_id}
    deleted = {}
    for table, columns in client.query(TABLES_SQL).result_rows:
        matches = [
            f"{name} IN {{ids:Array(String)}}" for name in ("distinct_id", "other_distinct_id") if name in columns
        ]
        matches += ["person_id = {u:UUID}"] if "person_id" in columns else []
        if not matches:
            continue  # aggregates per project (rollups) name nobody
        where = f"project_id = {{p:UInt64}} AND ({' OR '.join(matches)})"
        count = client.command(f"SELECT count() FROM `{table}` WHERE {where}", parameters=parameters)
        if count:
            client.command(f"ALTER TABLE `{table}` DELETE WHERE {where}", parameters=parameters, settings=SYNC)
            deleted[table] = int(count)
    if deleted:
        rebuild_rollups(client, person.project_id)
        note_change(client, person.project_id)
    return deleted


VIEWS_SQL = """
SELECT as_select, create_table_query
FROM system.tables
WHERE database = currentDatabase() AND engine = 'MaterializedView'
"""
_TARGET = re.compile(r"\sTO\s+(\S+)\s")


def rebuild_rollups(client: Client, project_id: int) -> list[str]:
    """Recompute the project's rows of every materialized view's target that has a project_id, from events.

    Events of the project inserted while this runs (a few seconds) are counted twice in the rollups; the
    raw events stay exact. Returns the tables rebuilt.
    """
    rebuilt = []
    for select, create in client.query(VIEWS_SQL).result_rows:
        target = _TARGET.search(create)
        if target is None:
            continue
        database, _, name = target.group(1).replace("`", "").rpartition(".")
        if name == CHANGES_TABLE or not _has_project_id(client, database or client.database, name):
            continue
        table, where = target.group(1), f"project_id = {int(project_id)}"
        client.command(f"ALTER TABLE {table} DELETE WHERE {where}", settings=SYNC)
        client.command(f"INSERT INTO {table} SELECT * FROM ({select}) WHERE {where}")
        rebuilt.append(table)
    return rebuilt


def _has_project_id(client: Client, database: str, table: str) -> bool:
    query = (
        "SELECT count() FROM system.columns WHERE database = {d:String} AND table = {t:String} AND name = 'project_id'"
    )
    return bool(client.command(query, parameters={"d": database, "t": table}))
