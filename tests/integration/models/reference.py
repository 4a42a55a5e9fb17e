"""The daily models computed again in plain Python, from a list of events and the person mapping.

Independent of the SQL: written from the rules in docs/MODELS.md, for datasets small enough to hold.
Times are naive UTC datetimes; events are ordered by (timestamp, uuid as text), as the models order them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from ingest.persons import person_id_of
from tests.support.events import Event

IDLE = timedelta(minutes=30)


def ordered(events: Iterable[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.timestamp, str(e.uuid)))


def person(event: Event, mapping: Mapping[str, UUID]) -> UUID:
    return mapping.get(event.distinct_id) or person_id_of(event.project_id, event.distinct_id)


def micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1)


def sessions(events: Sequence[Event], mapping: Mapping[str, UUID]) -> list[dict[str, Any]]:
    groups: dict[str, list[Event]] = defaultdict(list)
    last: dict[UUID, tuple[datetime, str]] = {}  # person → (time of the last event, its session key)
    for event in ordered(events):
        session_id = event.properties.get("$session_id", "")
        if session_id:
            groups[session_id].append(event)
            continue
        who = person(event, mapping)
        previous = last.get(who)
        key = previous[1] if previous and event.timestamp - previous[0] <= IDLE else f"{who}@{micros(event.timestamp)}"
        last[who] = (event.timestamp, key)
        groups[key].append(event)
    rows = []
    for key, members in groups.items():
        first, pageviews = members[0], [e for e in members if e.event == "$pageview"]
        duration = (members[-1].timestamp - first.timestamp).total_seconds()
        rows.append(
            {
                "day": first.timestamp.date(),
                "session_key": key,
                "person_id": person(first, mapping),
                "started_at": first.timestamp,
                "ended_at": members[-1].timestamp,
                "duration_seconds": duration,
                "events": len(members),
                "pageviews": len(pageviews),
                "entry_pathname": pageviews[0].properties.get("$pathname", "") if pageviews else "",
                "exit_pathname": pageviews[-1].properties.get("$pathname", "") if pageviews else "",
                "is_bounce": int(len(pageviews) == 1 and duration < 10),
            }
        )
    return rows


def person_daily_activity(events: Sequence[Event], mapping: Mapping[str, UUID]) -> list[dict[str, Any]]:
    days: dict[tuple[date, UUID], list[Event]] = defaultdict(list)
    for event in ordered(events):
        days[event.timestamp.date(), person(event, mapping)].append(event)
    return [
        {
            "day": day,
            "person_id": who,
            "events": len(members),
            "pageviews": sum(e.event == "$pageview" for e in members),
            "first_event_at": members[0].timestamp,
            "last_event_at": members[-1].timestamp,
            "event_counts": dict(Counter(e.event for e in members)),
            "distinct_ids": sorted({e.distinct_id for e in members}),
        }
        for (day, who), members in days.items()
    ]


def funnel_person_steps(
    events: Sequence[Event], mapping: Mapping[str, UUID], funnels: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    by_person: dict[UUID, list[Event]] = defaultdict(list)
    for event in ordered(events):
        by_person[person(event, mapping)].append(event)
    rows = []
    for funnel in funnels:
        steps, window = funnel["steps"], timedelta(seconds=funnel["window_seconds"])
        for who, mine in by_person.items():
            best: dict[date, list[datetime]] = {}
            for index, start in enumerate(mine):
                if start.event != steps[0]:
                    continue
                reached = [start.timestamp]
                for later in mine[index + 1 :]:
                    within = later.timestamp - start.timestamp <= window
                    if within and len(reached) < len(steps) and later.event == steps[len(reached)]:
                        reached.append(later.timestamp)
                day = start.timestamp.date()
                if day not in best or len(reached) > len(best[day]):  # equals: the earlier try stays
                    best[day] = reached
            for day, reached in best.items():
                rows.append(
                    {
                        "funnel": funnel["name"],
                        "day": day,
                        "person_id": who,
                        "steps_reached": len(reached),
                        "steps_total": len(steps),
                        "step_times": reached,
                    }
                )
    return rows
