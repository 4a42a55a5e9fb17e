"""Benchmark: each stage of ingestion beside the baseline it should approach, side by side in one run.

    .venv/bin/python -m tests.benchmarks.ingest_bench             # full run (make bench-ingest), about 6 minutes
    .venv/bin/python -m tests.benchmarks.ingest_bench --quick     # about a minute, for development
    .venv/bin/python -m tests.benchmarks.ingest_bench --seconds 5 --events 300000 --profile

On a stack of its own (tests/support/stack.py), with a project per step:

1. batch capture: wrk (-t1 -c32) POSTing one body of 100 posthog-js-like events to /capture → events/s,
   against a Python loop producing the same stamped events (ingest.events.stamp) with capture's producer
   settings until --events × 3 are acknowledged (a few seconds: shorter runs varied by a third);
2. single-event capture against a no-op route (tests/benchmarks/ingest/noop_app.py: the capture app plus
   POST /noop) served by a second uvicorn with capture's command line → requests/s, both with wrk at 128
   connections (-t1 -c128), where both fill the machine; then capture's latency
   at 500 requests/s with Locust (FastHttpUser, constant_throughput);
3. the real ingest.consumer.EventConsumer, in this process set up as its main() sets itself up, reading
   --events stamped events from a topic of its own (6 partitions) → events/s and inserts/s, against
   client.insert of the same events (uuids of their own) into the same events table, so that the same
   views run, in batches of the consumer's size (100,000) built first and inserted back to back; --rounds
   rounds, alternating;
4. freshness: 50 requests of 100 events a second to capture, ClickHouse polled every 50 ms for the
   requests whose events are all stored.

The stack's consumer is stopped for steps 1–3 (it would compete for the two cores with what is measured),
its group moved to the end of the events topic, and started again for step 4; Dagster, which has no part
in ingestion, is stopped for the whole run. The stack's capture rate
limit is raised so that the throughput runs are never answered 429 (the limit's Redis call still runs).
Every measurement records the CPU of the processes involved: the one near 100% of a core is the limit.
Results go to --out as results.json, results.md and chart.png (a full run also copies the chart to
docs/img/ingest-bench.png). Nothing here asserts on timings: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import confluent_kafka

from infra import clients
from infra.settings import Settings
from infra.stack import kafka
from infra.stack.supervisor import Supervisor
from tests.benchmarks import machine
from tests.benchmarks.ingest import broker, report, steps
from tests.benchmarks.ingest.cpu import CpuMeter
from tests.benchmarks.ingest.freshness import freshness
from tests.benchmarks.ingest.steps import Bench
from tests.benchmarks.warehouse.measure import Progress
from tests.support.ingest import Pipeline
from tests.support.stack import Stack

DEFAULT_OUT = Path(".clickpath/reports/ingest-bench")
DOCS_CHART = Path("docs/img/ingest-bench.png")
STEPS = ("batch", "single", "consumer", "freshness")
RATE_LIMIT = "1000000000/minute"
DAGSTER = ("dagster", "dagster-daemon")  # the stack's programs (infra/stack/dagster.py)
QUICK = {"seconds": 3.0, "warmup": 1.0, "rounds": 1, "locust_seconds": 6.0, "freshness_seconds": 6.0}
QUICK |= {"events": 60_000, "batch_events": 20_000, "producer_events": 180_000}
FULL = {"seconds": 15.0, "warmup": 5.0, "rounds": 3, "events": 1_000_000, "producer_events": 1_500_000}
FULL |= {"batch_events": Settings.model_fields["consumer_batch_events"].default}  # what the consumer runs with


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.ingest_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, help="each wrk run (default 15; Locust and freshness: 10 more)")
    parser.add_argument("--events", type=int, help="events through the consumer (default 1,000,000)")
    parser.add_argument("--producer-events", type=int, help="events the raw producer sends (default 1,500,000)")
    parser.add_argument("--rounds", type=int, help="rounds per side in steps 1-3, alternating the order (default 3)")
    parser.add_argument("--warmup", type=float, help="seconds of untimed wrk before each side (default 5; batch: 2×)")
    parser.add_argument("--locust-seconds", type=float, help="the fixed-rate latency run (default --seconds + 10)")
    parser.add_argument("--freshness-seconds", type=float, help="the freshness run (default --seconds + 10)")
    parser.add_argument(
        "--freshness-rate", type=float, default=50, help="requests of 100 events a second (%(default)s)"
    )
    parser.add_argument(
        "--batch-events", type=int, help="consumer batch and direct insert size (default: the consumer's own)"
    )
    parser.add_argument("--quick", action="store_true", help="about a minute, for development")
    parser.add_argument("--profile", action="store_true", help="py-spy capture, the no-op server and the consumer")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset of: " + ", ".join(STEPS))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory (default: %(default)s)")
    args = parser.parse_args(argv)
    _defaults(args)
    args.steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    if set(args.steps) - set(STEPS):
        parser.error(f"--steps: choose from {', '.join(STEPS)}")
    if args.seconds <= 0 or args.events < args.batch_events or args.rounds < 1:
        parser.error("--seconds must be positive, --events at least --batch-events, --rounds at least 1")
    return args


def _defaults(args: argparse.Namespace) -> None:
    """Explicit options win; then --quick's; then the full run's."""
    for defaults in (QUICK if args.quick else {}, FULL):
        for name, value in defaults.items():
            if getattr(args, name) is None:
                setattr(args, name, value)
    for name in ("locust_seconds", "freshness_seconds"):
        if getattr(args, name) is None:
            setattr(args, name, args.seconds + 10)


# -- the run -------------------------------------------------------------------------------------------------


def run_steps(bench: Bench, loads: dict[str, str]) -> dict[str, Any]:
    pipeline, results = Pipeline(bench.settings), {}
    measured: dict[str, Callable[[Bench, Any], dict[str, Any]]] = {
        "batch": steps.batch_capture,
        "single": steps.single_capture,
        "consumer": steps.consumer_vs_insert,
    }
    # Dagster has no part in ingestion, and its code server reloads now and then, taking a third of a core for
    # seconds: it landed on one side of a round at random
    stopped = steps.supervisorctl(bench.settings, "stop", "consumer", *DAGSTER).splitlines()
    bench.progress(f"stopping the stack's consumer and Dagster: {'; '.join(stopped)}")
    for name in (step for step in STEPS[:-1] if step in bench.args.steps):
        loads[f"before {name}"] = machine.load()
        results[name] = _guarded(bench, name, lambda step=name: measured[step](bench, pipeline.new_project()))
    if "freshness" in bench.args.steps:
        _restart_consumer(bench)
        loads["before freshness"] = machine.load()
        results["freshness"] = _guarded(bench, "freshness", lambda: freshness(bench, pipeline.new_project()))
    loads["after the steps"] = machine.load()
    return {name: value for name, value in results.items() if value is not None}


def _guarded(bench: Bench, name: str, step: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """A failed step is reported and the others still run: a partial report beats none."""
    try:
        return step()
    except Exception as exc:  # any failure of a step ends up in the report
        bench.progress(f"{name} failed: {type(exc).__name__}: {exc}")
        bench.notes.append(f"{name} failed: {type(exc).__name__}: {exc}")
        traceback.print_exc()
        return None


def _restart_consumer(bench: Bench) -> None:
    """The stack's consumer back, at the end of the events topic, in the group before freshness is timed."""
    settings = bench.settings
    ends = broker.skip_to_end(settings, settings.consumer_group, settings.kafka_events_topic)
    started = steps.supervisorctl(settings, "start", "consumer")
    bench.progress(f"skipped the stack's group past {sum(ends.values()):,} events; {started}")
    deadline = time.monotonic() + 60
    admin = clients.kafka_admin(settings)
    while time.monotonic() < deadline:
        group = admin.describe_consumer_groups([settings.consumer_group])[settings.consumer_group].result()
        if any(member.assignment.topic_partitions for member in group.members):
            break
        time.sleep(0.2)
    bench.meter.watch("consumer (stack)", steps.service_pid(bench, "consumer"))
    time.sleep(1)  # its first ingest_offsets read and fetches done before the clock starts


