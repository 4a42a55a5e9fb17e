"""Demo traffic for a small online shop, and the client that sends it to the capture API.

Two halves that know nothing of each other:

- ``generate_events(n, days, seed, now)`` is a pure, deterministic iterator of about ``n`` events in the
  shape posthog-js sends them: people arrive anonymously in sessions (30 minutes of quiet ends one),
  browse, search, fill carts, sign up (``signup`` then ``$identify``), buy, and some come back on later
  days, fewer as time goes by. Traffic grows over the window, dips at weekends and follows the clock.
- ``Sender`` batches any iterable of events into ``POST /capture`` requests (gzip, a few in flight),
  retrying what the API asks to be retried and failing loudly on anything else.

``run`` joins them behind a progress bar for ``clickpath generate``.
"""

from __future__ import annotations

import email.utils
import gzip
import math
import random
import threading
import time
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import accumulate, islice
from operator import itemgetter
from statistics import NormalDist
from typing import Any
from urllib.parse import quote_plus

import httpx
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

Event = dict[str, Any]

SESSION_IDLE_S = 30 * 60
"""posthog-js starts a new session after 30 minutes without events; the generator never breaks that rule."""

DAY_S = 24 * 3600
HOST = "shop.clickpath.dev"
ORIGIN = f"https://{HOST}"
LIB_VERSION = "1.205.0"
MAX_PAGES = 25
PAGELEAVE_SHARE = 0.6
SAME_DAY_RETURN = 0.08

# ---------------------------------------------------------------------------------------------------------
# The shop: what people look at, where they come from, what they browse with
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    slug: str
    name: str
    category: str
    price_usd: float


# Listed best-sellers first: popularity falls with the position (a Zipf-like long tail).
PRODUCTS = (
    Product("trail-runner-2", "Trail Runner 2", "shoes", 129.0),
    Product("stormshell-jacket", "Stormshell Jacket", "jackets", 189.0),
    Product("daypack-22", "Daypack 22L", "backpacks", 79.0),
    Product("merino-socks-3", "Merino Socks (3 pack)", "accessories", 24.0),
    Product("ridge-2p-tent", "Ridge 2P Tent", "tents", 349.0),
    Product("approach-mid", "Approach Mid Boot", "shoes", 159.0),
    Product("down-puffer", "Down Puffer", "jackets", 229.0),
    Product("trek-45", "Trek 45L", "backpacks", 169.0),
    Product("headlamp-400", "Headlamp 400", "accessories", 39.0),
    Product("bivy-1p", "Bivy 1P Shelter", "tents", 219.0),
    Product("road-glide", "Road Glide", "shoes", 119.0),
    Product("fleece-midlayer", "Fleece Midlayer", "jackets", 89.0),
    Product("hydration-vest", "Hydration Vest 8L", "backpacks", 109.0),
    Product("trekking-poles", "Carbon Trekking Poles", "accessories", 129.0),
    Product("family-6p-tent", "Family 6P Tent", "tents", 599.0),
    Product("camp-slipper", "Camp Slipper", "shoes", 59.0),
    Product("rain-pants", "Rain Pants", "jackets", 99.0),
    Product("duffel-60", "Expedition Duffel 60L", "backpacks", 139.0),
    Product("water-filter", "Squeeze Water Filter", "accessories", 45.0),
    Product("tarp-ul", "Ultralight Tarp", "tents", 149.0),
)
CATEGORIES = ("shoes", "jackets", "backpacks", "tents", "accessories")
SEARCHES = (
    "rain jacket", "trail shoes", "2 person tent", "backpack 40l", "socks", "headlamp",
    "waterproof boots", "down jacket", "water filter", "poles", "duffel", "sale",
)  # fmt: skip
BLOG_POSTS = ("packing-list-weekend-hike", "how-to-choose-a-tent", "layering-101", "trail-running-for-beginners")
CURRENCIES = (("USD", 1.0, 0.7), ("EUR", 0.92, 0.2), ("GBP", 0.79, 0.1))  # code, rate from USD, share of people
FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia", "Tim", "Frances", "Edsger",
    "Hedy", "Donald", "Katherine", "John", "Sophie", "Guido", "Joan", "Bjarne", "Anita", "Niklaus", "Lynn", "Yukihiro",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Perlman", "Berners-Lee",
    "Allen", "Dijkstra", "Lamarr", "Knuth", "Johnson", "McCarthy", "Wilson", "van Rossum", "Clarke", "Stroustrup",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved for examples: no real mailbox
PLANS = (("free", 0.8), ("plus", 0.15), ("pro", 0.05))


@dataclass(frozen=True, slots=True)
class Device:
    weight: float
    device_type: str
    browser: str
    versions: tuple[float, ...]
    os: str
    os_version: str
    screen: tuple[int, int]


