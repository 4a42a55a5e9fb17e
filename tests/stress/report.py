"""A stress run's results from Locust's CSV files: a summary table per route and a chart over time."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from rich.table import Table

TOTAL = "Aggregated"
COLUMNS = ("requests", "failures", "per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms")


def summarize(prefix: Path) -> dict[str, Any]:
    """Per route and in total: requests, failures, requests/s and latency percentiles; and the history."""
    routes = [_route(row) for row in _rows(Path(f"{prefix}_stats.csv"))]
    history = [
        {
            "time": int(row["Timestamp"]),
            "users": int(row["User Count"]),
            "per_second": float(row["Requests/s"]),
            "failures_per_second": float(row["Failures/s"]),
            "p50_ms": _number(row["50%"]),
            "p95_ms": _number(row["95%"]),
            "p99_ms": _number(row["99%"]),
        }
        for row in _rows(Path(f"{prefix}_stats_history.csv"))
        if row["Name"] == TOTAL
    ]
    total = next(route for route in routes if route["name"] == TOTAL)
    return {"routes": [route for route in routes if route["name"] != TOTAL], "total": total, "history": history}


def table(results: dict[str, Any]) -> Table:
    grid = Table("route", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
    for route in [*results["routes"], results["total"]]:
        grid.add_row(route["name"], *(_shown(route[column]) for column in COLUMNS))
    if "delivery" in results:
        grid.caption = _delivery(results["delivery"])
    return grid


def write(results: dict[str, Any], out: Path) -> None:
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "summary.md").write_text(_markdown(results))
    _chart(results, out / "chart.png")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def _route(row: dict[str, str]) -> dict[str, Any]:
    return {
        "name": row["Name"],
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "per_second": float(row["Requests/s"]),
        "p50_ms": _number(row["50%"]),
        "p95_ms": _number(row["95%"]),
        "p99_ms": _number(row["99%"]),
        "max_ms": _number(row["Max Response Time"]),
    }


def _number(text: str) -> float | None:
    return None if text in ("", "N/A") else float(text)


def _shown(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 10 or float(value).is_integer() else f"{value:.1f}"


def _markdown(results: dict[str, Any]) -> str:
    lines = ["| route | requests | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |", "|---" * 8 + "|"]
    for route in [*results["routes"], results["total"]]:
        lines.append(f"| {route['name']} | " + " | ".join(_shown(route[column]) for column in COLUMNS) + " |")
    if "delivery" in results:
        lines.append(f"\n{_delivery(results['delivery'])}.")
    return "\n".join(lines) + "\n"


def _delivery(delivery: dict[str, int]) -> str:
    return f"events accepted {delivery['accepted_events']:,}, stored in ClickHouse {delivery['stored_events']:,}"


def _chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history = results["history"]
    start = history[0]["time"] if history else 0
    seconds = [point["time"] - start for point in history]
    figure, (rate, latency) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    rate.plot(seconds, [point["per_second"] for point in history], label="requests/s")
    rate.plot(seconds, [point["failures_per_second"] for point in history], label="failures/s", color="tab:red")
    rate.set_ylabel("per second")
    rate.legend(loc="upper left")
    for name in ("p50_ms", "p95_ms", "p99_ms"):
        latency.plot(seconds, [point[name] for point in history], label=name.removesuffix("_ms"))
    latency.set_ylabel("latency, ms")
    latency.set_xlabel("seconds")
    latency.legend(loc="upper left")
    run = results["run"]
    figure.suptitle(f"stress-{run['target']}: {run['users']} users, at most {run['rate']:g} requests/s")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
