"""Load generators run as their own processes: wrk for throughput, Locust for latency at a fixed rate."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.benchmarks.ingest.cpu import CpuMeter
from tests.benchmarks.warehouse.measure import percentile

LOCUSTFILE = Path(__file__).with_name("locustfile.py")

# wrk's own summary as one JSON line: its text output rounds and mixes units.
_WRK_SCRIPT = """
local file = assert(io.open("{body}", "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
"""


@dataclass
class WrkRun:
    url: str
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    cpu: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "requests_per_s": self.per_second}


def wrk(url: str, body: Path, seconds: float, connections: int, meter: CpuMeter | None = None) -> WrkRun:
    """`wrk -t1 -c<connections> -d<seconds>s` POSTing the file's bytes to url; CPU of the named processes meanwhile."""
    script = body.with_suffix(".lua")
    script.write_text(_WRK_SCRIPT.format(body=body))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(script), url]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        if meter:
            meter.watch("wrk", process.pid)
            meter.start()
        out, err = process.communicate(timeout=seconds + 60)
        cpu = meter.stop() if meter else {}
    if process.returncode != 0 or "WRK_JSON" not in out:
        raise RuntimeError(f"wrk exited {process.returncode}: {out}\n{err}")
    summary = json.loads(out.split("WRK_JSON", 1)[1].strip().splitlines()[0])
    return WrkRun(
        url=url,
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        non_2xx=summary["status"],
        socket_errors=summary["connect"] + summary["read"] + summary["write"] + summary["timeout"],
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        cpu=cpu,
    )


@dataclass
class LocustRun:
    rate: float
    users: int
    seconds: float
    samples: int
    failures: int
    achieved_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    locust_p50_ms: float | None
    locust_p99_ms: float | None
    cpu: dict[str, float]


def locust(
    host: str, path: str, body: Path, rate: float, users: int, seconds: float, work: Path, meter: CpuMeter
) -> LocustRun:
    """Locust headless, FastHttpUser at constant_throughput(rate / users) each; latencies after spawning ends."""
    samples_file, csv_prefix = work / "locust-samples.json", work / "locust"
    environment = {**os.environ, "BENCH_BODY": str(body), "BENCH_PATH": path, "BENCH_SAMPLES": str(samples_file)}
    environment["BENCH_USER_RATE"] = str(rate / users)
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", host,
        "-u", str(users), "-r", str(users), "-t", f"{seconds:g}s", "--csv", str(csv_prefix),
        "--reset-stats", "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "2",
    ]  # fmt: skip
    with subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        meter.watch("locust", process.pid)
        meter.start()
        out, _ = process.communicate(timeout=seconds + 120)
        cpu = meter.stop()
    if not samples_file.exists():
        raise RuntimeError(f"locust exited {process.returncode} without samples:\n{out}")
    recorded = json.loads(samples_file.read_text())
    latencies, window = recorded["latencies_ms"], recorded["window_s"]
    locust_p50, locust_p99 = _locust_csv_percentiles(Path(f"{csv_prefix}_stats.csv"))
    return LocustRun(
        rate=rate,
        users=users,
        seconds=window,
        samples=len(latencies),
        failures=recorded["failures"],
        achieved_per_s=len(latencies) / window if window else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p90_ms=percentile(latencies, 0.90),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies),
        locust_p50_ms=locust_p50,
        locust_p99_ms=locust_p99,
        cpu=cpu,
    )


def _locust_csv_percentiles(path: Path) -> tuple[float | None, float | None]:
    """Locust's own aggregated p50/p99 (whole milliseconds), as a cross-check of the exact samples."""
    if not path.exists():
        return None, None
    for row in csv.DictReader(path.open()):
        if row.get("Name") == "Aggregated":
            return float(row["50%"]), float(row["99%"])
    return None, None
