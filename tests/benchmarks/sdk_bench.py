"""Benchmark: the SDKs (issue 8), side by side with PostHog's in the same run against the same capture API.

    .venv/bin/python -m tests.benchmarks.sdk_bench             # make bench-sdk: 20,000 events a round, 3 rounds
    .venv/bin/python -m tests.benchmarks.sdk_bench --events 5000 --rounds 1

On a stack of its own (tests/support/stack.py), each round, alternating the order:

1. Python, accepted: how many events/s capture() takes from the host thread (the SDK's thread is sending
   meanwhile, as in an app), for clickpath-sdk and posthog (pinned in the dev extras), both gzip, batches of
   100, 0.5 s flush interval, a queue large enough that nothing is dropped;
2. Python, delivered: events/s from the first capture() until flush() returned, i.e. until capture answered
   200 for every batch; then ClickHouse is asked whether every event is stored once (uniqExact(uuid)).
3. Web: the script-tag bundle's size gzipped (gzip -9), beside posthog-js's published bundles from
   tests/compat/node_modules.

Results go to --out (results.json, results.md). Nothing here asserts on timings: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import posthog
from clickpath import Client

from tests.benchmarks import machine
from tests.support.ingest import Pipeline, Project, consumed
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / ".clickpath" / "reports" / "sdk-bench"
WEB_BUNDLES = {
    "clickpath-web (script tag, IIFE)": ROOT / "sdks/web/dist/clickpath.iife.js",
    "clickpath-web (ESM)": ROOT / "sdks/web/dist/clickpath.mjs",
}
POSTHOG_JS = ROOT / "tests/compat/node_modules/posthog-js"
POSTHOG_BUNDLES = {  # what a <script> tag loads: the core (remote config pulls the rest), and all-in-one
    "array.js": "posthog-js (array.js, the snippet's core bundle)",
    "array.full.js": "posthog-js (array.full.js, everything bundled)",
}
PROPERTIES = {"plan": "pro", "amount": 42, "path": "/checkout", "items": ["a", "b"]}


@dataclass
class Round:
    sdk: str
    events: int
    accepted_per_s: float
    delivered_per_s: float
    stored: int


class Sdk:
    """One SDK behind the same three calls."""

    def __init__(self, name: str, make: Callable[[], Any], capture: Callable[[Any, int], Any]) -> None:
        self.name, self.make, self.capture = name, make, capture


def sdks(host: str, key: str, events: int) -> list[Sdk]:
    queue = events + 1  # nothing dropped: the benchmark measures throughput, not the bound
    return [
        Sdk(
            f"clickpath-sdk {version('clickpath-sdk')}",
            lambda: Client(key, host, flush_at=100, flush_interval=0.5, max_queue_size=queue),
            lambda client, i: client.capture("bench order", f"user-{i % 100}", PROPERTIES),
        ),
        Sdk(
            f"posthog {version('posthog')}",
            lambda: posthog.Posthog(key, host=host, gzip=True, flush_at=100, flush_interval=0.5, max_queue_size=queue),
            lambda client, i: client.capture("bench order", distinct_id=f"user-{i % 100}", properties=PROPERTIES),
        ),
    ]


def measure(sdk: Sdk, events: int) -> tuple[float, float]:
    client = sdk.make()
    started = time.perf_counter()
    for i in range(events):
        sdk.capture(client, i)
    accepted = time.perf_counter() - started
    client.flush()
    delivered = time.perf_counter() - started
    client.shutdown()
    return events / accepted, events / delivered


def stored(pipeline: Pipeline, project: Project) -> int:
    consumed(pipeline.settings, timeout_s=120)
    client = pipeline.clickhouse()
    try:
        sql = "SELECT uniqExact(uuid) FROM events WHERE project_id = {p:UInt64}"
        return int(client.query(sql, parameters={"p": project.id}).result_rows[0][0])
    finally:
        client.close()


def python_rounds(pipeline: Pipeline, events: int, rounds: int, progress: Callable[[str], None]) -> list[Round]:
    results = []
    for n in range(rounds):
        order = [0, 1] if n % 2 == 0 else [1, 0]
        for index in order:
            project = pipeline.new_project()
            sdk = sdks(pipeline.capture_url, project.key, events)[index]
            accepted, delivered = measure(sdk, events)
            results.append(Round(sdk.name, events, accepted, delivered, stored(pipeline, project)))
            progress(f"round {n + 1} {sdk.name}: {accepted:,.0f} accepted/s, {delivered:,.0f} delivered/s")
    return results


def web_sizes() -> list[dict[str, Any]]:
    bundles = dict(WEB_BUNDLES)
    posthog_version = json.loads((POSTHOG_JS / "package.json").read_text())["version"]
    bundles |= {f"{label} {posthog_version}": POSTHOG_JS / "dist" / name for name, label in POSTHOG_BUNDLES.items()}
    rows = []
    for label, path in bundles.items():
        raw = path.read_bytes()
        rows.append({"bundle": label, "bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, compresslevel=9))})
    return rows


def report(rounds: list[Round], sizes: list[dict[str, Any]], context: dict[str, Any]) -> str:
    lines = [
        f"Machine: {context['machine']['cpus']} cores ({context['machine']['cpu']}), load before: {context['load']}; "
        f"code: {context['code']}",
        "",
        "| Python SDK | events/round | capture() accepted, events/s (median) | delivered, events/s (median) "
        "| stored once |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for sdk in dict.fromkeys(r.sdk for r in rounds):
        mine = [r for r in rounds if r.sdk == sdk]
        accepted = statistics.median(r.accepted_per_s for r in mine)
        delivered = statistics.median(r.delivered_per_s for r in mine)
        once = all(r.stored == r.events for r in mine)
        lines.append(f"| {sdk} | {mine[0].events:,} | {accepted:,.0f} | {delivered:,.0f} | {'yes' if once else 'NO'} |")
    lines += ["", "| Web bundle | bytes | gzipped (-9) |", "| --- | ---: | ---: |"]
    lines += [f"| {s['bundle']} | {s['bytes']:,} | {s['gzip_bytes']:,} |" for s in sizes]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    def progress(message: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)

    sizes = web_sizes()
    context = {
        "machine": machine.describe(),
        "load": machine.warn_if_busy(progress),
        "code": machine.code_version("sdks"),
    }
    stack = Stack()
    try:
        progress("starting a stack of its own")
        stack.up()
        rounds = python_rounds(Pipeline(stack.settings), args.events, args.rounds, progress)
    finally:
        stack.remove()
    text = report(rounds, sizes, context)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(text)
    results = {"context": context, "python": [asdict(r) for r in rounds], "web": sizes}
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    print(text)


if __name__ == "__main__":
    main()
