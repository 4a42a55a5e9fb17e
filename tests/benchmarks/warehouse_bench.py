"""Benchmark: the embedded ClickHouse server over HTTP vs chdb in this process, side by side in one run.

    .venv/bin/python -m tests.benchmarks.warehouse_bench                     # full run (make bench-warehouse)
    .venv/bin/python -m tests.benchmarks.warehouse_bench --rows 100000 --group-rows 1000000 --rounds 2

Measures (1) inserting narrow event rows through clickhouse-connect over HTTP (lz4 and plain) and through
its in-process chdb client, plus the same Native bytes sent without a client; (2) GROUP BYs over a big
table loaded identically on both engines; (3) SELECT 1 round trips. The server runs as a child process on
its own data directory; this process opens its own engine on another. Results go to --out as
results.json, results.md and chart.png. Nothing here asserts on timings: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import shutil
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from tests.benchmarks import machine
from tests.benchmarks.warehouse import report, steps
from tests.benchmarks.warehouse.data import build_payload
from tests.benchmarks.warehouse.measure import Progress, Results
from tests.benchmarks.warehouse.sides import Sides

DEFAULT_OUT = Path(".clickpath/reports/warehouse-bench")
STEPS = ("insert", "group-by", "latency")
PAYLOADS = {"dataframe": steps.DATAFRAME, "columns": steps.COLUMN_LISTS, "native": steps.NATIVE_BODY}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.warehouse_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per insert (default: %(default)s)")
    parser.add_argument("--group-rows", type=int, default=10_000_000, help="rows in the GROUP BY table")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per measurement (default: %(default)s)")
    parser.add_argument("--latency-queries", type=int, default=1000, help="timed SELECT 1 per probe and round")
    parser.add_argument("--latency-warmup", type=int, default=100, help="untimed SELECT 1 before each batch")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory (default: %(default)s)")
    parser.add_argument("--work-dir", type=Path, help="where both data directories go (default: a new temp dir)")
    parser.add_argument("--keep-data", action="store_true", help="leave the data directories in place")
    parser.add_argument("--steps", default=",".join(STEPS), help="comma-separated subset of: " + ", ".join(STEPS))
    parser.add_argument(
        "--payloads", default=",".join(PAYLOADS), help="insert payloads, a subset of: " + ", ".join(PAYLOADS)
    )
    args = parser.parse_args(argv)
    args.steps = _subset(parser, "--steps", args.steps, STEPS)
    args.payloads = [PAYLOADS[name] for name in _subset(parser, "--payloads", args.payloads, tuple(PAYLOADS))]
    return args


def _subset(parser: argparse.ArgumentParser, option: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    chosen = [item.strip() for item in value.split(",") if item.strip()]
    unknown = set(chosen) - set(allowed)
    if unknown:
        parser.error(f"{option}: unknown {', '.join(sorted(unknown))} (choose from {', '.join(allowed)})")
    return chosen


def run_steps(args: argparse.Namespace, sides: Sides, results: Results, notes: list[str], progress: Progress) -> None:
    if "insert" in args.steps:
        progress(f"insert: building {args.rows:,} event rows (DataFrame and Python column lists)")
        payload = build_payload(args.rows)
        gc.collect()
        gc.freeze()  # the payload lives all run: keep the collector from walking its millions of objects each time
        notes += steps.measure_inserts(sides, payload, args.payloads, args.rounds, results, progress)
    if "group-by" in args.steps:
        progress(f"group by: loading {args.group_rows:,} rows on both engines")
        steps.load_big_table(sides, args.group_rows, results, progress)
        notes += steps.measure_group_by(sides, args.rounds, results, progress)
    if "latency" in args.steps:
        steps.measure_latency(sides, args.latency_queries, args.latency_warmup, args.rounds, results, progress)


def environment(sides: Sides) -> dict[str, Any]:
    return {
        **machine.describe(),
        "server code": machine.code_version("infra/warehouse"),
        "clickhouse": sides.server_client.command("SELECT version()"),
        "chdb-core": version("chdb-core"),
        "clickhouse-connect": version("clickhouse-connect"),
    }


def write_report(out: Path, results: Results, header: dict[str, Any], notes: list[str]) -> str:
    text = report.markdown(results, header, notes)
    (out / "results.md").write_text(text)
    report.write_json(out / "results.json", results, header, notes)
    title = f"Embedded ClickHouse over HTTP vs chdb in-process — {header['started']}, {os.cpu_count()} CPUs"
    report.draw_chart(out / "chart.png", results, title)
    return text


def _remove(work_dir: Path, keep: bool) -> None:
    if not keep:
        shutil.rmtree(work_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    progress = Progress()
    args.out.mkdir(parents=True, exist_ok=True)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="warehouse-bench-"))
    started, clock = dt.datetime.now().astimezone().isoformat(timespec="seconds"), time.monotonic()
    load_before = machine.warn_if_busy(progress)
    progress(f"starting the server and the in-process engine under {work_dir}")
    try:
        sides = Sides.open(work_dir, args.out / "server.log")
    except BaseException:
        _remove(work_dir, args.keep_data)
        raise
    results, notes = Results(), []
    header: dict[str, Any] = {"started": started, "load average before": load_before}
    try:
        header.update(environment(sides))
        header["config"] = {k: v if not isinstance(v, Path) else str(v) for k, v in vars(args).items()}
        run_steps(args, sides, results, notes, progress)
    except BaseException as exc:  # still report what was measured before the failure or Ctrl-C
        notes.append(f"run aborted: {type(exc).__name__}: {exc}")
        raise
    finally:
        sides.close()
        _remove(work_dir, args.keep_data)
        header["duration_s"] = round(time.monotonic() - clock, 1)
        header["load average after (includes this run)"] = machine.load()
        summary = write_report(args.out, results, header, notes)
        print("\n" + summary, flush=True)
        progress(f"wrote {args.out / 'results.md'}, results.json, chart.png and server.log")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
