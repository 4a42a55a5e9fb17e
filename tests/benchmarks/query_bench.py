"""Benchmark of the query API on generated events: each kind through the API beside its own SQL run straight.

    .venv/bin/python -m tests.benchmarks.query_bench                    # make bench-queries: 10M events
    .venv/bin/python -m tests.benchmarks.query_bench --events 1000000   # quicker

On a stack of its own (tests/support/stack.py, no demo traffic): the events of models_bench (30 days,
200,000 people, shop-like names) inserted straight into the demo project's `events`, so the live rollups
fill as in production, then dbt's funnel_person_steps built over the 30 whole days before today, and the
background merges of the load awaited. The three-step funnel is the declared `view_to_purchase`
(models/dbt_project.yml) over those days, asked twice: as is, which the funnel table answers, and with a
filter every event passes, which raw events answer.
Then, for each question, alternating, --rounds times each:

- through the API: `POST /api/projects/{id}/query` with `refresh: true` (computed, not cached), timed by
  the client over HTTP;
- straight: the statements the runner sends to ClickHouse for the same body (recorded by running the runner
  in-process once), sent with clickhouse-connect;
- cached: the same body without `refresh`, after one warm-up (the answer comes from Redis), 20 times a round.

Medians side by side; results.json under --out. Nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic import TypeAdapter

from api.queries.context import QueryContext
from api.queries.params import Params
from api.queries.registry import RUNNERS, QueryBody
from infra import clients
from tests.benchmarks import machine
from tests.benchmarks.models_bench import DAYS, generate, say, settle
from tests.support.dbt import Dbt, day_vars
from tests.support.queries import EVERY_EVENT
from tests.support.stack import Stack

DEFAULT_OUT = Path(".clickpath/reports/query-bench")
CACHED_PER_ROUND = 20  # a cached answer takes milliseconds: more samples per round steady its median


def questions(first: date, last: date) -> dict[str, dict[str, Any]]:
    """The bodies measured; the funnel over the whole days [first, last), which the funnel table holds."""
    trend = {"kind": "trends", "date_from": "-30d"}
    funnel = {
        "kind": "funnel",
        "steps": [{"event": "product_viewed"}, {"event": "add_to_cart"}, {"event": "purchase"}],
        "window_seconds": 86400,
        "date_from": first.isoformat(),
        "date_to": (last - timedelta(days=1)).isoformat(),
    }
    return {
        "30-day daily trend, count (rollup)": trend | {"series": [{"event": "$pageview"}]},
        "30-day daily trend, unique persons": trend | {"series": [{"event": "$pageview", "math": "unique_persons"}]},
        "30-day three-step funnel (funnel table)": funnel,
        "30-day three-step funnel (raw events)": funnel | {"properties": [EVERY_EVENT]},
    }


@dataclass(frozen=True)
class Recording(QueryContext):
    """A runner's context that keeps every statement it sends, to send them again straight."""

    statements: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)

    def run(self, sql: str, params: Params, settings: dict[str, Any] | None = None) -> Any:
        self.statements.append((sql, dict(params.values), settings))
        return super().run(sql, params, settings)


def statements(body: dict[str, Any], project_id: int, client: Any, stack: Stack) -> Recording:
    query = TypeAdapter(QueryBody).validate_python(body)
    context = Recording(project_id, ZoneInfo("UTC"), client, stack.settings, datetime.now(UTC))
    RUNNERS[query.kind](query, context)
    return context


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(step: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    outcome = step()
    return time.perf_counter() - began, outcome


def measure(api: httpx.Client, path: str, body: dict[str, Any], recorded: Recording, rounds: int) -> dict[str, Any]:
    # each step gives its samples of one round
    def through_api() -> list[float]:
        elapsed, response = timed(lambda: api.post(path, json=body | {"refresh": True}))
        response.raise_for_status()
        return [elapsed]

    def straight() -> list[float]:
        send = recorded.client.query
        return [timed(lambda: [send(sql, parameters=v, settings=s) for sql, v, s in recorded.statements])[0]]

    def cached() -> list[float]:
        # a relative range keys on the minute too: a request that crosses one misses once, and is asked again
        samples: list[float] = []
        while len(samples) < CACHED_PER_ROUND:
            elapsed, response = timed(lambda: api.post(path, json=body))
            if response.json()["cached"]:
                samples.append(elapsed)
        return samples

    times: dict[str, list[float]] = {"api": [], "straight": [], "cached": []}
    steps = [("api", through_api), ("straight", straight), ("cached", cached)]
    for index in range(rounds):
        for name, step in steps[:: 1 if index % 2 == 0 else -1]:
            times[name].extend(step())
    api_ms, straight_ms, cached_ms = (median_ms(times[name]) for name in ("api", "straight", "cached"))
    source = api.post(path, json=body).json()["source"]
    return {
        "source": source, "api_ms": api_ms, "straight_ms": straight_ms, "cached_ms": cached_ms,
        "api_over_straight": api_ms / straight_ms, "rounds": rounds, "statements": len(recorded.statements),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    started = time.monotonic()
    stack = Stack(extra_env={"CLICKPATH_DEMO_EVENTS": "0"})
    try:
        say(started, f"bringing up a stack of its own under {stack.home}")
        results: dict[str, Any] = {"machine": machine.describe(), "load_before": machine.warn_if_busy(print)}
        results["code"] = machine.code_version("api", "models", "tests/benchmarks")
        stack.up()
        demo = json.loads((stack.home / "demo.json").read_text())["demo"]
        project_id = int(demo["project_id"])
        client = clients.clickhouse(
            stack.settings, database=stack.settings.clickhouse_database, autogenerate_session_id=False
        )
        results["generate_s"] = generate(client, args.events, started, project=project_id)
        last = datetime.now(UTC).date()
        first = last - timedelta(days=DAYS)
        dbt = Dbt(stack.env, stack.home / "dbt")
        began = time.perf_counter()
        dbt("run", "--select", "funnel_person_steps", dbt_vars=day_vars(first, last))
        results["funnel_table_build_s"] = time.perf_counter() - began
        say(started, f"funnel_person_steps built for {first} to {last}: {results['funnel_table_build_s']:.1f} s")
        results["settle_s"] = settle(client, started)
        base = f"http://127.0.0.1:{stack.settings.port('api')}"
        headers = {"Authorization": f"Bearer {demo['personal_api_key']}"}
        path = f"/api/projects/{project_id}/query"
        with httpx.Client(base_url=base, headers=headers, timeout=120) as api:
            for name, body in questions(first, last).items():
                recorded = statements(body, project_id, client, stack)
                figures = measure(api, path, body, recorded, args.rounds)
                results[name] = figures
                say(started, f"{name} [{figures['source']}]: API {figures['api_ms']:.1f} ms, "
                             f"straight {figures['straight_ms']:.1f} ms ({figures['api_over_straight']:.2f}×), "
                             f"cached {figures['cached_ms']:.1f} ms")  # fmt: skip
        results["load_after"] = machine.load()
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=2))
        say(started, f"wrote {args.out / 'results.json'}")
    finally:
        stack.remove()


if __name__ == "__main__":
    main()
