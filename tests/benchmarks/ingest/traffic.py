"""Events as posthog-js sends them from a shop's pages, the request bodies made of them, and their Kafka values.

Deterministic per seed, so the baseline of a step sends exactly what the pipeline was sent. A pool of a few
thousand events is generated once; larger volumes reuse it with a fresh uuid per event (generating each of
500,000 events in Python would take longer than ingesting them).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from ingest import events

HOST = "shop.example.com"
LIB_VERSION = "1.205.0"
PAGES = (
    ("/", "Outdoor gear for every trail"),
    ("/products/trail-runner-2", "Trail Runner 2"),
    ("/products/stormshell-jacket", "Stormshell Jacket"),
    ("/products/daypack-22", "Daypack 22L"),
    ("/products/ridge-2p-tent", "Ridge 2P Tent"),
    ("/category/shoes", "Shoes"),
    ("/category/jackets", "Jackets"),
    ("/search?q=rain+jacket", "Search: rain jacket"),
    ("/cart", "Your cart"),
    ("/checkout", "Checkout"),
    ("/blog/layering-101", "Layering 101"),
)
# (browser, version, os, os version, device type, screen width, height)
DEVICES = (
    ("Chrome", 131, "Windows", "10", "Desktop", 1920, 1080),
    ("Chrome", 130, "Mac OS X", "14.6.1", "Desktop", 1512, 982),
    ("Safari", 18.1, "Mac OS X", "15.1.0", "Desktop", 1440, 900),
    ("Mobile Safari", 18.1, "iOS", "18.1.0", "Mobile", 390, 844),
    ("Chrome", 131, "Android", "14.0", "Mobile", 412, 915),
    ("Firefox", 132, "Windows", "10", "Desktop", 1920, 1080),
)
REFERRERS = (
    ("$direct", "$direct"),
    ("https://www.google.com/", "www.google.com"),
    ("https://news.ycombinator.com/", "news.ycombinator.com"),
)
ELEMENTS_CHAIN = (
    'button.btn.btn-primary:attr__class="btn btn-primary"attr__data-action="add-to-cart"nth-child="2"nth-of-type="1"'
    'text="Add to cart";div.product-actions:attr__class="product-actions"nth-child="4"nth-of-type="3";'
    'main.product-page:attr__class="product-page"nth-child="2"nth-of-type="1";body:nth-child="2"nth-of-type="1"'
)
# event name, weight; $identify and purchase carry person updates, first pageviews $set_once
KINDS = (("$pageview", 45), ("$autocapture", 25), ("$pageleave", 15), ("product_viewed", 8), ("added_to_cart", 4))
KINDS += (("purchase", 1), ("$identify", 2))
POOL_SIZE = 5000


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _uuid_prefix(rng: random.Random) -> str:
    """The first 24 characters of a UUIDv4: the last 12 count events, so each gets its own."""
    return f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-8{rng.getrandbits(12):03x}-"


def _person(rng: random.Random) -> dict[str, Any]:
    device = rng.choice(DEVICES)
    return {"distinct_id": _uuid(rng), "device": device, "session": _uuid(rng), "referrer": rng.choice(REFERRERS)}


def _properties(rng: random.Random, person: dict[str, Any], at: datetime, token: str) -> dict[str, Any]:
    browser, version, os, os_version, device_type, width, height = person["device"]
    path, title = rng.choice(PAGES)
    referrer, referring_domain = person["referrer"]
    return {
        "$os": os,
        "$os_version": os_version,
        "$browser": browser,
        "$device_type": device_type,
        "$current_url": f"https://{HOST}{path}",
        "$host": HOST,
        "$pathname": path.split("?")[0],
        "$browser_version": version,
        "$browser_language": "en-US",
        "$screen_height": height,
        "$screen_width": width,
        "$viewport_height": height - 120,
        "$viewport_width": width,
        "$lib": "web",
        "$lib_version": LIB_VERSION,
        "$insert_id": f"{rng.getrandbits(64):016x}",
        "$time": round(at.timestamp(), 3),
        "distinct_id": person["distinct_id"],
        "$device_id": person["distinct_id"],
        "$session_id": person["session"],
        "$window_id": _uuid(rng),
        "$pageview_id": _uuid(rng),
        "$referrer": referrer,
        "$referring_domain": referring_domain,
        "$is_identified": False,
        "$process_person_profile": True,
        "title": title,
        "token": token,  # posthog-js puts the key in every event; capture drops it
    }


def _event(rng: random.Random, people: list[dict[str, Any]], at: datetime, token: str) -> dict[str, Any]:
    name = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    person = rng.choice(people)
    properties = _properties(rng, person, at, token)
    if name == "$autocapture":
        properties |= {"$event_type": "click", "$elements_chain": ELEMENTS_CHAIN}
    elif name in ("product_viewed", "added_to_cart", "purchase"):
        properties |= {
            "product": properties["title"],
            "price": rng.choice((24.0, 79.0, 129.0, 189.0)),
            "currency": "USD",
        }
    if name == "$identify":
        user = f"user-{rng.getrandbits(32):08x}"
        properties |= {"$anon_distinct_id": person["distinct_id"], "$set": {"email": f"{user}@example.com"}}
        person["distinct_id"] = user
    elif name == "$pageview" and rng.random() < 0.1:
        properties["$set_once"] = {"$initial_referrer": properties["$referrer"], "$initial_pathname": "/"}
    elif name == "purchase":
        properties["$set"] = {"last_purchase_usd": properties["price"]}
    return {
        "uuid": _uuid(rng),
        "event": name,
        "distinct_id": person["distinct_id"],
        "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),  # as posthog-js sends it
        "properties": properties,
    }


def raw_events(count: int, seed: int, token: str, people: int = 500) -> list[dict[str, Any]]:
    """`count` events of `people` visitors over the last minute, as posthog-js would send them."""
    rng = random.Random(seed)
    visitors = [_person(rng) for _ in range(people)]
    start = datetime.now(UTC) - timedelta(minutes=1)
    return [_event(rng, visitors, start + timedelta(milliseconds=60_000 * i / count), token) for i in range(count)]


def batch_body(token: str, batch: list[dict[str, Any]], **extra: Any) -> bytes:
    """Clickpath's own `/capture` body: {"api_key", "batch": [...]}."""
    return orjson.dumps({"api_key": token, "batch": batch, **extra})