DEVICES = (
    Device(22, "Desktop", "Chrome", (129, 130, 131), "Windows", "10", (1920, 1080)),
    Device(11, "Desktop", "Chrome", (129, 130, 131), "Mac OS X", "14.6.1", (1512, 982)),
    Device(8, "Desktop", "Safari", (17.6, 18.0, 18.1), "Mac OS X", "15.1.0", (1440, 900)),
    Device(6, "Desktop", "Microsoft Edge", (129, 130), "Windows", "10", (1536, 864)),
    Device(4, "Desktop", "Firefox", (131, 132), "Windows", "10", (1920, 1080)),
    Device(2, "Desktop", "Firefox", (131, 132), "Linux", "", (2560, 1440)),
    Device(20, "Mobile", "Mobile Safari", (17.6, 18.0, 18.1), "iOS", "18.1.0", (390, 844)),
    Device(14, "Mobile", "Chrome", (129, 130, 131), "Android", "14.0", (412, 915)),
    Device(4, "Mobile", "Samsung Internet", (25, 26), "Android", "14.0", (384, 854)),
    Device(3, "Tablet", "Mobile Safari", (17.6, 18.0), "iOS", "18.0.1", (820, 1180)),
    Device(1, "Tablet", "Chrome", (130, 131), "Android", "13.0", (800, 1280)),
)


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    referrer: str
    referring_domain: str
    entry: str  # the kind of page people from here land on: home, product, category, blog or organic (a mix)
    new_weight: float  # share of first visits
    returning_weight: float  # share of later visits
    utm: tuple[str, str, tuple[str, ...]] | None = None  # utm_source, utm_medium, campaigns
    utm_share: float = 0.0  # links from here that carry the utm parameters


DIRECT = "$direct"  # posthog-js's $referrer and $referring_domain when there is none
CHANNELS = (
    Channel("direct", DIRECT, DIRECT, "home", 24, 48),
    Channel("google", "https://www.google.com/", "www.google.com", "organic", 28, 20),
    Channel(
        "google_ads", "https://www.google.com/", "www.google.com", "product", 12, 3,
        ("google", "cpc", ("brand_search", "tents_generic", "spring_sale")), 1.0,
    ),
    Channel(
        "newsletter", DIRECT, DIRECT, "category", 3, 15,
        ("newsletter", "email", ("weekly_digest", "new_arrivals", "spring_sale")), 1.0,
    ),
    Channel("twitter", "https://t.co/", "t.co", "product", 5, 2, ("twitter", "social", ("launch_thread",)), 0.4),
    Channel(
        "facebook", "https://l.facebook.com/", "l.facebook.com", "product", 8, 3,
        ("facebook", "paid_social", ("summer_camping", "retargeting")), 0.8,
    ),
    Channel(
        "instagram", "https://l.instagram.com/", "l.instagram.com", "product", 6, 2,
        ("instagram", "influencer", ("trail_stories",)), 0.6,
    ),
    Channel("reddit", "https://www.reddit.com/", "www.reddit.com", "blog", 5, 2),
    Channel("bing", "https://www.bing.com/", "www.bing.com", "organic", 6, 4),
    Channel("duckduckgo", "https://duckduckgo.com/", "duckduckgo.com", "organic", 3, 1),
)  # fmt: skip

# Sessions started per UTC hour, relative: quiet nights, a working-day plateau, an evening peak.
HOUR_WEIGHTS = (
    0.25, 0.16, 0.1, 0.08, 0.08, 0.12, 0.25, 0.45, 0.7, 0.85, 0.95, 1.0,
    1.0, 0.95, 0.9, 0.9, 0.92, 0.95, 1.0, 1.1, 1.15, 1.0, 0.75, 0.45,
)  # fmt: skip
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 0.97, 0.9, 0.72, 0.8)  # Monday first: this shop is browsed from work
DAILY_GROWTH = 1.025  # compounding per day, capped by MAX_GROWTH so long windows stay plausible
MAX_GROWTH = 4.0


def _cumulative(weights: Iterable[float]) -> list[float]:
    return list(accumulate(weights))


def _pick(rng: random.Random, options: tuple[Any, ...]) -> Any:
    return options[int(rng.random() * len(options))]  # rng.choice, at half the cost


# Seconds spent on a page: log-normal (median 25 s, a long tail) as a table of quantiles, so a draw is one
# random() and an index rather than Python's lognormvariate; capped below the 30-minute idle rule.
_DWELL_S = tuple(min(math.exp(NormalDist(3.2, 0.9).inv_cdf((i + 0.5) / 1024)), 15 * 60) for i in range(1024))


def _dwell(rng: random.Random) -> float:
    return _DWELL_S[int(rng.random() * 1024)]


