"""Person processing (ingest/persons.py) against a real embedded ClickHouse with the real migrations."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from clickhouse_connect.driver.client import Client

from infra import clients
from infra.migrations.clickhouse import migrate
from infra.settings import Settings
from ingest.persons import UNIQUE_PERSONS_SQL, Persons, person_id_of, person_id_sql
from tests.support.warehouse import WarehouseProcess

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 27, 12, tzinfo=UTC)
_projects = itertools.count(1)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    root = tmp_path_factory.mktemp("persons")
    server = WarehouseProcess(root / "data", root / "server.log").start()
    try:
        settings = Settings(clickhouse_url=server.url, warehouse_password="")
        migrate(settings)
        connection = clients.clickhouse(settings, database=settings.clickhouse_database)
        yield connection
        connection.close()
    finally:
        server.stop()


@pytest.fixture
def project() -> int:
    """A project id of each test's own: tests share the tables, never the rows.

    It overrides conftest's ``project`` (a real project on the whole stack): these tests need ClickHouse only.
    """
    return next(_projects)


class CountingClient:
    """Passes every call on to the real client and remembers its name."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return counted


class LateWritingClient:
    """Reads at once but holds inserts back until flush(): a consumer that lost a race to another."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.held: list[tuple[Any, ...]] = []

    def query(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.query(*args, **kwargs)

    def insert(self, *args: Any, **kwargs: Any) -> None:
        self.held.append((args, kwargs))

    def flush(self) -> None:
        for args, kwargs in self.held:
            self.client.insert(*args, **kwargs)


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event(project: int, name: str, distinct_id: str, seconds: float = 0, **properties: Any) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "project_id": project,
        "event": name,
        "distinct_id": distinct_id,
        "properties": properties,
        "timestamp": at(seconds),
        "received_at": at(seconds),
    }


def identify(project: int, user: str, anonymous: str, seconds: float = 0, **properties: Any) -> dict[str, Any]:
    return event(project, "$identify", user, seconds, **{"$anon_distinct_id": anonymous, **properties})


def alias(project: int, distinct_id: str, new: str | int, seconds: float = 0) -> dict[str, Any]:
    return event(project, "$create_alias", distinct_id, seconds, alias=new)


def sets(project: int, distinct_id: str, seconds: float, set_: Any = None, set_once: Any = None) -> dict[str, Any]:
    properties = {"$set": set_ or {}, "$set_once": set_once or {}}
    return event(project, "$pageview", distinct_id, seconds, **properties)


def mapping(client: Client, project: int) -> dict[str, UUID]:
    rows = client.query(
        "SELECT distinct_id, person_id FROM person_distinct_id_map WHERE project_id = %(p)s", parameters={"p": project}
    ).result_rows
    return dict(rows)


def person(client: Client, project: int, distinct_id: str) -> UUID:
    return mapping(client, project).get(distinct_id, person_id_of(project, distinct_id))


def properties_by_person(client: Client, project: int) -> dict[UUID, dict[str, Any]]:
    rows = client.query(
        "SELECT person_id, properties FROM persons WHERE project_id = %(p)s", parameters={"p": project}
    ).result_rows
    return {person_id: json.loads(text) for person_id, text in rows}


def groups(client: Client, project: int, ids: list[str]) -> list[set[str]]:
    """The distinct ids grouped by person, as a sorted list of sets."""
    by_person: dict[UUID, set[str]] = {}
    for distinct_id in ids:
        by_person.setdefault(person(client, project, distinct_id), set()).add(distinct_id)
    return sorted(by_person.values(), key=sorted)


def snapshot(client: Client, project: int) -> tuple[Any, ...]:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return client.query(sql, parameters={"p": project}).result_rows

    return (
        rows(
            "SELECT distinct_id, person_id, version FROM person_distinct_ids FINAL WHERE project_id = %(p)s ORDER BY 1"
        ),
        rows("SELECT count() FROM person_distinct_ids WHERE project_id = %(p)s"),
        rows("SELECT distinct_id, other_distinct_id FROM person_links FINAL WHERE project_id = %(p)s ORDER BY 1, 2"),
        rows("SELECT person_id, properties FROM persons WHERE project_id = %(p)s ORDER BY 1"),
    )


def test_identify_merges_the_anonymous_id_into_the_identified_person(client: Client, project: int) -> None:
    other = next(_projects)
    Persons(client).process(
        [
            event(project, "$pageview", "anon-1"),
            identify(project, "user-1", "anon-1", 1),
            identify(other, "user-1", "anon-2", 1),  # the same user id in another project is another person
        ]
    )
    user = person_id_of(project, "user-1")
    assert mapping(client, project) == {"anon-1": user, "user-1": user}
    assert mapping(client, other) == {"anon-2": person_id_of(other, "user-1"), "user-1": person_id_of(other, "user-1")}
    assert person_id_of(other, "user-1") != user


def test_identify_into_a_known_person_keeps_that_person(client: Client, project: int) -> None:
    persons = Persons(client)
    persons.process([identify(project, "user", "anon-1")])
    persons.process([identify(project, "user", "anon-2"), identify(project, "user-2", "anon-2")])
    assert groups(client, project, ["user", "anon-1", "anon-2", "user-2"]) == [{"user", "anon-1", "anon-2", "user-2"}]
    assert person(client, project, "user-2") == person_id_of(project, "user")


def test_alias_merges_both_ids_in_either_sdk_shape(client: Client, project: int) -> None:
    # posthog-python/node: distinct_id=previous, alias=new; posthog-js: the same after normalization.
    Persons(client).process([alias(project, "old", "new"), alias(project, "other", "new-2"), alias(project, "n", 7)])
    assert groups(client, project, ["old", "new", "other", "new-2", "n", "7"]) == [
        {"7", "n"},  # numbers are ids as the capture API makes them of a numeric distinct_id
        {"new", "old"},
        {"new-2", "other"},
    ]
    assert person(client, project, "new") == person_id_of(project, "old")


def test_chains_resolve_within_one_batch(client: Client, project: int) -> None:
    batch = [
        identify(project, "u", "a", 1),
        alias(project, "u", "v", 2),
        identify(project, "v", "b", 3),
        identify(project, "w", "c", 4),
        alias(project, "c", "b", 5),  # joins the two persons made earlier in this same batch
    ]
    Persons(client).process(batch)
    assert groups(client, project, ["a", "b", "c", "u", "v", "w"]) == [{"a", "b", "c", "u", "v", "w"}]


def test_merging_two_persons_moves_every_id_of_the_merged_one(client: Client, project: int) -> None:
    persons = Persons(client)
    persons.process([identify(project, "u1", a) for a in ("a1", "a2", "a3")])
    persons.process([identify(project, "u2", b) for b in ("b1", "b2")])
    first, second = person(client, project, "u1"), person(client, project, "u2")
    assert first != second

    persons.process([alias(project, "u1", "u2")])  # only u1 and u2 are in the batch: the rest must follow

    rows = dict(
        client.query(
            "SELECT distinct_id, (person_id, version) FROM person_distinct_ids FINAL WHERE project_id = %(p)s",
            parameters={"p": project},
        ).result_rows
    )
    assert rows == {
        **{d: (first, 1) for d in ("u1", "a1", "a2", "a3")},
        **{d: (first, 2) for d in ("u2", "b1", "b2")},  # the merged person's ids, one version up
    }

    # And once more: the merged person (now seven ids) merges into a third one.
    persons.process([identify(project, "z", "zz"), identify(project, "z", "a2")])
    assert groups(client, project, ["u1", "a1", "a2", "a3", "u2", "b1", "b2", "z", "zz"]) == [
        {"u1", "a1", "a2", "a3", "u2", "b1", "b2", "z", "zz"}
    ]
    assert person(client, project, "b1") == person_id_of(project, "z")


def test_reads_of_the_mapping_see_only_the_current_row_of_each_id(client: Client, project: int) -> None:
    """FINAL before WHERE: a moved id's old row must not count as a member of its old person."""
    old, new = uuid.uuid4(), uuid.uuid4()
    columns = ["project_id", "distinct_id", "person_id", "version", "is_deleted"]
    client.insert(
        "person_distinct_ids", [(project, "moved", old, 1, 0), (project, "stayed", old, 1, 0)], column_names=columns
    )
    client.insert("person_distinct_ids", [(project, "moved", new, 2, 0)], column_names=columns)
    members = Persons(client).read_mapping("(project_id, person_id) IN %(keys)s", keys=[(project, old)])
    assert list(members) == [(project, "stayed")]