def stamped(batch: list[dict[str, Any]], project_id: int, now: datetime | None = None) -> list[tuple[bytes, bytes]]:
    """The exact Kafka (key, value) pairs capture makes of these events (stamping mutates, so copies go in)."""
    now = now or datetime.now(UTC)
    stamp = events.Stamp(project_id=project_id, now=now, ip="127.0.0.1")
    return [events.stamp(orjson.loads(orjson.dumps(raw)), f"batch[{i}]", stamp) for i, raw in enumerate(batch)]


class Volume:
    """`count` stamped values made from a pool, each with its own uuid; the same again for the same seed."""

    def __init__(self, project_id: int, seed: int, token: str) -> None:
        rng = random.Random(seed)
        self.pool = stamped(raw_events(POOL_SIZE, seed, token), project_id)
        assert all(value.startswith(b'{"uuid":"') for _, value in self.pool), "uuid first: it is replaced in place"
        self.prefix = _uuid_prefix(rng)

    def values(self, start: int, stop: int) -> Iterator[tuple[bytes, bytes]]:
        """Events start..stop-1: pool event i % POOL_SIZE with a uuid ending in i."""
        pool, prefix = self.pool, self.prefix
        for i in range(start, stop):
            key, value = pool[i % POOL_SIZE]
            yield key, b'{"uuid":"' + f"{prefix}{i:012x}".encode() + value[45:]


def sequenced_bodies(token: str, requests: int, per_request: int, seed: int) -> list[bytes]:
    """`requests` batch bodies; every event of body i carries properties.bench_seq = i and a uuid of its own."""
    rng = random.Random(seed)
    pool = raw_events(POOL_SIZE, seed, token)
    prefix = _uuid_prefix(rng)
    bodies = []
    for i in range(requests):
        batch = []
        for j in range(i * per_request, (i + 1) * per_request):
            raw = pool[j % POOL_SIZE]
            batch.append({**raw, "uuid": f"{prefix}{j:012x}", "properties": {**raw["properties"], "bench_seq": i}})
        bodies.append(batch_body(token, batch))
    return bodies
