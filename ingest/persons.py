"""Person processing: which distinct ids are one person, and what each person's properties are.

The consumer calls ``Persons(client).process(events)`` before it inserts a batch. Identity events link two
distinct ids into one person (``person_distinct_ids``); ``$set``/``$set_once`` of any event are stored per
distinct id (``person_properties``) and resolved per person when read (the ``persons`` view). Rules, tables,
costs and the race between consumers: docs/PERSONS.md.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from clickhouse_connect.driver.client import Client

# Identity event → the property naming the distinct id whose person merges into the event distinct_id's.
IDENTITY_EVENTS = {"$identify": "$anon_distinct_id", "$create_alias": "alias", "$merge_dangerously": "alias"}
# Every key of an event's properties that person processing reads: the consumer hands over only these.
PERSON_PROPERTIES = ("$set", "$set_once", "$process_person_profile", *sorted(set(IDENTITY_EVENTS.values())))

# Ids that come from a bug (an SDK sending "undefined", a template printing "null"); linking through one of
# them would merge unrelated users into one person. PostHog refuses the same ones, quoted too.
_ILLEGAL_ANY_CASE = {"anonymous", "guest", "distinctid", "distinct_id", "id", "not_authenticated", "email"}
_ILLEGAL_ANY_CASE |= {"undefined", "true", "false"}
_ILLEGAL_EXACT = {"[object Object]", "NaN", "None", "none", "null", "0", "undefined"}

Key = tuple[int, str]  # (project_id, distinct_id)
Link = tuple[int, str, str, datetime]  # (project_id, surviving distinct id, merged distinct id, event timestamp)

MAPPING_COLUMNS = ["project_id", "distinct_id", "person_id", "version", "is_deleted"]
LINK_COLUMNS = ["project_id", "distinct_id", "other_distinct_id", "timestamp"]
PROPERTY_COLUMNS = ["project_id", "distinct_id", "key", "value", "set_once", "timestamp"]

_SELECT_MAPPING = "SELECT project_id, distinct_id, person_id, version, is_deleted FROM person_distinct_ids FINAL"


def person_id_of(project_id: int, distinct_id: str) -> UUID:
    """The person of a distinct id no identity event linked, and the id a link of two such ids gives.

    The 16 bytes of an MD5 rather than a uuid5, so that SQL computes the same (``person_id_sql``): queries
    need it for every distinct id without a row in person_distinct_ids.
    """
    return UUID(bytes=hashlib.md5(f"{project_id}:{distinct_id}".encode(), usedforsecurity=False).digest())


def person_id_sql(project_id: str, distinct_id: str) -> str:
    """``person_id_of`` as a ClickHouse expression over two column expressions."""
    return f"toUUID(UUIDNumToString(MD5(concat(toString({project_id}), ':', {distinct_id}))))"


# Unique persons among a project's events in [date_from, date_to): each distinct id counts as its person.
UNIQUE_PERSONS_SQL = f"""
SELECT uniqExact(if(m.linked = 1, m.person_id, {person_id_sql("e.project_id", "e.distinct_id")})) AS persons
FROM events AS e
LEFT JOIN
(
    SELECT distinct_id, person_id, toUInt8(1) AS linked
    FROM person_distinct_ids FINAL
    WHERE project_id = {{project_id:UInt64}} AND is_deleted = 0
) AS m ON m.distinct_id = e.distinct_id
WHERE e.project_id = {{project_id:UInt64}}
    AND e.timestamp >= {{date_from:DateTime64(6, 'UTC')}} AND e.timestamp < {{date_to:DateTime64(6, 'UTC')}}