def bring_up(stack: Stack, progress: Progress, notes: list[str]) -> None:
    """`clickpath up`, once more after a failure: on a busy machine the consumer sometimes starts before the
    migrations made its database, and supervisord gives up on it (BACKOFF) before they are done."""
    try:
        stack.up()
    except AssertionError as exc:
        lines = str(exc).strip().splitlines()
        first_line = next((line for line in lines if "failed" in line), lines[-1]).strip()[:200]
        progress(f"clickpath up failed ({first_line}); taking the stack down and trying once more")
        notes.append(f"the first `clickpath up` failed: {first_line}")
        stack.run("down", check=False)
        stack.up()


def watch_stack(meter: CpuMeter, settings: Any) -> None:
    processes = Supervisor(settings.home_dir).processes()
    for name in ("capture", "kafka", "clickhouse", "redis", "consumer"):
        if name in processes and processes[name]["pid"]:
            meter.watch(name if name != "consumer" else "consumer (stack)", int(processes[name]["pid"]))
    meter.watch("bench (this process)", os.getpid(), children=False)  # its children are wrk, Locust, noop


def environment(settings: Any) -> dict[str, Any]:
    client = clients.clickhouse(settings, autogenerate_session_id=False)
    try:
        clickhouse = client.server_version
    finally:
        client.close()
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        **machine.describe(),
        "code": machine.code_version(
            "ingest", "infra/stack", "tests/benchmarks/ingest", "tests/benchmarks/ingest_bench.py"
        ),
        "kafka": kafka.version(),
        "clickhouse": clickhouse,
        "confluent-kafka": f"{version('confluent-kafka')} (librdkafka {confluent_kafka.libversion()[0]})",
        "uvicorn": version("uvicorn"),
        "fastapi": version("fastapi"),
        "clickhouse-connect": version("clickhouse-connect"),
        "wrk": (wrk.stdout + wrk.stderr).split("Copyright")[0].strip(),
        "locust": version("locust"),
    }


