"""Benchmark of the dbt models on generated events: build times, and a trend from a rollup beside raw events.

    .venv/bin/python -m tests.benchmarks.models_bench                    # make bench-models: 10M events
    .venv/bin/python -m tests.benchmarks.models_bench --events 1000000   # quicker

On a stack of its own (tests/support/stack.py, no demo traffic), whose `up` creates the models (so the
rollups' materialized views run on every insert, as in production):

1. N events over 30 days (200,000 people, shop-like event names, properties with $pathname, $browser,
   $session_id and amount) are inserted straight into `events` by ClickHouse itself (INSERT … SELECT from
   numbers(), a million at a time): what ingestion would have written, without the time to send them;
2. `dbt build --full-refresh`: every model from scratch (the rollups re-created with their catch-up);
3. one day's incremental run: `dbt build --select tag:daily` with from_date/to_date of yesterday;
4. once ClickHouse's background merges of the load have ended, a 30-day daily trend of $pageview from
   `events_hourly` and from `events`, alternating, --rounds times each, twice: the count alone (math
   total), then the count with unique persons; the medians side by side, as the client waits for them and
   as the server spent on them (the elapsed time of its X-ClickHouse-Summary: without the HTTP round trip,
   which costs both the same), and the answers compared.

Results go to --out as results.json; the numbers are for docs/PERFORMANCE.md. Nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra import clients
from ingest.persons import person_id_sql
from tests.benchmarks import machine
from tests.support.dbt import Dbt, day_vars
from tests.support.stack import Stack

DEFAULT_OUT = Path(".clickpath/reports/models-bench")
CHUNK = 1_000_000
DAYS = 30
PEOPLE = 200_000

GENERATE_SQL = """
INSERT INTO events (uuid, project_id, event, distinct_id, properties, timestamp, received_at,
                    kafka_topic, kafka_partition, kafka_offset)
SELECT
    generateUUIDv4(number) AS uuid,
    {project:UInt64} AS project_id,
    multiIf(r < 55, '$pageview', r < 75, '$autocapture', r < 85, 'product_viewed', r < 92, 'add_to_cart',
            r < 96, 'checkout_started', r < 98, 'purchase', 'signup') AS event,
    concat('user-', toString(person)) AS distinct_id,
    concat('{"$pathname":"/p/', toString(number % 40),
           '","$browser":"', ['Chrome', 'Firefox', 'Safari'][number % 3 + 1],
           '","$session_id":"', toString(person), '-', toString(intDiv(offset_s, 86400)), '","amount":',
           toString(number % 100), '}') AS properties,
    {start:DateTime64(6, 'UTC')} + toIntervalSecond(offset_s) AS timestamp,
    timestamp AS received_at,
    'models_bench' AS kafka_topic,
    0 AS kafka_partition,
    number AS kafka_offset