"""


def is_illegal_id(distinct_id: str) -> bool:
    bare = distinct_id.strip()
    if len(bare) >= 2 and bare[0] == bare[-1] and bare[0] in "'\"":
        bare = bare[1:-1]
    return not bare or bare.lower() in _ILLEGAL_ANY_CASE or bare in _ILLEGAL_EXACT


def processes_person(event: Mapping[str, Any]) -> bool:
    """False for personless events (``$process_person_profile: false``): they neither link nor set."""
    return event["properties"].get("$process_person_profile") is not False


def link_of(event: Mapping[str, Any]) -> Link | None:
    """The two distinct ids an identity event makes one person, the event's own surviving; None if none."""
    name = IDENTITY_EVENTS.get(event["event"])
    if name is None:
        return None
    into, other = event["distinct_id"], as_distinct_id(event["properties"].get(name))
    if other is None or other == into or is_illegal_id(into) or is_illegal_id(other):
        return None
    return event["project_id"], into, other, parse_timestamp(event["timestamp"])


def as_distinct_id(value: Any) -> str | None:
    """An id in properties, normalized as ingest/events.py normalizes an event's distinct_id."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # SDKs send numeric user ids as numbers
    return value.strip().replace("\x00", "\ufffd") if isinstance(value, str) else None


def parse_timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class MappingRow:
    person_id: UUID
    version: int
    is_deleted: int


class Merger:
    """Applies links in order over the rows stored for the ids involved; merged persons form a union-find."""

    def __init__(self, rows: dict[Key, MappingRow]) -> None:
        self.rows = rows
        self.person = {key: row.person_id for key, row in rows.items() if not row.is_deleted}
        self.stored = {(key[0], person_id) for key, person_id in self.person.items()}
        self.merged_into: dict[tuple[int, UUID], UUID] = {}

    def find(self, project_id: int, person_id: UUID) -> UUID:
        while (project_id, person_id) in self.merged_into:
            person_id = self.merged_into[project_id, person_id]
        return person_id

    def person_of(self, key: Key) -> UUID | None:
        person_id = self.person.get(key)
        return None if person_id is None else self.find(key[0], person_id)

    def link(self, project_id: int, into: str, other: str) -> bool:
        """Make both one person, ``into``'s surviving (as in PostHog); False if they already were one."""
        target, merged = self.person_of((project_id, into)), self.person_of((project_id, other))
        if target is not None and target == merged:
            return False
        if target is None:
            target = merged if merged is not None else person_id_of(project_id, into)
        if merged is not None and merged != target:
            self.merged_into[project_id, merged] = target
        self.person[project_id, into] = self.person[project_id, other] = target
        return True

    def add_members(self, rows: dict[Key, MappingRow]) -> None:
        """The other distinct ids of merged persons: they follow their person, nothing else moves them."""
        for key, row in rows.items():
            if key not in self.rows:
                self.rows[key] = row
                self.person[key] = row.person_id

    def changed_rows(self) -> list[tuple[int, str, UUID, int, int]]:
        """Rows to write: each distinct id whose person differs from the stored one, one version higher."""
        changed = []
        for (project_id, distinct_id), person_id in self.person.items():
            final = self.find(project_id, person_id)
            row = self.rows.get((project_id, distinct_id))
            if row is None or row.is_deleted or row.person_id != final:
                changed.append((project_id, distinct_id, final, (row.version if row else 0) + 1, 0))
        return changed


