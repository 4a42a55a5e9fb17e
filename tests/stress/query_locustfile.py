"""Locust users for `make stress-query`: the query API as people use it, mixed.

Against the demo project (ingest/generate.py's shop events), with its personal key: daily trends (counts,
from the rollup), unique persons broken down by browser, a purchase funnel, and dashboard loads of a
dashboard holding those three as tiles. Most asks are served from the cache, as a dashboard left open is;
every fourth of each kind is a `refresh`, which computes afresh. The dashboard and its insights are made
when the load starts and removed when it stops. Configured through STRESS_* variables (tests/stress/run.py
sets them); the name of each request in the report is what it asked.
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from typing import Any

import httpx
from locust import FastHttpUser, constant_throughput, events, task
from locust.env import Environment

PROJECT = os.environ["STRESS_PROJECT_ID"]
HEADERS = {"Authorization": f"Bearer {os.environ['STRESS_PERSONAL_KEY']}"}
USER_RATE = float(os.environ["STRESS_USER_RATE"])
BASE = f"/api/projects/{PROJECT}"
REFRESH_EVERY = 4

QUERIES: dict[str, dict[str, Any]] = {
    "trends count": {"kind": "trends", "series": [{"event": "$pageview"}], "date_from": "-30d"},
    "trends persons by browser": {
        "kind": "trends",
        "series": [{"event": "$pageview", "math": "unique_persons"}],
        "date_from": "-30d",
        "breakdown": "$browser",
    },
    "funnel": {
        "kind": "funnel",
        "steps": [{"event": "product_viewed"}, {"event": "add_to_cart"}, {"event": "purchase"}],
        "window_seconds": 86400,
        "date_from": "-30d",
    },
}
_dashboard: dict[str, Any] = {}
_asked: defaultdict[str, itertools.count] = defaultdict(itertools.count)  # per kind: its first ask refreshes


@events.test_start.add_listener
def _make_dashboard(environment: Environment, **_: Any) -> None:
    with httpx.Client(base_url=environment.host, headers=HEADERS, timeout=30) as api:
        insights = [
            _created(api.post(f"{BASE}/insights", json={"name": f"stress: {name}", "query": body}))
            for name, body in QUERIES.items()
        ]
        dashboard = _created(api.post(f"{BASE}/dashboards", json={"name": "stress: dashboard"}))
        for insight in insights:
            _created(api.post(f"{BASE}/dashboards/{dashboard['id']}/tiles", json={"insight_id": insight["id"]}))
    _dashboard.update(id=dashboard["id"], insights=[insight["id"] for insight in insights])


@events.test_stop.add_listener
def _remove_dashboard(environment: Environment, **_: Any) -> None:
    with httpx.Client(base_url=environment.host, headers=HEADERS, timeout=30) as api:
        api.delete(f"{BASE}/dashboards/{_dashboard['id']}")
        for insight in _dashboard["insights"]:
            api.delete(f"{BASE}/insights/{insight}")


def _created(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 201:
        raise RuntimeError(f"{response.request.url}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()


class QueryUser(FastHttpUser):
    wait_time = constant_throughput(USER_RATE)

    def ask(self, name: str) -> None:
        refresh = next(_asked[name]) % REFRESH_EVERY == 0
        body = QUERIES[name] | {"refresh": refresh}
        label = f"{name} ({'refresh' if refresh else 'cached'})"
        with self.client.post(f"{BASE}/query", json=body, headers=HEADERS, name=label, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}: {answer.text[:200] if answer.text else ''}")

    @task(3)
    def trends_count(self) -> None:
        self.ask("trends count")

    @task(2)
    def trends_persons(self) -> None:
        self.ask("trends persons by browser")

    @task(2)
    def funnel(self) -> None:
        self.ask("funnel")

    @task(3)
    def dashboard(self) -> None:
        path = f"{BASE}/dashboards/{_dashboard['id']}/results"
        with self.client.get(path, headers=HEADERS, name="dashboard load", catch_response=True) as answer:
            failed = [tile for tile in answer.json()["tiles"] if tile["error"]] if answer.status_code == 200 else []
            if answer.status_code != 200 or failed:
                answer.failure(f"HTTP {answer.status_code}: {answer.text[:200] if answer.text else ''}")