_POPULARITY = [1 / (rank + 1) ** 0.7 for rank in range(len(PRODUCTS))]
_PRODUCTS_CUM = _cumulative(_POPULARITY)
_BY_CATEGORY = {c: [p for p in PRODUCTS if p.category == c] for c in CATEGORIES}
_BY_CATEGORY_CUM = {
    c: _cumulative(w for p, w in zip(PRODUCTS, _POPULARITY, strict=True) if p.category == c) for c in CATEGORIES
}
_DEVICES_CUM = _cumulative(d.weight for d in DEVICES)
_NEW_CHANNELS_CUM = _cumulative(c.new_weight for c in CHANNELS)
_RETURNING_CHANNELS_CUM = _cumulative(c.returning_weight for c in CHANNELS)
_CURRENCIES_CUM = _cumulative(share for _, _, share in CURRENCIES)
_PLANS_CUM = _cumulative(share for _, share in PLANS)

# ---------------------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------------------


def generate_events(n: int, days: int, seed: int | None = None, now: datetime | None = None) -> Iterator[Event]:
    """About ``n`` events spread over the ``days`` before ``now``; the same arguments give the same events.

    Events come day by day, each day's in timestamp order (sessions crossing a day's end may overlap
    the next day's first events). Every timestamp is before ``now`` and after ``now - days``.
    """
    if n < 0 or days < 1:
        raise ValueError("n must be >= 0 and days >= 1")
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _Simulation(n, days, random.Random(seed), moment.timestamp()).events()


@dataclass(slots=True)
class _Person:
    device_id: str  # the anonymous id posthog-js made on the first visit; kept as $device_id ever after
    distinct_id: str  # that anonymous id until $identify, the user id afterwards
    props: dict[str, Any]  # what posthog-js puts on every event from this browser
    intent: float  # 0..1: how likely this person browses on, buys and comes back
    currency: tuple[str, float]
    last_seen: float = 0.0
    identified: bool = False
    purchases: int = 0
    visits: int = 0
    fresh: bool = True  # no event yet: the first one carries $set_once with the initial properties
    cart: list[Product] = field(default_factory=list)


class _Window:
    """One day of the simulated period as hourly slots, each weighted by hour, weekday, growth and noise."""

    def __init__(self, start: float, end: float, period_start: float, noise: float) -> None:
        self.starts: list[float] = []
        self.lengths: list[float] = []
        weights: list[float] = []
        slot = start
        while slot < end:
            # Slots follow the clock's hours so the hour-of-day pattern lands on the right hours.
            slot_end = min(end, (math.floor(slot / 3600) + 1) * 3600)
            clock = datetime.fromtimestamp(slot, UTC)
            growth = min(DAILY_GROWTH ** ((slot - period_start) / DAY_S), MAX_GROWTH)
            weights.append(HOUR_WEIGHTS[clock.hour] * WEEKDAY_WEIGHTS[clock.weekday()] * growth * (slot_end - slot))
            self.starts.append(slot)
            self.lengths.append(slot_end - slot)
            slot = slot_end
        self.cumulative = _cumulative(w * noise for w in weights)
        self.weight = self.cumulative[-1] if self.cumulative else 0.0

    def sample(self, rng: random.Random) -> float:
        """A moment in this window, busy hours more likely; one draw picks both the slot and the offset in it."""
        point = rng.random() * self.weight
        i = min(bisect(self.cumulative, point), len(self.starts) - 1)
        before = self.cumulative[i - 1] if i else 0.0
        share = (point - before) / ((self.cumulative[i] - before) or 1.0)
        return self.starts[i] + min(share, 0.999999) * self.lengths[i]