def test_replaying_batches_changes_nothing(client: Client, project: int) -> None:
    first = [
        identify(project, "u", "a", 1, **{"$set": {"plan": "free"}}),
        alias(project, "u", "v", 2),
        identify(project, "x", "y", 3),
        sets(project, "a", 4, {"plan": "pro"}, {"first": "a"}),
    ]
    second = [
        identify(project, "x", "a", 5),  # merges u's person into x's
        sets(project, "y", 6, {"plan": "team"}, {"first": "y"}),
    ]
    persons = Persons(client)
    persons.process(first)
    persons.process(second)
    before = snapshot(client, project)

    persons.process(second)  # the consumer retrying the last batch
    assert snapshot(client, project) == before
    persons.process(first)  # even both again, in order
    persons.process(second)
    assert snapshot(client, project) == before  # with the same mapping versions: not one row written
    assert groups(client, project, ["u", "a", "v", "x", "y"]) == [{"u", "a", "v", "x", "y"}]
    assert properties_by_person(client, project) == {person_id_of(project, "x"): {"plan": "team", "first": "a"}}


def test_set_is_last_write_and_set_once_first_write_across_a_merge(client: Client, project: int) -> None:
    persons = Persons(client)
    # Out of timestamp order on purpose; a and u are still two persons.
    persons.process(
        [
            sets(project, "a", 30, {"plan": "free", "nested": {"x": [1, None]}}, {"first_seen": "a", "source": "ads"}),
            sets(project, "u", 20, {"plan": "pro"}, {"first_seen": "u"}),
            sets(project, "u", 10, None, {"plan": "once", "only_once": 1}),
            sets(project, "u", 25, {"name": "late"}),
            sets(project, "u", 15, {"name": "early"}),  # older, arrives later: loses
        ]
    )
    assert properties_by_person(client, project) == {
        person_id_of(project, "a"): {"plan": "free", "nested": {"x": [1, None]}, "first_seen": "a", "source": "ads"},
        person_id_of(project, "u"): {"plan": "pro", "first_seen": "u", "only_once": 1, "name": "late"},
    }

    persons.process(
        [
            identify(project, "u", "a", 40),
            sets(project, "u", 5, None, {"source": "seo", "only_once": 2}),  # earliest $set_once wins, even now
            sets(project, "a", 35, {"name": None}),
        ]
    )
    assert properties_by_person(client, project) == {
        person_id_of(project, "u"): {
            "plan": "free",  # a's $set at 30 is newer than u's at 20; "once" never counts against a $set
            "nested": {"x": [1, None]},
            "first_seen": "u",  # u's $set_once at 20 is older than a's at 30
            "source": "seo",
            "only_once": 2,
            "name": None,
        }
    }