class Persons:
    """Person processing for one batch at a time; safe to run again on a batch (the consumer replays)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def process(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Link identity events, then store person property writes; no query at all when there is neither."""
        with_person = [event for event in events if processes_person(event)]
        self.link([link for event in with_person if (link := link_of(event)) is not None])
        self.write_properties(with_person)

    def link(self, links: Sequence[Link]) -> None:
        if not links:
            return
        keys = sorted({(project_id, d) for project_id, into, other, _ in links for d in (into, other)})
        merger = Merger(self.read_mapping("(project_id, distinct_id) IN %(keys)s", keys=keys))
        made = [link for link in links if merger.link(*link[:3])]
        if not made:  # a replay, or identify sent again: everything is already linked
            return
        # Stored persons that merged away may have ids outside this batch; persons made in it have none.
        losers = sorted(merger.merged_into.keys() & merger.stored)
        if losers:
            merger.add_members(self.read_mapping("(project_id, person_id) IN %(keys)s AND is_deleted = 0", keys=losers))
        # Links first: if we crash before the mapping is written, the replay writes it, and repair() can
        # always rebuild the mapping from the links.
        self.client.insert("person_links", made, column_names=LINK_COLUMNS)
        self.client.insert("person_distinct_ids", merger.changed_rows(), column_names=MAPPING_COLUMNS)

    def read_mapping(self, where: str, **parameters: Any) -> dict[Key, MappingRow]:
        # Client-side binding (%(name)s): the values travel in the request body, not in a URL of bounded length.
        result = self.client.query(f"{_SELECT_MAPPING} WHERE {where}", parameters=parameters)
        return {
            (p, d): MappingRow(person_id, version, deleted) for p, d, person_id, version, deleted in result.result_rows
        }

    def write_properties(self, events: Iterable[Mapping[str, Any]]) -> None:
        rows = property_rows(events)
        if rows:
            self.client.insert("person_properties", rows, column_names=PROPERTY_COLUMNS)

    def repair(self, project_id: int) -> int:
        """Join the persons that racing consumers split (docs/PERSONS.md); returns the rows it wrote.

        Reads the project's links and mapping whole: run it from a schedule, not per batch.
        """
        links = self.client.query(
            "SELECT distinct_id, other_distinct_id FROM person_links FINAL WHERE project_id = %(p)s",
            parameters={"p": project_id},
        ).result_rows
        stored = self.read_mapping("project_id = %(p)s", p=project_id)
        rows = repaired_rows(project_id, links, stored)
        if rows:
            self.client.insert("person_distinct_ids", rows, column_names=MAPPING_COLUMNS)
        return len(rows)


def repaired_rows(
    project_id: int, links: Sequence[tuple[str, str]], stored: dict[Key, MappingRow]
) -> list[tuple[int, str, UUID, int, int]]:
    """For each set of linked ids spread over several persons: all onto the person most of them have."""
    parent: dict[str, str] = {}

    def root(distinct_id: str) -> str:
        while (up := parent.get(distinct_id, distinct_id)) != distinct_id:
            parent[distinct_id] = parent.get(up, up)  # path splitting: long chains stay cheap
            distinct_id = up
        return distinct_id

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    components: dict[str, list[str]] = {}
    for distinct_id in {d for pair in links for d in pair}:
        components.setdefault(root(distinct_id), []).append(distinct_id)
    rows = []
    for first, members in components.items():
        held = Counter(row.person_id for d in members if (row := stored.get((project_id, d))) and not row.is_deleted)
        target = min(held, key=lambda p: (-held[p], str(p))) if held else person_id_of(project_id, first)
        for d in sorted(members):
            row = stored.get((project_id, d))
            if row is None or row.is_deleted or row.person_id != target:
                rows.append((project_id, d, target, (row.version if row else 0) + 1, 0))
    return rows


def property_rows(events: Iterable[Mapping[str, Any]]) -> list[tuple[int, str, str, str, int, datetime]]:
    """One row per distinct id, key and kind: the batch's winner ($set latest, $set_once earliest)."""
    winners: dict[tuple[int, str, str, int], tuple[int, str, str, str, int, datetime]] = {}
    for event in events:
        writes = [(set_once, event["properties"].get(name)) for set_once, name in ((0, "$set"), (1, "$set_once"))]
        writes = [(set_once, updates) for set_once, updates in writes if isinstance(updates, dict) and updates]
        if not writes:
            continue
        timestamp = parse_timestamp(event["timestamp"])
        for set_once, updates in writes:
            for key, value in updates.items():
                slot = (event["project_id"], event["distinct_id"], key, set_once)
                held = winners.get(slot)
                # Ties go to the later event for $set and the earlier one for $set_once, as in offset order.
                if held is None or (timestamp < held[5] if set_once else timestamp >= held[5]):
                    winners[slot] = (*slot[:3], orjson.dumps(value).decode(), set_once, timestamp)
    return list(winners.values())
