"""Benchmark of consumer scale-out on one machine: one consumer process against three in one group.

    .venv/bin/python -m tests.benchmarks.scale_out_bench                    # make bench-scale-out
    .venv/bin/python -m tests.benchmarks.scale_out_bench --events 200000    # quicker

On a stack of its own (no demo traffic): for each round, a fresh 12-partition topic and group, --events
stamped events produced into it first (the ingest benchmark's shop-like events, 1.1 KB each), then N
`python -m ingest.consumer` processes started on it, and the time until the group has committed every
offset. Rounds alternate 1 and 3 consumers. The rate is counted from the group's first commit (processes
starting and joining are left out) to its last. Results to --out as results.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from infra.settings import Settings
from ingest.lag import partition_lag
from tests.benchmarks import machine
from tests.benchmarks.ingest import broker, traffic
from tests.benchmarks.models_bench import say
from tests.support.consumers import Consumers, environment
from tests.support.ingest import Pipeline
from tests.support.stack import Stack

DEFAULT_OUT = Path(".clickpath/reports/scale-out-bench")
PARTITIONS = 12
POLL_S = 0.2
WAIT_S = 900


def committed(settings: Settings) -> int:
    return sum(
        max(offset, 0) for _, offset, _ in partition_lag(settings, settings.kafka_events_topic, settings.consumer_group)
    )


def drain(stack: Stack, settings: Settings, consumers: int, count: int, logs: Path) -> dict[str, Any]:
    """Start the consumers on the filled topic; the seconds from the first commit to the last."""
    group = Consumers(environment(stack.env, settings), logs)
    started = time.monotonic()
    first: tuple[float, int] | None = None
    try:
        for number in range(consumers):
            group.start(number)
        while (done := committed(settings)) < count:
            if first is None and done > 0:
                first = (time.monotonic(), done)
            if time.monotonic() - started > WAIT_S:
                raise RuntimeError(f"{consumers} consumer(s) stored {done} of {count} in {WAIT_S} s: see {logs}")
            time.sleep(POLL_S)
        ended = time.monotonic()
    finally:
        group.stop_all()
    first = first or (started, 0)
    return {"consumers": consumers, "events_per_s": (count - first[1]) / (ended - first[0]), "total_s": ended - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (1 consumer, 3 consumers), alternating")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    clock = time.monotonic()
    stack = Stack(extra_env={"CLICKPATH_DEMO_EVENTS": "0"})
    logs = Path(tempfile.mkdtemp(prefix="scale-out-bench-"))
    try:
        results: dict[str, Any] = {"machine": machine.describe(), "load_before": machine.warn_if_busy(print)}
        results["code"] = machine.code_version("ingest", "tests/benchmarks")
        say(clock, f"bringing up a stack of its own under {stack.home}")
        stack.up()
        project = Pipeline(stack.settings).new_project()
        runs = []
        for index, consumers in enumerate([1, 3] * args.rounds):
            name = f"scale_out_bench_{index}"
            settings = stack.settings.model_copy(
                update={"kafka_events_topic": name, "kafka_dlq_topic": f"{name}_dlq", "consumer_group": f"{name}-group"}
            )
            broker.create_topic(settings, name, PARTITIONS)
            volume = traffic.Volume(project.id, seed=100 + index, token=project.key)
            produced = broker.produce(settings, name, volume.values(0, args.events))
            if produced.acknowledged != args.events:
                raise RuntimeError(
                    f"only {produced.acknowledged} of {args.events} reached Kafka: {produced.first_error}"
                )
            run = drain(stack, settings, consumers, args.events, logs)
            runs.append(run)
            say(clock, f"round {index}: {consumers} consumer(s): {run['events_per_s']:,.0f} events/s")
        rates = {n: statistics.median(r["events_per_s"] for r in runs if r["consumers"] == n) for n in (1, 3)}
        results |= {"events": args.events, "partitions": PARTITIONS, "runs": runs, "median_events_per_s": rates}
        results["three_over_one"] = rates[3] / rates[1]
        results["load_after"] = machine.load()
        say(clock, f"1 consumer {rates[1]:,.0f}/s, 3 consumers {rates[3]:,.0f}/s: {results['three_over_one']:.2f}×")
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=2))
        say(clock, f"wrote {args.out / 'results.json'}")
    finally:
        stack.remove()
        shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    main()