def test_set_once_ties_keep_the_first_event_and_set_ties_the_last(client: Client, project: int) -> None:
    Persons(client).process(
        [
            sets(project, "d", 1, {"k": "set-1"}, {"o": "once-1"}),
            sets(project, "d", 1, {"k": "set-2"}, {"o": "once-2"}),
        ]
    )
    assert properties_by_person(client, project) == {person_id_of(project, "d"): {"k": "set-2", "o": "once-1"}}


def test_personless_events_and_bogus_ids_change_no_person(client: Client, project: int) -> None:
    counting = CountingClient(client)
    personless = {"$process_person_profile": False}
    Persons(counting).process(  # type: ignore[arg-type]
        [
            identify(project, "u", "a", **personless),
            event(project, "$pageview", "u", 1, **{"$set": {"plan": "pro"}, "$set_once": {"a": 1}, **personless}),
            alias(project, "u", "u"),
            identify(project, "u", "undefined"),
            identify(project, "null", "a"),
            identify(project, "u2", '"anonymous"'),
            alias(project, "u", "  "),
            event(project, "$identify", "u"),  # no $anon_distinct_id at all
            identify(project, "u", True),  # type: ignore[arg-type]
        ]
    )
    assert counting.calls == []
    assert mapping(client, project) == {}
    assert properties_by_person(client, project) == {}


def test_a_batch_without_person_updates_queries_nothing(client: Client, project: int) -> None:
    counting = CountingClient(client)
    persons = Persons(counting)  # type: ignore[arg-type]
    persons.process([event(project, "$pageview", f"d{i}") for i in range(50)] + [sets(project, "d", 1, {}, {})])
    persons.process([])
    assert counting.calls == []

    # The counter does see what person processing costs when there is something to do.
    persons.process([sets(project, "d", 1, {"plan": "pro"}, {"first": 1}) for _ in range(3)])
    assert counting.calls == ["insert"]
    counting.calls.clear()
    persons.process([identify(project, "u", "a")])
    assert counting.calls == ["query", "insert", "insert"]
    counting.calls.clear()
    persons.process([identify(project, "u", "a")])  # already one person: one read, nothing written
    assert counting.calls == ["query"]
    counting.calls.clear()
    persons.process([identify(project, "x", "y"), identify(project, "z", "w"), alias(project, "x", "z")])
    assert counting.calls == ["query", "insert", "insert"]  # persons made in the batch need no second read
    counting.calls.clear()
    persons.process([alias(project, "u", "x")])  # two stored persons: their other ids are read too
    assert counting.calls == ["query", "query", "insert", "insert"]
    assert groups(client, project, ["u", "a", "x", "y", "z", "w"]) == [{"u", "a", "x", "y", "z", "w"}]


