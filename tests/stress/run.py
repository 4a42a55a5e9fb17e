"""Stress tests with Locust, headless and bounded (users, rate, time), against the stack `make up` runs.

    .venv/bin/python -m tests.stress.run capture                          # make stress-capture
    .venv/bin/python -m tests.stress.run capture --users 50 --rate 400 --seconds 120
    .venv/bin/python -m tests.stress.run query                            # make stress-query

Loopback only: the targets are the local stack's ports (CLICKPATH_PORT_OFFSET applies), with the demo
project's keys from <home>/demo.json. Each run writes summary.md, results.json, chart.png and Locust's CSV
files under .clickpath/reports/stress-<target>/<UTC time>/, and prints the summary table. The capture run
then checks that every event a 200 accepted reached ClickHouse. A few more may be stored than were counted:
the requests in flight when the run time ends are dropped by Locust but may have been answered.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from infra import clients
from infra.settings import Settings, get_settings
from tests.stress import report

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# target: its Locust file and the service it loads
TARGETS = {"capture": (HERE / "capture_locustfile.py", "capture"), "query": (HERE / "query_locustfile.py", "api")}
STORED_WAIT_S = 60
console = Console(width=140)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--users", type=int, default=20, help="concurrent Locust users (default 20)")
    parser.add_argument("--rate", type=float, default=200, help="requests per second, all users together (200)")
    parser.add_argument("--seconds", type=int, default=60, help="how long the load runs (default 60)")
    parser.add_argument("--batch", type=int, default=50, help="events per batch request (default 50)")
    parser.add_argument("--out", type=Path, help="report directory (default .clickpath/reports/stress-<target>/…)")
    return parser.parse_args(argv)


def demo(settings: Settings) -> dict[str, Any]:
    path = settings.home_dir / "demo.json"
    try:
        return json.loads(path.read_text())["demo"]
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"no demo project in {path} ({exc}): run `make up` first") from None


def run_locust(args: argparse.Namespace, settings: Settings, out: Path, env: dict[str, str]) -> None:
    locustfile, service = TARGETS[args.target]
    host = f"http://127.0.0.1:{settings.port(service)}"
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host,
        "--users", str(args.users), "--spawn-rate", str(args.users), "--run-time", f"{args.seconds}s",
        "--csv", str(out / "locust"), "--csv-full-history", "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    console.print(f"{args.target}: {args.users} users, at most {args.rate:g} requests/s, {args.seconds} s → {host}")
    with (out / "locust.log").open("w") as log, Progress(console=console) as progress:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        task = progress.add_task("load", total=args.seconds)
        started = time.monotonic()
        while process.poll() is None:
            progress.update(task, completed=min(args.seconds, time.monotonic() - started))
            time.sleep(0.5)
    if process.returncode not in (0, 1):  # Locust exits 1 when any request failed: the report says which
        raise SystemExit(f"locust exited {process.returncode}; see {out / 'locust.log'}")


def stored_events(settings: Settings, project_id: int, run: str, accepted: int) -> int:
    """The events of this run ClickHouse holds, once it holds them all or STORED_WAIT_S have passed."""
    client = clients.clickhouse(settings, database=settings.clickhouse_database)
    query = (
        "SELECT count() FROM events WHERE project_id = {p:UInt64} AND received_at > now64() - INTERVAL 1 DAY "
        "AND JSONExtractString(properties, '$stress_run') = {r:String}"
    )
    deadline = time.monotonic() + STORED_WAIT_S
    try:
        while True:
            count = int(client.command(query, parameters={"p": project_id, "r": run}))
            if count >= accepted or time.monotonic() > deadline:
                return count
            time.sleep(1)
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = get_settings()
    project = demo(settings)
    run = uuid.uuid4().hex[:12]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or settings.home_dir / "reports" / f"stress-{args.target}" / stamp
    out.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "PYTHONPATH": str(REPO),
        "STRESS_PROJECT_KEY": project["project_api_key"],
        "STRESS_PERSONAL_KEY": project.get("personal_api_key", ""),
        "STRESS_PROJECT_ID": str(project["project_id"]),
        "STRESS_USER_RATE": str(args.rate / args.users),
        "STRESS_BATCH": str(args.batch),
        "STRESS_RUN": run,
        "STRESS_ACCEPTED": str(out / "accepted.txt"),
    }
    run_locust(args, settings, out, env)
    results = report.summarize(out / "locust")
    results["run"] = {"id": run, "target": args.target, "users": args.users, "rate": args.rate, "seconds": args.seconds}
    if args.target == "capture":
        accepted = int((out / "accepted.txt").read_text())
        stored = stored_events(settings, int(project["project_id"]), run, accepted)
        results["delivery"] = {"accepted_events": accepted, "stored_events": stored}
    report.write(results, out)
    console.print(report.table(results))
    console.print(f"report: {out}")
    delivery = results.get("delivery", {})
    lost = delivery.get("stored_events", 0) < delivery.get("accepted_events", 0)
    return 1 if results["total"]["failures"] or lost else 0


if __name__ == "__main__":
    sys.exit(main())
