"""A small dataset of the cases the daily models must get right, each named where it is made.

Two UTC days. Times are naive UTC (the reference's convention).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

from ingest.persons import person_id_of
from tests.support.events import Event

FIRST_DAY = date(2026, 3, 10)
LAST_DAY = FIRST_DAY + timedelta(days=1)


def at(day: int, clock: str) -> datetime:
    """`day` 0 or 1 (FIRST_DAY or LAST_DAY), at HH:MM[:SS]."""
    return datetime.combine(FIRST_DAY + timedelta(days=day), time.fromisoformat(clock))


def links(project_id: int) -> dict[UUID, list[str]]:
    """Persons of several distinct ids, as person processing would have written them."""
    return {
        # $identify: the anonymous browser signs up and becomes user-1 (user-1's person survives)
        person_id_of(project_id, "user-1"): ["anon-1", "user-1"],
        # $create_alias of two server-side ids
        person_id_of(project_id, "alias-a"): ["alias-a", "alias-b"],
    }


def events(project_id: int) -> tuple[list[Event], list[Event]]:
    """(events inserted first, events inserted after them: late, and earlier than their session's others)."""

    def event(name: str, distinct_id: str, moment: datetime, **properties: str) -> Event:
        return Event(project_id, name, distinct_id, moment, properties)

    def page(distinct_id: str, moment: datetime, path: str, session: str) -> Event:
        return event("$pageview", distinct_id, moment, **{"$pathname": path, "$session_id": session})

    on_time = [
        # one session over an identify: anonymous events, then the user's
        page("anon-1", at(0, "09:00"), "/", "s-identify"),
        event("product_viewed", "anon-1", at(0, "09:01"), **{"$session_id": "s-identify"}),
        page("anon-1", at(0, "09:05"), "/signup", "s-identify"),
        event("signup", "anon-1", at(0, "09:06"), **{"$session_id": "s-identify"}),
        event("$identify", "user-1", at(0, "09:07"), **{"$session_id": "s-identify", "$anon_distinct_id": "anon-1"}),
        page("user-1", at(0, "09:08"), "/account", "s-identify"),
        # a session across midnight, with a purchase funnel that crosses it too (reaches checkout)
        page("night-owl", at(0, "23:58"), "/products/tent", "s-night"),
        event("product_viewed", "night-owl", at(0, "23:58:30"), **{"$session_id": "s-night"}),
        event("add_to_cart", "night-owl", at(0, "23:59"), **{"$session_id": "s-night"}),
        page("night-owl", at(1, "00:05"), "/checkout", "s-night"),
        event("checkout_started", "night-owl", at(1, "00:06"), **{"$session_id": "s-night"}),
        event("$pageleave", "night-owl", at(1, "00:10"), **{"$session_id": "s-night"}),
        # no $session_id, two ids of one person: 20 minutes apart is one session, 40 minutes starts another;
        # 25 minutes over midnight is still one session (of the first day); then a new one next morning
        event("server_event", "alias-a", at(0, "10:00")),
        event("server_event", "alias-b", at(0, "10:20")),
        event("server_event", "alias-a", at(0, "11:00")),
        event("server_event", "alias-b", at(0, "23:45")),
        event("server_event", "alias-a", at(1, "00:10")),
        event("server_event", "alias-b", at(1, "03:00")),
        # a bounce
        page("bouncer", at(1, "12:00"), "/landing", "s-bounce"),
        # a purchase over midnight; a later try the same day gets less far, the earlier one is kept
        event("product_viewed", "buyer", at(0, "22:00"), **{"$session_id": "s-buy"}),
        event("add_to_cart", "buyer", at(0, "22:10"), **{"$session_id": "s-buy"}),
        event("product_viewed", "buyer", at(0, "23:00"), **{"$session_id": "s-buy"}),
        event("checkout_started", "buyer", at(1, "01:00"), **{"$session_id": "s-buy"}),
        event("purchase", "buyer", at(1, "02:00"), **{"$session_id": "s-buy"}),
        # the second step 25 hours after the first: outside the purchase funnel's window of one day
        event("product_viewed", "slow", at(0, "08:00"), **{"$session_id": "s-slow-1"}),
        event("add_to_cart", "slow", at(1, "09:00"), **{"$session_id": "s-slow-2"}),
    ]
    # out of order: the session's first pageview arrives last; it moves the session's start and entry page
    late = [page("night-owl", at(0, "23:50"), "/", "s-night")]
    return on_time, late