class _Simulation:
    """People visiting the shop over ``days`` windows of 24 hours ending at ``now``."""

    def __init__(self, n: int, days: int, rng: random.Random, now: float) -> None:
        self.n, self.days, self.rng, self.now = n, days, rng, now
        self.start = now - days * DAY_S
        self.windows = [
            _Window(self.start + d * DAY_S, self.start + (d + 1) * DAY_S, self.start, rng.uniform(0.9, 1.1))
            for d in range(days)
        ]
        self.returns: dict[int, list[_Person]] = {}  # day -> people who come back that day
        self.out: list[Event] = []
        self._minute_prefix: dict[int, str] = {}
        self._seconds = _seconds_in_minute()

    def events(self) -> Iterator[Event]:
        total_weight = sum(w.weight for w in self.windows) or 1.0
        cumulative_weight, emitted = 0.0, 0
        for day, window in enumerate(self.windows):
            cumulative_weight += window.weight
            # A running target, so one day's overshoot (a visit is never cut short) is taken off the next.
            target = round(self.n * cumulative_weight / total_weight) - emitted
            self.out = []
            self._minute_prefix.clear()  # a day's minutes at a time keeps the cache small
            self._day(day, target)
            self.out.sort(key=itemgetter("timestamp"))  # ISO strings of one format sort as the times do
            emitted += len(self.out)
            yield from self.out

    def _day(self, day: int, target: int) -> None:
        for person in self.returns.pop(day, ()):
            if len(self.out) >= target:
                break  # a busy day for returning people: the rest churn rather than overshoot N
            self._visit(person, day, returning=True)
        idle = 0
        while len(self.out) < target and idle < 1000:  # idle: guard against a window with no time left in it
            before = len(self.out)
            self._visit(self._new_person(), day, returning=False)
            idle = idle + 1 if len(self.out) == before else 0

    def _new_person(self) -> _Person:
        rng = self.rng
        device = DEVICES[bisect(_DEVICES_CUM, rng.random() * _DEVICES_CUM[-1])]
        code, rate, _ = CURRENCIES[bisect(_CURRENCIES_CUM, rng.random() * _CURRENCIES_CUM[-1])]
        anonymous_id = "pending"  # set on the first visit, when its moment is known (it is a UUIDv7)
        props = {
            "$lib": "web",
            "$lib_version": LIB_VERSION,
            "$browser": device.browser,
            "$browser_version": _pick(rng, device.versions),
            "$os": device.os,
            "$os_version": device.os_version,
            "$device_type": device.device_type,
            "$screen_width": device.screen[0],
            "$screen_height": device.screen[1],
            "$host": HOST,
        }
        return _Person(anonymous_id, anonymous_id, props, rng.betavariate(2, 5), (code, rate))

    def _visit(self, person: _Person, day: int, returning: bool) -> None:
        rng = self.rng
        start = self.windows[day].sample(rng)
        if start < person.last_seen + SESSION_IDLE_S:
            start = person.last_seen + SESSION_IDLE_S + rng.uniform(60, 3 * 3600)
        if start >= self.now:
            return
        if person.device_id == "pending":
            person.device_id = person.distinct_id = self.uuid7(start)
            person.props["$device_id"] = person.device_id
        self._session(person, start, returning)
        if rng.random() < SAME_DAY_RETURN:  # back later the same day: a new session, the idle rule kept
            later = person.last_seen + SESSION_IDLE_S + rng.uniform(60, 6 * 3600)
            if later < self.now:
                self._session(person, later, returning=True)
        self._schedule_return(person, day)

    def _session(self, person: _Person, start: float, returning: bool) -> None:
        cumulative = _RETURNING_CHANNELS_CUM if returning else _NEW_CHANNELS_CUM
        channel = CHANNELS[bisect(cumulative, self.rng.random() * cumulative[-1])]
        session = _Session(self, person, start, channel)
        session.walk()
        if session.emitted:
            person.last_seen = session.last_event

    def _schedule_return(self, person: _Person, day: int) -> None:
        # Engaged, signed-up and paying people come back more often, and each visit makes the habit stronger:
        # most drop out early while a loyal core stays, so retention decays steeply and then flattens.
        # Gaps mix "back in a day or two" with "back next week or later", as shops see.
        chance = (
            0.15
            + 0.45 * person.intent
            + 0.12 * person.identified
            + 0.1 * (person.purchases > 0)
            + 0.05 * min(person.visits, 5)
        )
        person.visits += 1
        rng = self.rng
        if rng.random() < chance:
            later = day + 1 + int(rng.expovariate(0.5 if rng.random() < 0.6 else 0.1))
            if later < self.days:
                self.returns.setdefault(later, []).append(person)

    def uuid7(self, at: float) -> str:
        """A UUIDv7 for the moment ``at`` with its random bits from the seeded generator (so reproducible)."""
        ms, bits = int(at * 1000), self.rng.getrandbits(74)
        return "%08x-%04x-7%03x-%04x-%012x" % (  # noqa: UP031 - printf formatting is the fastest here
            ms >> 16,
            ms & 0xFFFF,
            bits >> 62,
            0x8000 | ((bits >> 48) & 0x3FFF),  # the variant bits, 10
            bits & 0xFFFFFFFFFFFF,
        )

    def iso(self, at: float) -> str:
        """``at`` as ISO-8601 UTC with milliseconds and a Z, from a cached minute and a table of the rest.

        Formatting is the generator's hottest step: this is several times as fast as ``datetime.isoformat``.
        """
        minute, milliseconds = divmod(int(at * 1000), 60000)
        prefix = self._minute_prefix.get(minute)
        if prefix is None:
            prefix = self._minute_prefix[minute] = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(minute * 60))
        return prefix + self._seconds[milliseconds]


@cache
def _seconds_in_minute() -> list[str]:
    """The texts "00.000Z" … "59.999Z", indexed by the millisecond of the minute."""
    return [f"{ms // 1000:02d}.{ms % 1000:03d}Z" for ms in range(60000)]