def test_unlinked_distinct_ids_get_the_same_person_id_in_sql(client: Client, project: int) -> None:
    ids = ["plain", "ünïcödé", "quo'te\"s", "back\\slash", "x" * 300]
    sql = f"SELECT {person_id_sql('toUInt64(%(p)s)', 'arrayJoin(%(ids)s)')}"
    assert client.query(sql, parameters={"p": project, "ids": ids}).result_columns[0] == [
        person_id_of(project, d) for d in ids
    ]
    Persons(client).process([sets(project, d, 1, {"k": d}) for d in ids])
    assert properties_by_person(client, project) == {person_id_of(project, d): {"k": d} for d in ids}


def test_unique_persons_match_an_independent_count(client: Client, project: int) -> None:
    rng = random.Random(project)
    anonymous, users = [f"anon-{i}" for i in range(60)], [f"user-{i}" for i in range(15)]
    events, links = [], []
    for n in range(600):
        roll, seconds = rng.random(), n * 10
        if roll < 0.1:
            user, anon = rng.choice(users), rng.choice(anonymous)
            personless = rng.random() < 0.1
            events.append(
                identify(project, user, anon, seconds, **({"$process_person_profile": False} if personless else {}))
            )
            links += [] if personless else [(user, anon)]
        elif roll < 0.13:
            first, second = rng.sample(anonymous + users, 2)
            events.append(alias(project, first, second, seconds))
            links.append((first, second))
        elif roll < 0.15:
            events.append(identify(project, rng.choice(users), rng.choice(["undefined", "null", "0"]), seconds))
        else:
            events.append(event(project, "$pageview", rng.choice(anonymous + users), seconds))
    outside = event(project, "$pageview", "seen-after-the-window", 10**6)

    persons = Persons(client)
    for start in range(0, len(events), 50):
        persons.process(events[start : start + 50])
    insert_events(client, [*events, outside])

    # Independently: connected components of the links, over the distinct ids that sent events.
    component = {d: {d} for d in anonymous + users}
    for a, b in links:
        if component[a] is not component[b]:
            merged = component[a] | component[b]
            for d in merged:
                component[d] = merged
    seen = {e["distinct_id"] for e in events}
    expected = {frozenset(component[d] & seen) for d in seen}

    window = {"project_id": project, "date_from": START, "date_to": START + timedelta(days=1)}
    assert client.query(UNIQUE_PERSONS_SQL, parameters=window).result_rows == [(len(expected),)]
    assert {frozenset(g) for g in groups(client, project, sorted(seen))} == expected
    assert len(expected) < len(seen)  # the data set did merge persons


def test_repair_joins_the_persons_that_racing_consumers_split(client: Client, project: int) -> None:
    persons = Persons(client)
    persons.process([identify(project, "b", "a"), identify(project, "u", "u2"), identify(project, "v", "v2")])

    # Two consumers read the same state; each merges {a, b} into another person; one writes late.
    late = LateWritingClient(client)
    Persons(late).process([identify(project, "u", "a")])  # type: ignore[arg-type]
    persons.process([identify(project, "v", "b")])
    late.flush()
    ids = ["a", "b", "u", "u2", "v", "v2"]
    assert len(groups(client, project, ids)) == 2  # one merge got lost in the race

    assert persons.repair(project) > 0
    assert groups(client, project, ids) == [set(ids)]
    assert persons.repair(project) == 0  # nothing left to join
    persons.process([identify(project, "u", "a"), identify(project, "v", "b")])
    assert groups(client, project, ids) == [set(ids)]


def insert_events(client: Client, events: list[dict[str, Any]]) -> None:
    def row(offset: int, e: dict[str, Any]) -> tuple[Any, ...]:
        times = datetime.fromisoformat(e["timestamp"]), datetime.fromisoformat(e["received_at"])
        return (
            e["uuid"],
            e["project_id"],
            e["event"],
            e["distinct_id"],
            json.dumps(e["properties"]),
            *times,
            0,
            offset,
        )

    columns = ["uuid", "project_id", "event", "distinct_id", "properties", "timestamp", "received_at"]
    rows = [row(offset, e) for offset, e in enumerate(events)]
    client.insert("events", rows, column_names=[*columns, "kafka_partition", "kafka_offset"])
