"""Known events straight into ClickHouse, and the answers computed again in plain Python over the same rows.

The reference functions follow the rules in docs/QUERIES.md, not the SQL of api/queries/: bucket by the local
date (or hour) in the project's zone, resolve persons through the links written here, then aggregate.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from clickhouse_connect.driver.client import Client

from ingest.persons import person_id_of

EVENT_COLUMNS = ["uuid", "project_id", "event", "distinct_id", "properties", "timestamp", "received_at"]
OTHER = "$other"
# A filter every event passes: the same question, which no rollup or funnel table answers.
EVERY_EVENT = {"key": "never-set", "operator": "is_not_set"}


@dataclass
class Event:
    event: str
    distinct_id: str
    timestamp: datetime
    properties: dict[str, Any] = field(default_factory=dict)
    uuid: UUID = field(default_factory=uuid.uuid4)


@dataclass
class World:
    """One project's rows as the tests wrote them: events, distinct id → person links, person properties."""

    project_id: int
    events: list[Event] = field(default_factory=list)
    links: dict[str, UUID] = field(default_factory=dict)
    person_properties: dict[UUID, dict[str, Any]] = field(default_factory=dict)

    def person(self, distinct_id: str) -> UUID:
        return self.links.get(distinct_id) or person_id_of(self.project_id, distinct_id)


def insert_events(client: Client, world: World, events: Iterable[Event]) -> None:
    events = list(events)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        (e.uuid, world.project_id, e.event, e.distinct_id, json.dumps(e.properties), _naive(e.timestamp), now)
        for e in events
    ]
    client.insert("events", rows, column_names=EVENT_COLUMNS)
    world.events.extend(events)


def link(client: Client, world: World, distinct_ids: list[str]) -> UUID:
    """Make several distinct ids one person, as ingest's person processing would have."""
    person = person_id_of(world.project_id, distinct_ids[0])
    rows = [(world.project_id, d, person, 1) for d in distinct_ids]
    client.insert("person_distinct_ids", rows, column_names=["project_id", "distinct_id", "person_id", "version"])
    world.links.update({d: person for d in distinct_ids})
    return person


def set_person_properties(client: Client, world: World, distinct_id: str, properties: dict[str, Any]) -> None:
    at = datetime(2026, 1, 1)
    rows = [(world.project_id, distinct_id, k, json.dumps(v), 0, at) for k, v in properties.items()]
    client.insert(
        "person_properties", rows, column_names=["project_id", "distinct_id", "key", "value", "set_once", "timestamp"]
    )
    world.person_properties.setdefault(world.person(distinct_id), {}).update(properties)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# --- the reference computations ---------------------------------------------------------------------------


def text(value: Any) -> str:
    """A property as text, the way filters and breakdowns compare it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def quantile(values: list[float], level: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default, ClickHouse's quantileExactInclusive)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * level
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "avg": lambda v: sum(v) / len(v),
    "min": min,
    "max": max,
    "median": lambda v: quantile(v, 0.5),
    "p90": lambda v: quantile(v, 0.9),
    "p99": lambda v: quantile(v, 0.99),
}


def day_buckets(start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    """Local dates from start's to the one before end (end exclusive, both local midnights)."""
    days, current = [], start.astimezone(zone).date()
    while datetime(current.year, current.month, current.day, tzinfo=zone) < end:
        days.append(current.isoformat())
        current += timedelta(days=1)
    return days


def trend(
    world: World,
    *,
    event: str | None,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    math_: str = "total",
    math_property: str | None = None,
    where: Callable[[Event], bool] = lambda e: True,
    breakdown: str | None = None,
    breakdown_limit: int = 10,
) -> dict[str | None, list[float]]:
    """Daily values per breakdown value (None without breakdown), zero-filled, as the API's `data`."""
    days = day_buckets(start, end, zone)
    chosen = [
        e for e in world.events if (event is None or e.event == event) and start <= e.timestamp < end and where(e)
    ]
    if breakdown is None:
        groups: dict[str | None, list[Event]] = {None: chosen}
    else:
        volume = Counter(text(e.properties.get(breakdown)) for e in chosen)
        top = {value for value, _ in sorted(volume.items(), key=lambda item: (-item[1], item[0]))[:breakdown_limit]}
        groups = defaultdict(list)
        for e in chosen:
            value = text(e.properties.get(breakdown))
            groups[value if value in top else OTHER].append(e)
    answer = {}
    for value, members in groups.items():
        per_day: dict[str, list[Event]] = defaultdict(list)
        for e in members:
            per_day[e.timestamp.astimezone(zone).date().isoformat()].append(e)
        answer[value] = [_measure(world, per_day.get(day, []), math_, math_property) for day in days]
    return answer


def _measure(world: World, events: list[Event], math_: str, math_property: str | None) -> float:
    if math_ == "total":
        return float(len(events))
    if math_ in ("unique_persons", "dau"):
        return float(len({world.person(e.distinct_id) for e in events}))
    numbers = [
        float(v)
        for e in events
        if isinstance(v := e.properties.get(math_property), int | float) and not isinstance(v, bool)
    ]
    return AGGREGATES[math_](numbers) if numbers else 0.0


@dataclass
class FunnelPersonAnswer:
    level: int
    times: list[datetime]


def funnel_person(
    events: list[Event], steps: list[Callable[[Event], bool]], window: timedelta, entered_before: datetime
) -> FunnelPersonAnswer:
    """For each first-step event before ``entered_before``, the earliest next event of each following step
    within the window; the attempt that gets furthest counts (the earliest of equals)."""
    ordered = sorted(events, key=lambda e: (e.timestamp, str(e.uuid)))
    best = FunnelPersonAnswer(0, [])
    for i, first in enumerate(ordered):
        if not steps[0](first) or first.timestamp >= entered_before:
            continue
        chain, position = [first.timestamp], i
        for step in steps[1:]:
            found = next(
                (
                    j
                    for j in range(position + 1, len(ordered))
                    if step(ordered[j]) and ordered[j].timestamp <= first.timestamp + window
                ),
                None,
            )
            if found is None:
                break
            chain.append(ordered[found].timestamp)
            position = found
        if len(chain) > best.level:
            best = FunnelPersonAnswer(len(chain), chain)
    return best


def funnel(
    world: World, steps: list[Callable[[Event], bool]], window: timedelta, start: datetime, end: datetime
) -> dict[UUID, FunnelPersonAnswer]:
    """Each person's answer: first steps in [start, end), the later steps within the window, after end too."""
    by_person: dict[UUID, list[Event]] = defaultdict(list)
    for e in world.events:
        if start <= e.timestamp < end + window and any(step(e) for step in steps):
            by_person[world.person(e.distinct_id)].append(e)
    return {person: funnel_person(events, steps, window, end) for person, events in by_person.items()}
