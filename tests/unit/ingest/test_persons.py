"""The rules of person processing that need no ClickHouse: which events link which ids, what a batch writes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from ingest.persons import MappingRow, Merger, is_illegal_id, link_of, person_id_of, property_rows, repaired_rows


def event(
    name: str, distinct_id: str, timestamp: str = "2026-11-27T12:00:00.000000Z", /, **props: Any
) -> dict[str, Any]:
    return {"project_id": 1, "event": name, "distinct_id": distinct_id, "properties": props, "timestamp": timestamp}


@pytest.mark.parametrize(
    "distinct_id",
    [
        "",
        "  ",
        "undefined",
        "UNDEFINED",
        "null",
        "None",
        "0",
        "[object Object]",
        "NaN",
        '"anonymous"',
        "'Guest'",
        "email",
    ],
)
def test_ids_that_come_from_bugs_never_link(distinct_id: str) -> None:
    assert is_illegal_id(distinct_id)
    assert link_of(event("$identify", "user", **{"$anon_distinct_id": distinct_id})) is None
    assert link_of(event("$create_alias", distinct_id, alias="user")) is None


@pytest.mark.parametrize("distinct_id", ["user@example.com", "nan", "NULL-ish", "01", "anon-1"])
def test_ordinary_ids_link(distinct_id: str) -> None:
    assert not is_illegal_id(distinct_id)
    assert link_of(event("$identify", "user", **{"$anon_distinct_id": distinct_id}))[:3] == (1, "user", distinct_id)


def test_identity_events_name_the_surviving_id_first() -> None:
    assert link_of(event("$identify", "u", **{"$anon_distinct_id": "a"}))[:3] == (1, "u", "a")
    assert link_of(event("$create_alias", "previous", alias="new"))[:3] == (1, "previous", "new")
    # posthog-js: {alias, distinct_id} in properties; the capture API made that distinct_id the event's.
    assert link_of(event("$create_alias", "original", alias="new", distinct_id="original"))[:3] == (
        1,
        "original",
        "new",
    )
    assert link_of(event("$merge_dangerously", "keep", alias="merged"))[:3] == (1, "keep", "merged")
    assert link_of(event("$create_alias", "u", alias=" 42 "))[:3] == (1, "u", "42")
    assert link_of(event("$pageview", "u", alias="x", **{"$anon_distinct_id": "a"})) is None


def test_links_apply_in_order_and_merge_whole_persons() -> None:
    stored = uuid4()
    merger = Merger({(1, "old"): MappingRow(stored, 4, 0), (1, "u"): MappingRow(uuid4(), 1, 0)})
    assert merger.link(1, "a", "b")  # two new ids: a new person named after the surviving one
    assert merger.link(1, "b", "c")
    assert merger.link(1, "old", "a")  # the new person merges into the stored one
    assert merger.link(1, "u", "c")  # and that into u's
    assert not merger.link(1, "old", "b")  # already one person
    u = merger.person_of((1, "u"))
    assert {key: merger.person_of(key) for key in merger.person} == {(1, d): u for d in ("old", "u", "a", "b", "c")}
    assert merger.merged_into == {(1, person_id_of(1, "a")): stored, (1, stored): u}
    assert merger.merged_into.keys() & merger.stored == {(1, stored)}  # only its other ids need reading
    versions = {row[1]: row[3] for row in merger.changed_rows()}
    assert versions == {"a": 1, "b": 1, "c": 1, "old": 5}  # u keeps its row; old goes one version up


def test_a_batch_writes_one_row_per_id_key_and_kind() -> None:
    events = [
        event("e", "d", "2026-11-27T12:00:02.000000Z", **{"$set": {"k": 2}, "$set_once": {"o": 2}}),
        event("e", "d", "2026-11-27T12:00:01.000000Z", **{"$set": {"k": 1}, "$set_once": {"o": 1}}),
        event("e", "d", "2026-11-27T12:00:02.000000Z", **{"$set": {"k": "tie"}, "$set_once": {"o": "tie"}}),
        event("e", "d", "2026-11-27T12:00:03.000000Z", **{"$set": {}, "$set_once": None}),
    ]
    rows = {(row[2], row[4]): row[3] for row in property_rows(events)}
    assert rows == {("k", 0): '"tie"', ("o", 1): "1"}


def test_repair_moves_each_linked_set_onto_the_person_most_of_it_has() -> None:
    big, small = uuid4(), uuid4()
    stored = {(1, d): MappingRow(big, 2, 0) for d in ("a", "b", "c")} | {(1, "x"): MappingRow(small, 7, 0)}
    links = [("a", "b"), ("b", "c"), ("c", "x"), ("y", "x"), ("p", "q")]
    rows = sorted(repaired_rows(1, links, stored))
    assert rows == sorted(
        [
            (1, "x", big, 8, 0),
            (1, "y", big, 1, 0),
            (1, "p", person_id_of(1, "p"), 1, 0),
            (1, "q", person_id_of(1, "p"), 1, 0),
        ]
    )