def others_running() -> list[str]:
    """Other benchmark processes on the machine: their load would be in our figures."""
    found = []
    for line in subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout.splitlines()[1:]:
        pid, _, command = line.strip().partition(" ")
        if "tests.benchmarks." in command and int(pid) != os.getpid() and "ingest_bench" not in command:
            found.append(command[:100])
    return found


def write_report(args: argparse.Namespace, results: dict[str, Any], header: dict[str, Any], bench: Bench) -> str:
    found = report.figures(results)
    text = report.markdown(found, results, header, bench.notes, bench.profiles)
    (args.out / "results.md").write_text(text)
    report.write_json(args.out / "results.json", found, results, header, bench.notes, bench.profiles)
    title = f"Clickpath ingestion, each stage beside its baseline — {header['started']}"
    title += f", load average {header['load average before']} before the run"
    report.draw_chart(args.out / "chart.png", found, title)
    if not (args.quick or args.profile) and set(args.steps) == set(STEPS):  # a headline run only
        DOCS_CHART.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.out / "chart.png", DOCS_CHART)
    return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    progress = Progress()
    args.out.mkdir(parents=True, exist_ok=True)
    started, clock = dt.datetime.now().astimezone().isoformat(timespec="seconds"), time.monotonic()
    for other in others_running():
        progress(f"warning: another benchmark is running ({other}): both sets of figures will suffer")
    load_before = machine.warn_if_busy(progress)
    # no demo traffic: `up` would send it through capture, and the consumer would still be storing it
    stack = Stack(extra_env={"CLICKPATH_CAPTURE_RATE_LIMIT": RATE_LIMIT, "CLICKPATH_DEMO_EVENTS": "0"})
    progress(f"bringing up a stack of its own under {stack.home} (port offset {stack.offset})")
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    header: dict[str, Any] = {"started": started, "load average before": load_before}
    bench = Bench(stack.settings, args, work, args.out, CpuMeter(), progress, uuid.uuid4().hex[:8])
    results: dict[str, Any] = {}
    loads: dict[str, str] = {}
    try:
        bring_up(stack, progress, bench.notes)
        watch_stack(bench.meter, stack.settings)
        header.update(environment(stack.settings))
        header["config"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        header["conditions"] = (
            "stack of its own, no demo traffic; its consumer stopped for steps 1-3 and started again for step 4; "
            "Dagster stopped; "
            f"capture rate limit {RATE_LIMIT}; load generators on the same 2 cores"
        )
        results = run_steps(bench, loads)
    except BaseException as exc:  # still report what was measured before the failure or Ctrl-C
        bench.notes.append(f"run aborted: {type(exc).__name__}: {exc}")
        raise
    finally:
        progress("taking the stack down")
        stack.remove()
        shutil.rmtree(work, ignore_errors=True)
        header["load averages during the run"] = loads
        header["duration_s"] = round(time.monotonic() - clock, 1)
        header["load average after (includes this run)"] = machine.load()
        text = write_report(args, results, header, bench)
        print("\n" + text, flush=True)
        progress(f"wrote {args.out / 'results.md'}, results.json and chart.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