class _Session:
    """One session of one person: walks the shop's pages, appending events until they leave (or ``now``)."""

    def __init__(self, sim: _Simulation, person: _Person, start: float, channel: Channel) -> None:
        self.sim, self.rng, self.person, self.channel = sim, sim.rng, person, channel
        self.at = start
        self.emitted = 0
        self.last_event = start
        self.alive = True
        self.stay = 0.6 + 0.35 * person.intent  # chance of going on to another page
        self.base = {
            **person.props,
            "$session_id": sim.uuid7(start),
            "$window_id": sim.uuid7(start),
            "$referrer": channel.referrer,
            "$referring_domain": channel.referring_domain,
        }
        tail = sim.rng.getrandbits(62)
        self.uuid_tail = "%04x-%012x" % (0x8000 | (tail >> 48), tail & 0xFFFFFFFFFFFF)  # noqa: UP031
        self.page: dict[str, Any] = {}
        self.context = self.base
        self.page_started = start
        self.utm: dict[str, str] = {}
        if channel.utm and self.rng.random() < channel.utm_share:
            source, medium, campaigns = channel.utm
            self.utm = {"utm_source": source, "utm_medium": medium, "utm_campaign": _pick(self.rng, campaigns)}

    # -- events ------------------------------------------------------------------------------------------

    def emit(self, name: str, props: dict[str, Any] | None = None, person_set: dict[str, Any] | None = None) -> None:
        at, sim = self.at, self.sim
        if at >= sim.now:  # the session is still going on right now: what follows has not happened yet
            self.alive = False
            return
        ms = int(at * 1000)
        properties = self.context.copy()  # hot path: one copy of a prepared dict beats merging three
        if props:
            properties.update(props)
        event = {
            "event": name,
            "distinct_id": self.person.distinct_id,
            "properties": properties,
            "timestamp": sim.iso(at),
            # UUIDv7 with rand_a as a counter (RFC 9562, method 1) and the rest random per session: unique,
            # time-ordered, and cheaper than fresh random bits for each event.
            "uuid": "%08x-%04x-7%03x-%s" % (ms >> 16, ms & 0xFFFF, self.emitted, self.uuid_tail),  # noqa: UP031
        }
        if person_set:
            event["$set"] = person_set
        if self.person.fresh:
            self.person.fresh = False
            event["$set_once"] = self._initial_properties()
        sim.out.append(event)
        self.emitted += 1
        self.last_event = at
        self.at = at + 0.05 + 1.45 * self.rng.random()  # the next event on this page comes a moment later

    def _initial_properties(self) -> dict[str, Any]:
        initial = {
            f"$initial_{key[1:]}": self.base[key]
            for key in ("$referrer", "$referring_domain", "$browser", "$os", "$device_type")
        }
        initial["$initial_current_url"] = self.page.get("$current_url", ORIGIN + "/")
        initial["$initial_pathname"] = self.page.get("$pathname", "/")
        initial.update({f"$initial_{key}": value for key, value in self.utm.items()})
        return initial

    def pageview(self, path: str, query: str = "") -> None:
        if self.emitted:
            self.at += _dwell(self.rng)  # reading the previous page
        first = not self.emitted and bool(self.utm)
        # The campaign's parameters are in the landing page's URL only; posthog-js reads them from there.
        if first:
            query = (query + "&" if query else "?") + "&".join(f"{k}={v}" for k, v in self.utm.items())
        self.page = {"$current_url": f"{ORIGIN}{path}{query}", "$pathname": path}
        if first:
            self.page.update(self.utm)
        self.context = {**self.base, **self.page}
        self.page_started = self.at
        self.emit("$pageview")

    # -- the walk: each page handler shows its page and says where the person goes next ---------------

    def walk(self) -> None:
        state, arg = self._entry()
        for _ in range(MAX_PAGES):
            if state is None or not self.alive:
                break
            state, arg = getattr(self, f"_{state}")(arg)
        if self.alive and self.emitted and self.rng.random() < PAGELEAVE_SHARE:
            self._leave()

    def _entry(self) -> tuple[str, Any]:
        entry, rng = self.channel.entry, self.rng
        if self.person.cart and rng.random() < 0.3:
            return "cart", None  # back for what they left in the cart
        if entry == "organic":
            entry = ("product", "product", "category", "blog", "home")[rng.randrange(5)]
        if entry == "product":
            return "product", self._popular()
        if entry == "category":
            return "category", _pick(rng, CATEGORIES)
        if entry == "blog":
            return "blog", _pick(rng, BLOG_POSTS)
        return "home", None

    def _popular(self, category: str | None = None) -> Product:
        if category is None:
            return PRODUCTS[bisect(_PRODUCTS_CUM, self.rng.random() * _PRODUCTS_CUM[-1])]
        cumulative = _BY_CATEGORY_CUM[category]
        return _BY_CATEGORY[category][bisect(cumulative, self.rng.random() * cumulative[-1])]

    def _leaves(self) -> bool:
        return self.rng.random() > self.stay

    def _home(self, _: Any) -> tuple[str | None, Any]:
        self.pageview("/")
        if self._leaves():
            return None, None
        r = self.rng.random()
        if r < 0.45:
            return "category", _pick(self.rng, CATEGORIES)
        if r < 0.65:
            return "product", self._popular()
        if r < 0.8:
            return "search", None
        if r < 0.87:
            return "blog", _pick(self.rng, BLOG_POSTS)
        if r < 0.93 and not self.person.identified:
            return "signup", "home"  # the newsletter discount
        return ("cart", None) if self.person.cart else ("category", _pick(self.rng, CATEGORIES))

    def _category(self, category: str) -> tuple[str | None, Any]:
        self.pageview(f"/collections/{category}")
        if self._leaves():
            return None, None
        r = self.rng.random()
        if r < 0.75:
            return "product", self._popular(category)
        if r < 0.88:
            return "category", _pick(self.rng, CATEGORIES)
        return "search", None

    def _product(self, product: Product) -> tuple[str | None, Any]:
        self.pageview(f"/products/{product.slug}")
        details = self._product_props(product)
        self.emit("product_viewed", details)
        if self.rng.random() < 0.08 + 0.3 * self.person.intent:
            self.at += self.rng.uniform(5, 90)  # choosing a size, reading reviews
            self.person.cart.append(product)
            self.emit("add_to_cart", {**details, "quantity": 1, "cart_size": len(self.person.cart)})
            if self.rng.random() < 0.55:
                return "cart", None
        if self._leaves():
            return None, None
        r = self.rng.random()
        if r < 0.5:
            return "product", self._popular(product.category)
        if r < 0.7:
            return "category", _pick(self.rng, CATEGORIES)
        if r < 0.85 and self.person.cart:
            return "cart", None
        return "search", None

    def _product_props(self, product: Product) -> dict[str, Any]:
        code, rate = self.person.currency
        return {
            "product_id": product.slug,
            "product_name": product.name,
            "category": product.category,
            "price": round(product.price_usd * rate, 2),
            "currency": code,
        }

    def _search(self, _: Any) -> tuple[str | None, Any]:
        query = _pick(self.rng, SEARCHES)
        self.pageview("/search", f"?q={quote_plus(query)}")
        self.emit("products_searched", {"query": query, "results": self.rng.randint(0, 24)})
        if self._leaves():
            return None, None
        return ("product", self._popular()) if self.rng.random() < 0.8 else ("search", None)

    def _blog(self, slug: str) -> tuple[str | None, Any]:
        self.pageview(f"/blog/{slug}")
        self.at += self.rng.uniform(30, 240)  # posts are read, not skimmed
        if self._leaves():
            return None, None
        return ("product", self._popular()) if self.rng.random() < 0.6 else ("home", None)

    def _cart(self, _: Any) -> tuple[str | None, Any]:
        self.pageview("/cart")
        if not self.person.cart:
            return ("home", None) if not self._leaves() else (None, None)
        if self.rng.random() < 0.35 + 0.45 * self.person.intent:
            return "checkout", False
        return (None, None) if self._leaves() else ("product", self._popular())

    def _checkout(self, resumed: bool) -> tuple[str | None, Any]:
        self.pageview("/checkout")
        code, rate = self.person.currency
        if not resumed:
            value = round(sum(p.price_usd for p in self.person.cart) * rate, 2)
            self.emit("checkout_started", {"cart_value": value, "items": len(self.person.cart), "currency": code})
        if not self.person.identified:
            return ("signup", "checkout") if self.rng.random() < 0.7 else (None, None)
        return ("purchase", None) if self.rng.random() < 0.55 + 0.35 * self.person.intent else (None, None)

    def _signup(self, source: str) -> tuple[str | None, Any]:
        self.pageview("/signup")
        self.at += self.rng.uniform(15, 120)  # filling in the form
        if self.rng.random() < 0.2:
            return None, None  # gave up on the form
        rng, person = self.rng, self.person
        first, last = _pick(rng, FIRST_NAMES), _pick(rng, LAST_NAMES)
        email = f"{first}.{last.replace(' ', '')}{rng.randint(1, 999)}@{_pick(rng, EMAIL_DOMAINS)}".lower()
        plan = PLANS[bisect(_PLANS_CUM, rng.random() * _PLANS_CUM[-1])][0]
        self.emit("signup", {"method": _pick(rng, ("email", "email", "google", "apple")), "source": source})
        if not self.alive:
            return None, None
        # posthog.identify(): the same browser carries on under the user's id; the event links both ids.
        anonymous_id = person.distinct_id
        person.distinct_id = f"user_{rng.getrandbits(48):012x}"
        person.identified = True
        person_props = {"email": email, "name": f"{first} {last}", "plan": plan}
        self.emit("$identify", {"$anon_distinct_id": anonymous_id}, person_set=person_props)
        return ("checkout", True) if source == "checkout" else ("account", None)

    def _purchase(self, _: Any) -> tuple[str | None, Any]:
        self.at += self.rng.uniform(30, 180)  # entering payment details
        self.pageview("/checkout/success")
        code, rate = self.person.currency
        cart = self.person.cart
        if not cart:
            return None, None
        discount = 0.9 if self.utm.get("utm_campaign") == "spring_sale" else 1.0
        amount = round(sum(p.price_usd for p in cart) * rate * discount, 2)
        props = {
            "order_id": f"ord_{self.rng.getrandbits(40):010x}",
            "amount": amount,
            "currency": code,
            "items": len(cart),
            "product_ids": [p.slug for p in cart],
        }
        if discount < 1:
            props["coupon"] = "SPRING10"
        self.emit("purchase", props)
        if self.alive:
            cart.clear()
            self.person.purchases += 1
        return (None, None) if self.rng.random() < 0.75 else ("home", None)

    def _account(self, _: Any) -> tuple[str | None, Any]:
        self.pageview("/account")
        return (None, None) if self._leaves() else ("home", None)

    def _leave(self) -> None:
        duration = _dwell(self.rng)
        self.at = max(self.at, self.page_started + duration)
        props = {
            "$prev_pageview_pathname": self.page.get("$pathname", "/"),
            "$prev_pageview_duration": round(duration, 1),
        }
        self.emit("$pageleave", props)


