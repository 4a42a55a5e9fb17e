"""The project's events as runners read them: bounded in time, filtered, with their person when asked.

Person resolution follows docs/PERSONS.md: a distinct id an identity event linked has its row in
``person_distinct_ids`` (read FINAL, not deleted); any other distinct id is a person of its own, whose id
ingest/persons.py computes (``person_id_sql``). Person properties come from the ``persons`` view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.queries.filters import PropertyFilter, conditions
from api.queries.params import Params
from ingest.persons import person_id_sql

PROJECT = "{project_id:UInt64}"
EMPTY_OBJECT = "'{}'"  # a person without properties: LEFT JOIN gives '' (no join_use_nulls), read as {}


@dataclass
class EventRows:
    """A FROM clause over events with columns ``uuid, timestamp, event, distinct_id, properties`` and, when asked,
    ``person_id`` and ``person_properties``. Every condition is a bound parameter; the project always is."""

    params: Params
    where: list[str] = field(default_factory=list)
    filters: list[PropertyFilter] = field(default_factory=list)
    with_person: bool = False

    def between(self, start: str, end: str) -> EventRows:
        self.where.append(f"timestamp >= {start} AND timestamp < {end}")
        return self

    def named(self, event: str | None) -> EventRows:
        if event is not None:
            self.where.append(f"event = {self.params.add(event, 'String')}")
        return self

    def sql(self) -> str:
        event_conditions = conditions(self.filters, "event", "properties", self.params)
        where = " AND ".join([f"project_id = {PROJECT}", *self.where, *event_conditions])
        base = f"SELECT uuid, timestamp, event, distinct_id, properties FROM events WHERE {where}"
        person_conditions = conditions(self.filters, "person", "person_properties", self.params)
        if not (self.with_person or person_conditions):
            return f"({base})"
        resolved = f"""(
            SELECT e.uuid AS uuid, e.timestamp AS timestamp, e.event AS event, e.distinct_id AS distinct_id,
                e.properties AS properties,
                if(m.linked = 1, m.person_id, {person_id_sql(f"toUInt64({PROJECT})", "e.distinct_id")}) AS person_id
            FROM ({base}) AS e
            LEFT JOIN (
                SELECT distinct_id, person_id, toUInt8(1) AS linked FROM person_distinct_ids FINAL
                WHERE project_id = {PROJECT} AND is_deleted = 0
            ) AS m ON m.distinct_id = e.distinct_id
        )"""
        if not person_conditions:
            return resolved
        return f"""(
            SELECT r.*, if(pp.properties = '', {EMPTY_OBJECT}, pp.properties) AS person_properties FROM {resolved} AS r
            LEFT JOIN (SELECT person_id, properties FROM persons WHERE project_id = {PROJECT}) AS pp
                ON pp.person_id = r.person_id
            WHERE {" AND ".join(person_conditions)}
        )"""