FROM
(
    SELECT number, cityHash64(number) % 100 AS r, cityHash64(number, 1) % {people:UInt64} AS person,
           intDiv(number * {span:UInt64}, {total:UInt64}) AS offset_s
    FROM numbers({first:UInt64}, {count:UInt64})
)
"""

TRENDS = {
    "total": (
        """SELECT toDate(hour) AS day, sum(events) FROM events_hourly
           WHERE project_id = 1 AND event = '$pageview' AND hour >= {since:DateTime} GROUP BY day ORDER BY day""",
        """SELECT toDate(timestamp) AS day, count() FROM events
           WHERE project_id = 1 AND event = '$pageview' AND timestamp >= {since:DateTime} GROUP BY day ORDER BY day""",
    ),
    "total_and_persons": (
        """SELECT toDate(hour) AS day, sum(events), uniqMerge(persons) FROM events_hourly
           WHERE project_id = 1 AND event = '$pageview' AND hour >= {since:DateTime} GROUP BY day ORDER BY day""",
        f"""SELECT toDate(e.timestamp) AS day, count(),
                   uniq(if(m.linked = 1, m.person_id, {person_id_sql("e.project_id", "e.distinct_id")}))
            FROM events AS e
            LEFT JOIN (SELECT distinct_id, person_id, toUInt8(1) AS linked FROM person_distinct_ids FINAL
                       WHERE project_id = 1 AND is_deleted = 0) AS m ON m.distinct_id = e.distinct_id
            WHERE e.project_id = 1 AND e.event = '$pageview' AND e.timestamp >= {{since:DateTime}}
            GROUP BY day ORDER BY day""",
    ),
}


def say(started: float, text: str) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {text}", flush=True)


def generate(client: Any, events: int, started: float, project: int = 1) -> float:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
    began = time.monotonic()
    for first in range(0, events, CHUNK):
        count = min(CHUNK, events - first)
        client.command(
            GENERATE_SQL,
            parameters={"start": start, "people": PEOPLE, "span": DAYS * 86400, "total": events, "first": first,
                        "count": count, "project": project},
        )  # fmt: skip
        say(started, f"generated {first + count:,} of {events:,} events")
    return time.monotonic() - began


def settle(client: Any, started: float, timeout_s: float = 300) -> float:
    """Wait (at most ``timeout_s``) for the background merges of the load to end; the seconds waited."""
    began = time.monotonic()
    machine.await_merges(client, began + timeout_s, poll_s=0.5)
    waited = time.monotonic() - began
    say(started, f"background merges done after {waited:.1f} s")
    return waited


def timed(step: Any) -> float:
    began = time.monotonic()
    step()
    return time.monotonic() - began


def trend(client: Any, rounds: int, started: float) -> dict[str, Any]:
    """Each trend from the rollup and from raw events, alternating; whole UTC days, so both cover the same rows."""
    since = (datetime.now(UTC) - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    figures = {}
    for name, (rollup_sql, raw_sql) in TRENDS.items():
        times: dict[str, list[float]] = {"rollup": [], "raw": []}
        server: dict[str, list[float]] = {"rollup": [], "raw": []}
        answers: dict[str, list[tuple]] = {}
        for index in range(rounds):
            for source, sql in (("rollup", rollup_sql), ("raw", raw_sql))[:: 1 if index % 2 == 0 else -1]:
                began = time.perf_counter()
                result = client.query(sql, parameters={"since": since})
                times[source].append(time.perf_counter() - began)
                server[source].append(int(result.summary["elapsed_ns"]) / 1e9)  # the server's X-ClickHouse-Summary
                answers[source] = result.result_rows
        rollup_ms, raw_ms = (statistics.median(times[source]) * 1000 for source in ("rollup", "raw"))
        rollup_server_ms, raw_server_ms = (statistics.median(server[source]) * 1000 for source in ("rollup", "raw"))
        same = answers["rollup"] == answers["raw"]
        say(started, f"{name}: rollup {rollup_ms:.1f} ms, raw {raw_ms:.1f} ms (medians of {rounds}): "
                     f"{raw_ms / rollup_ms:.1f}×; in the server {rollup_server_ms:.2f} against {raw_server_ms:.2f} ms: "
                     f"{raw_server_ms / rollup_server_ms:.1f}×; same answer: {same}")  # fmt: skip
        figures[name] = {
            "rollup_ms": rollup_ms, "raw_ms": raw_ms, "speedup": raw_ms / rollup_ms, "rounds": rounds,
            "rollup_server_ms": rollup_server_ms, "raw_server_ms": raw_server_ms,
            "server_speedup": raw_server_ms / rollup_server_ms,
            "same_answer": same, "days": len(answers["raw"]),
        }  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    started = time.monotonic()
    stack = Stack(extra_env={"CLICKPATH_DEMO_EVENTS": "0"})
    work = Path(tempfile.mkdtemp(prefix="models-bench-"))
    try:
        say(started, f"bringing up a stack of its own under {stack.home}")
        stack.up()
        settings = stack.settings
        client = clients.clickhouse(settings, database=settings.clickhouse_database, autogenerate_session_id=False)
        results: dict[str, Any] = {"events": args.events, "generate_s": generate(client, args.events, started)}
        dbt = Dbt(stack.env, work)
        results["full_build_s"] = timed(lambda: dbt("build", "--full-refresh"))
        say(started, f"dbt build --full-refresh: {results['full_build_s']:.1f} s")
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        one_day = day_vars(yesterday, yesterday + timedelta(days=1))
        results["one_day_s"] = timed(lambda: dbt("build", "--select", "tag:daily", dbt_vars=one_day))
        say(started, f"one day's incremental run ({yesterday}): {results['one_day_s']:.1f} s")
        results["settle_s"] = settle(client, started)
        results["trend"] = trend(client, args.rounds, started)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=2))
        say(started, f"wrote {args.out / 'results.json'}")
    finally:
        stack.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