# ---------------------------------------------------------------------------------------------------------
# The sender
# ---------------------------------------------------------------------------------------------------------


class CaptureRefusedError(RuntimeError):
    """The capture API refused a batch with a 4xx other than 429: the events were wrong, retrying cannot help."""

    def __init__(self, status: int, code: str, message: str, field: str | None) -> None:
        where = f" (field {field})" if field else ""
        super().__init__(f"capture refused a batch: HTTP {status} {code}: {message}{where}")
        self.status, self.code, self.message, self.field = status, code, message, field


class CaptureUnavailableError(RuntimeError):
    """The capture API kept failing (5xx, 429 or no connection) until the retries ran out."""


@dataclass
class SendStats:
    events: int = 0  # events the API accepted
    batches: int = 0
    requests: int = 0  # HTTP requests, retries included
    retries: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


class Sender:
    """Posts events to ``{host}/capture`` in gzip batches, ``concurrency`` requests in flight.

    429 waits as long as Retry-After says; 5xx and network errors back off exponentially. Both give up
    after ``max_attempts`` tries of one batch (about half a minute of backoff with the defaults: long
    enough for a capture process to restart, short enough to tell someone whose stack is down). Any
    other 4xx raises ``CaptureRefusedError`` at once.
    """

    def __init__(
        self,
        host: str,
        api_key: str,
        *,
        batch_size: int = 500,
        concurrency: int = 4,
        max_attempts: int = 8,
        backoff_s: float = 0.5,
        max_backoff_s: float = 10.0,
        timeout_s: float = 30.0,
    ) -> None:
        if not 1 <= batch_size <= 5000:
            raise ValueError("batch_size must be between 1 and 5000 (the capture API's limit)")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.url = host.rstrip("/") + "/capture"
        self.api_key = api_key
        self.batch_size, self.concurrency = batch_size, max(1, concurrency)
        self.max_attempts, self.backoff_s, self.max_backoff_s = max_attempts, backoff_s, max_backoff_s
        self.timeout_s = timeout_s
        self._jitter = random.Random()  # not the generator's: retries must not change what is generated
        self._lock = threading.Lock()
        self._on_retry: Callable[[str], None] | None = None
        self.stats = SendStats()

    def send(
        self,
        events: Iterable[Event],
        on_sent: Callable[[int], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> SendStats:
        """Send every event; raise on the first batch that cannot be delivered.

        ``on_sent(k)`` runs in the caller's thread after each accepted batch of ``k`` events;
        ``on_retry(why)`` in a worker thread before each wait for a retry.
        """
        self.stats = SendStats()
        self._on_retry = on_retry
        started = time.perf_counter()
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        with (
            httpx.Client(timeout=self.timeout_s, limits=limits) as client,
            ThreadPoolExecutor(self.concurrency, thread_name_prefix="capture") as pool,
        ):
            pending: set[Future[int]] = set()
            try:
                for batch in _batches(events, self.batch_size):
                    # Never more than one batch waiting per worker: generating pauses while sending catches up.
                    while len(pending) >= 2 * self.concurrency:
                        pending = self._collect(pending, on_sent)
                    pending.add(pool.submit(self._post, client, batch))
                while pending:
                    pending = self._collect(pending, on_sent)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        self.stats.seconds = time.perf_counter() - started
        return self.stats

    def _collect(self, pending: set[Future[int]], on_sent: Callable[[int], None] | None) -> set[Future[int]]:
        done, still = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            count = future.result()  # re-raises a batch's failure here, in the caller's thread
            self.stats.events += count
            self.stats.batches += 1
            if on_sent:
                on_sent(count)
        return still

    def _post(self, client: httpx.Client, batch: list[Event]) -> int:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", "User-Agent": "clickpath-generate"}
        for attempt in range(1, self.max_attempts + 1):
            self._count(retry=attempt > 1)
            try:
                response = client.post(self.url, content=self._body(batch), headers=headers)
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
                delay = self._backoff(attempt)
            else:
                if response.status_code < 300:
                    return len(batch)
                if response.status_code == 429:
                    problem, delay = "429 Too Many Requests", _retry_after(response, self._backoff(attempt))
                elif response.status_code >= 500:
                    problem, delay = f"HTTP {response.status_code}", self._backoff(attempt)
                else:
                    raise _refusal(response)
            if attempt < self.max_attempts:
                if self._on_retry:
                    self._on_retry(f"{problem}; retrying in {delay:.1f}s (attempt {attempt}/{self.max_attempts})")
                time.sleep(delay)
        raise CaptureUnavailableError(f"{self.url} still failing after {self.max_attempts} attempts: {problem}")

    def _body(self, batch: list[Event]) -> bytes:
        # Built for each attempt: capture corrects timestamps by (its clock - sent_at), so sent_at must be
        # when this attempt leaves, or a retried batch would land later than it happened. Encoding runs
        # in the worker thread, where gzip (which releases the GIL) overlaps with generating; level 1
        # because the capture API is usually on the same machine and CPU is scarcer than bandwidth.
        document = {"api_key": self.api_key, "batch": batch, "sent_at": _now_iso()}
        return gzip.compress(orjson.dumps(document), compresslevel=1)

    def _count(self, retry: bool) -> None:
        with self._lock:
            self.stats.requests += 1
            self.stats.retries += retry

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)) * self._jitter.uniform(0.5, 1.0)


