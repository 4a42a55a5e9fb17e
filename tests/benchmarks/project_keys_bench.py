"""Benchmark: resolving a project write key through the Redis cache vs straight from PostgreSQL (issue 4).

    .venv/bin/python -m tests.benchmarks.project_keys_bench                     # own stack, 7 rounds x 2000 calls
    .venv/bin/python -m tests.benchmarks.project_keys_bench --lookups 500 --rounds 3
    .venv/bin/python -m tests.benchmarks.project_keys_bench --home .clickpath --offset 0   # the running `make up`

Capture resolves the write key (phc_…) of every request it receives. This measures the two ways the API
does it, side by side in one run: `ProjectKeys.resolve` with the key already in Redis (warm cache: one
GET) and `ProjectKeys.lookup` (a pooled SQLAlchemy session and one SELECT, with the pool's pre-ping, as
the app is configured). Each round times --lookups calls of each path, one call at a time, after a short
untimed warm-up; the order of the two paths alternates between rounds so drift does not always favour
one. Every answer is checked against the project's id: a wrong answer is counted as an error, never
timed.

By default the benchmark brings up a stack of its own (its own home and ports, tests/support/stack.py),
creates an account with a project in it, and takes the stack down at the end. With --home and --offset
it uses a stack that is already running instead and leaves it running (the benchmark's account, named
bench-…@example.com, stays in it). Results go to --out as results.json, results.md and chart.png.
Nothing here asserts on timings: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure  # pyplot-free: draws straight to a file, no display backend involved
from sqlalchemy import text

from api import accounts, db
from api.project_keys import ProjectKeys
from infra import clients
from infra.settings import Settings
from tests.benchmarks import machine
from tests.benchmarks.warehouse.measure import Progress, percentile, round_order
from tests.support.stack import Stack

DEFAULT_OUT = Path(".clickpath/reports/project-keys-bench")
CACHE, POSTGRES = "cache", "postgres"
DESCRIPTIONS = {
    CACHE: "ProjectKeys.resolve, key in Redis (warm)",
    POSTGRES: "ProjectKeys.lookup, PostgreSQL",
}
COLORS = {CACHE: "tab:orange", POSTGRES: "tab:blue"}
AIM = 5.0  # the cache at least 5× faster than PostgreSQL at p50


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.project_keys_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--lookups", type=int, default=2000, help="timed calls per path and round (%(default)s)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds, alternating the order (%(default)s)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed calls before each timed batch")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory (default: %(default)s)")
    parser.add_argument("--home", type=Path, help="use the running stack with this CLICKPATH_HOME (with --offset)")
    parser.add_argument("--offset", type=int, help="that stack's CLICKPATH_PORT_OFFSET (with --home)")
    args = parser.parse_args(argv)
    if (args.home is None) != (args.offset is None):
        parser.error("--home and --offset go together (both name a running stack; neither: a stack of its own)")
    if args.lookups < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--lookups and --rounds must be at least 1, --warmup at least 0")
    return args


# -- measuring -----------------------------------------------------------------------------------------------


@dataclass
class Series:
    """One way of resolving the key: its per-round percentiles, all its samples (ms) and its wrong answers."""

    name: str
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    samples: list[float] = field(default_factory=list)
    errors: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "description": DESCRIPTIONS[self.name],
            "p50_ms": statistics.median(self.p50),
            "p50_ms_min": min(self.p50),
            "p50_ms_max": max(self.p50),
            "p99_ms": statistics.median(self.p99),
            "p99_ms_min": min(self.p99),
            "p99_ms_max": max(self.p99),
            "all_samples_p50_ms": percentile(self.samples, 0.50),
            "all_samples_p99_ms": percentile(self.samples, 0.99),
            "mean_ms": statistics.fmean(self.samples),
            "samples": len(self.samples),
            "wrong_answers": self.errors,
        }


def timed_batch(call: Callable[[], int | None], expected: int, count: int, warmup: int) -> tuple[list[float], int]:
    """Milliseconds per call for `count` calls, and how many answered something else than `expected`."""
    wrong = sum(call() != expected for _ in range(warmup))
    gc.collect()  # no collection owed by earlier work lands inside the batch
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        answer = call()
        samples.append((time.perf_counter_ns() - start) / 1e6)
        wrong += answer != expected
    return samples, wrong


def measure(keys: ProjectKeys, key: str, project_id: int, args: argparse.Namespace, progress: Progress) -> dict:
    calls = {CACHE: lambda: keys.resolve(key), POSTGRES: lambda: keys.lookup(key)}
    paths = {name: Series(name) for name in calls}
    rounds = []
    for index in range(args.rounds):
        order = round_order([CACHE, POSTGRES], index)
        for name in order:
            if name == CACHE:  # a fresh entry, so it cannot expire during the batch (its TTL is a minute)
                keys.forget([key])
                keys.resolve(key)
            samples, wrong = timed_batch(calls[name], project_id, args.lookups, args.warmup)
            path = paths[name]
            path.p50.append(percentile(samples, 0.50))
            path.p99.append(percentile(samples, 0.99))
            path.samples += samples
            path.errors += wrong
        cache, postgres = paths[CACHE], paths[POSTGRES]
        ratio = postgres.p50[-1] / cache.p50[-1]
        rounds.append(
            {
                "round": index + 1,
                "order": order,
                **{
                    f"{name}_{metric}_ms": getattr(paths[name], metric)[-1]
                    for name in calls
                    for metric in ("p50", "p99")
                },
                "ratio_p50": ratio,
            }
        )
        progress(
            f"round {index + 1}/{args.rounds} ({order[0]} first): "
            f"cache p50 {cache.p50[-1]:.3f} ms, p99 {cache.p99[-1]:.3f} ms | "
            f"postgres p50 {postgres.p50[-1]:.3f} ms, p99 {postgres.p99[-1]:.3f} ms | "
            f"postgres ÷ cache at p50 {ratio:.1f}×"
        )
    return {"paths": paths, "rounds": rounds}


# -- the stack and the project -------------------------------------------------------------------------------


def create_project(settings: Settings) -> tuple[int, str]:
    """A new account (owner, organization, project) on the stack's PostgreSQL: the project's id and write key."""
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    with db.sessions(settings)() as session:
        account = accounts.create_account(
            session, email, uuid.uuid4().hex, "Benchmark", "Benchmarks", "Project keys bench"
        )
        key = accounts.active_project_key(session, account.project.id)
        session.commit()
        assert key is not None, "a new project has a write key"
        return account.project.id, key.key


def environment(settings: Settings) -> dict[str, Any]:
    with db.sessions(settings)() as session:
        postgres = session.scalar(text("SHOW server_version"))
    redis_info = clients.redis_client(settings).info("server")
    return {
        **machine.describe(),
        "code": machine.code_version("api/project_keys.py", "api/db.py"),
        "postgresql": postgres,
        "redis": redis_info.get("redis_version"),
        "redis-py": version("redis"),
        "sqlalchemy": version("sqlalchemy"),
        "psycopg": version("psycopg"),
        "project_key_cache_s": settings.project_key_cache_s,
    }


# -- reporting -----------------------------------------------------------------------------------------------


def summarize(measured: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Series] = measured["paths"]
    cache, postgres = paths[CACHE].summary(), paths[POSTGRES].summary()
    ratio_p50 = postgres["p50_ms"] / cache["p50_ms"]
    per_round = [r["ratio_p50"] for r in measured["rounds"]]
    return {
        CACHE: cache,
        POSTGRES: postgres,
        "ratio_p50": ratio_p50,
        "ratio_p50_min": min(per_round),
        "ratio_p50_max": max(per_round),
        "ratio_p99": postgres["p99_ms"] / cache["p99_ms"],
        "aim": f"cache at least {AIM:g}× faster than PostgreSQL at p50",
        "aim_met": ratio_p50 >= AIM,
    }


def markdown(summary: dict[str, Any], rounds: list[dict[str, Any]], header: dict[str, Any]) -> str:
    lines = ["# Project key resolution: Redis cache vs PostgreSQL", ""]
    lines += [f"- {key}: {value}" for key, value in header.items()]
    lines += ["", "## Latency per call (ms; medians of the rounds' percentiles, min–max over rounds)", ""]
    rows = []
    for name in (CACHE, POSTGRES):
        s = summary[name]
        rows.append(
            [
                name,
                s["description"],
                f"{s['p50_ms']:.3f}",
                f"{s['p50_ms_min']:.3f}–{s['p50_ms_max']:.3f}",
                f"{s['p99_ms']:.3f}",
                f"{s['p99_ms_min']:.3f}–{s['p99_ms_max']:.3f}",
                f"{s['mean_ms']:.3f}",
                f"{s['samples']:,}",
                str(s["wrong_answers"]),
            ]
        )
    rows.append(
        [
            "**postgres ÷ cache**",
            "",
            f"**{summary['ratio_p50']:.1f}×**",
            f"{summary['ratio_p50_min']:.1f}–{summary['ratio_p50_max']:.1f}× (per round)",
            f"{summary['ratio_p99']:.1f}×",
            "",
            "",
            "",
            "",
        ]
    )
    lines += _table(["path", "what", "p50", "p50 range", "p99", "p99 range", "mean", "calls", "wrong"], rows)
    met = "met" if summary["aim_met"] else "NOT met"
    lines += ["", f"Aim: {summary['aim']}: **{met}** ({summary['ratio_p50']:.1f}×).", "", "## Rounds", ""]
    lines += _table(
        ["round", "first", "cache p50", "cache p99", "postgres p50", "postgres p99", "postgres ÷ cache p50"],
        (
            [
                str(r["round"]),
                r["order"][0],
                f"{r['cache_p50_ms']:.3f}",
                f"{r['cache_p99_ms']:.3f}",
                f"{r['postgres_p50_ms']:.3f}",
                f"{r['postgres_p99_ms']:.3f}",
                f"{r['ratio_p50']:.1f}×",
            ]
            for r in rounds
        ),
    )
    return "\n".join(lines) + "\n"


def _table(head: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def draw_chart(path: Path, measured: dict[str, Any], title: str) -> None:
    """Left: each round's p50 (solid) and p99 (dashed) per path. Right: every call's latency, as a CDF."""
    paths: dict[str, Series] = measured["paths"]
    figure = Figure(figsize=(12, 4.8))
    by_round, spread = figure.subplots(1, 2)
    for name, p in paths.items():
        numbers = range(1, len(p.p50) + 1)
        by_round.plot(numbers, p.p50, marker="o", color=COLORS[name], label=f"{name} p50")
        by_round.plot(numbers, p.p99, marker="o", linestyle="--", alpha=0.6, color=COLORS[name], label=f"{name} p99")
        ordered = sorted(p.samples)
        spread.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], color=COLORS[name], label=name)
        for fraction in (0.50, 0.99):
            spread.axvline(percentile(p.samples, fraction), color=COLORS[name], linestyle=":", linewidth=1)
    by_round.set(yscale="log", xlabel="round", ylabel="ms per call (log)", title="per round: p50 and p99")
    by_round.set_xticks(list(range(1, len(paths[CACHE].p50) + 1)))
    spread.set(
        xscale="log", xlabel="ms per call (log)", ylabel="fraction of calls", title="all calls (dotted: p50, p99)"
    )
    for axis, where in ((by_round, "center right"), (spread, "lower right")):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8, loc=where)
    figure.suptitle(title, x=0.01, ha="left", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def write_report(out: Path, measured: dict[str, Any], header: dict[str, Any]) -> str:
    summary = summarize(measured)
    report_text = markdown(summary, measured["rounds"], header)
    (out / "results.md").write_text(report_text)
    document = {
        **header,
        "summary": summary,
        "rounds": measured["rounds"],
        "per_path": {
            name: {k: v for k, v in asdict(p).items() if k != "samples"} for name, p in measured["paths"].items()
        },
    }
    (out / "results.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    draw_chart(out / "chart.png", measured, f"Project key resolution: Redis cache vs PostgreSQL — {header['started']}")
    return report_text


# -- main ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    progress = Progress()
    args.out.mkdir(parents=True, exist_ok=True)
    started, clock = dt.datetime.now().astimezone().isoformat(timespec="seconds"), time.monotonic()
    load_before = machine.warn_if_busy(progress)
    own = args.home is None
    stack = Stack() if own else None
    if stack is not None:
        progress(f"bringing up a stack of its own under {stack.home} (port offset {stack.offset})")
        try:
            stack.up()
        except BaseException:
            _take_down(stack, progress)
            raise
        settings = stack.settings
    else:
        settings = Settings(home=args.home, port_offset=args.offset)
        progress(f"using the running stack at {settings.home_dir} (port offset {settings.port_offset})")
    try:
        project_id, key = create_project(settings)
        keys = ProjectKeys(settings)
        progress(f"project {project_id} with key {key[:10]}…; {args.rounds} rounds of {args.lookups} calls per path")
        header: dict[str, Any] = {
            "started": started,
            "stack": "its own (brought up and taken down by the run)" if own else f"running, {settings.home_dir}",
            "load average before": load_before,
            **environment(settings),
            "config": f"--lookups {args.lookups} --rounds {args.rounds} --warmup {args.warmup}",
        }
        measured = measure(keys, key, project_id, args, progress)
    finally:
        if stack is not None:
            _take_down(stack, progress)
    header["duration_s"] = round(time.monotonic() - clock, 1)
    header["load average after (includes this run)"] = machine.load()
    summary = write_report(args.out, measured, header)
    print("\n" + summary, flush=True)
    progress(f"wrote {args.out / 'results.md'}, results.json and chart.png")
    return 0


def _take_down(stack: Stack, progress: Progress) -> None:
    progress("taking the stack down")
    stack.remove()


if __name__ == "__main__":
    raise SystemExit(main())