def _batches(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    iterator = iter(events)
    while batch := list(islice(iterator, size)):
        yield batch


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _retry_after(response: httpx.Response, fallback: float) -> float:
    """Retry-After in seconds or as an HTTP date; capped at a minute so a wrong header cannot stall a run."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return fallback
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return fallback
    return min(max(seconds, 0.0), 60.0)


def _refusal(response: httpx.Response) -> CaptureRefusedError:
    try:
        error = response.json()["error"]
        return CaptureRefusedError(
            response.status_code, str(error.get("code")), str(error.get("message")), error.get("field")
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return CaptureRefusedError(response.status_code, "unexpected_response", response.text[:500], None)


# ---------------------------------------------------------------------------------------------------------
# Both, with a progress bar
# ---------------------------------------------------------------------------------------------------------


class _RateColumn(ProgressColumn):
    """Events per second: the recent rate while sending, the whole run's average once done."""

    def render(self, task: Task) -> Text:
        if task.finished and task.finished_time:
            speed: float | None = task.completed / task.finished_time
        else:
            speed = task.speed
        return Text(f"{speed:,.0f} events/s" if speed else "– events/s", style="progress.data.speed")


def run(n: int, days: int, seed: int, sender: Sender, console: Console | None = None) -> SendStats:
    """Generate about ``n`` events over ``days`` and send them, showing progress; print a one-line summary."""
    console = console or Console()
    columns = (TextColumn("sending"), BarColumn(), MofNCompleteColumn(), _RateColumn(), TimeElapsedColumn())

    def warn(why: str) -> None:  # printed above the bar; the API's text may hold brackets, so no markup
        console.print(f"capture: {why}", style="yellow", markup=False, highlight=False, soft_wrap=True)

    with Progress(*columns, console=console) as progress:
        task = progress.add_task("events", total=n)
        stats = sender.send(generate_events(n, days, seed), on_sent=lambda k: progress.advance(task, k), on_retry=warn)
        progress.update(task, total=stats.events, completed=stats.events)  # "about n": the bar ends full
    retries = f"{stats.retries} retr{'y' if stats.retries == 1 else 'ies'}"
    console.print(
        f"{stats.events:,} events in {stats.requests:,} requests ({retries}) in {stats.seconds:.1f}s: "
        f"{stats.rate:,.0f} events/s (seed {seed}, {days} days, to {sender.url})",
        highlight=False,
        soft_wrap=True,  # one line, whatever the terminal's width: scripts grep it
    )
    return stats
