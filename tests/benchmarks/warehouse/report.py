"""Writing a run down: results.json, results.md (also printed) and chart.png."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure  # pyplot-free: draws straight to a file, no display backend involved
from matplotlib.patches import Patch

from tests.benchmarks.warehouse.measure import Measurement, Results
from tests.benchmarks.warehouse.sides import HTTP_LZ4, HTTP_PLAIN, IN_PROCESS
from tests.benchmarks.warehouse.steps import (
    COLUMN_LISTS,
    DATAFRAME,
    GROUP_BY,
    INSERT,
    LATENCY,
    LATENCY_CC_LOCAL,
    LATENCY_CC_LZ4,
    LATENCY_CHDB_RAW,
    LATENCY_URLLIB3,
    LOAD,
    NATIVE_BODY,
    RAW_HTTP_LZ4,
    RAW_HTTP_PLAIN,
    RAW_IN_PROCESS,
)

COLORS = {"HTTP lz4": "tab:blue", "HTTP plain": "tab:cyan", "in-process": "tab:orange"}


@dataclass(frozen=True)
class Ratio:
    """An HTTP median over its in-process counterpart's median, and the target it is held against (if any)."""

    label: str
    value: float | None
    target: str

    @property
    def met(self) -> str:
        if self.value is None or not self.target:
            return "n/a" if self.value is None else "-"
        bound = float(self.target.split()[-1])
        return "yes" if (self.value >= bound if self.target.startswith("≥") else self.value <= bound) else "NO"


def ratios(results: Results) -> list[Ratio]:
    """Throughput ratios for inserts (HTTP rows/s ÷ in-process), time ratios for queries (HTTP s ÷ in-process)."""
    found: list[Ratio] = []
    for case in (DATAFRAME, COLUMN_LISTS):
        for variant in (HTTP_LZ4, HTTP_PLAIN):
            found.append(_ratio(results, INSERT, case, variant, IN_PROCESS, "throughput", "≥ 0.60"))
    for variant in (RAW_HTTP_PLAIN, RAW_HTTP_LZ4):
        found.append(_ratio(results, INSERT, NATIVE_BODY, variant, RAW_IN_PROCESS, "throughput", ""))
    for case in sorted({m.case for m in results.in_section(GROUP_BY)}):
        for variant in (HTTP_LZ4, HTTP_PLAIN):
            found.append(_ratio(results, GROUP_BY, case, variant, IN_PROCESS, "time", "≤ 1.2"))
    for metric in ("p50", "p99"):
        found.append(_ratio(results, LATENCY, "SELECT 1", LATENCY_CC_LZ4, LATENCY_CC_LOCAL, metric, ""))
        found.append(_ratio(results, LATENCY, "SELECT 1", LATENCY_URLLIB3, LATENCY_CHDB_RAW, metric, ""))
    return [r for r in found if r is not None]


def _ratio(
    results: Results, section: str, case: str, variant: str, baseline: str, metric: str, target: str
) -> Ratio | None:
    top, bottom = results.find(section, case, variant, metric), results.find(section, case, baseline, metric)
    if top is None or bottom is None:
        return None
    value = top.median / bottom.median if top.median is not None and bottom.median else None
    return Ratio(f"{section} · {case} · {metric}: {variant} ÷ {baseline}", value, target)


# -- markdown ------------------------------------------------------------------------------------------------


def markdown(results: Results, header: dict[str, Any], notes: list[str]) -> str:
    lines = ["# Warehouse benchmark: embedded server over HTTP vs chdb in-process", ""]
    lines += [f"- {key}: {_plain(value)}" for key, value in header.items()]
    lines += ["", "## Insert throughput (rows/s, higher is better)", ""]
    lines += _table(
        ["payload", "path", "median", "min", "max", "ok rounds", "÷ in-process"],
        _insert_rows(results),
    )
    lines += ["", "## GROUP BY (seconds, lower is better)", ""]
    lines += _table(["query", "path", "median", "min", "max", "÷ in-process"], _group_rows(results))
    lines += ["", "## SELECT 1 round trip (ms per query)", ""]
    lines += _table(["probe", "p50 median", "p50 min–max", "p99 median", "p99 min–max"], _latency_rows(results))
    lines += ["", "## Ratios and targets", ""]
    lines += _table(
        ["ratio", "value", "target", "met"],
        ([r.label, _num(r.value, 2), r.target or "-", r.met] for r in ratios(results)),
    )
    loads = results.in_section(LOAD)
    if loads:
        lines += ["", "## Server-side load of the GROUP BY table (one run each)", ""]
        lines += _table(["statement", "path", "seconds"], ([m.case, m.variant, _num(m.median, 2)] for m in loads))
    errors = [m for m in results.all() if m.errors]
    if errors or notes:
        lines += ["", "## Errors and notes", ""]
        lines += [f"- {m.section} · {m.case} · {m.variant}: {len(m.errors)} failed: {m.errors[0]}" for m in errors]
        lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _insert_rows(results: Results) -> Iterable[list[str]]:
    for m in results.in_section(INSERT):
        baseline = results.find(INSERT, m.case, RAW_IN_PROCESS if m.case == NATIVE_BODY else IN_PROCESS, m.metric)
        rounds = f"{len(m.values)}/{len(m.values) + len(m.errors)}"
        yield [m.case, m.variant, _num(m.median), _num(m.low), _num(m.high), rounds, _vs(m, baseline)]


def _group_rows(results: Results) -> Iterable[list[str]]:
    for m in results.in_section(GROUP_BY):
        baseline = results.find(GROUP_BY, m.case, IN_PROCESS, m.metric)
        yield [m.case, m.variant, _num(m.median, 3), _num(m.low, 3), _num(m.high, 3), _vs(m, baseline)]


def _latency_rows(results: Results) -> Iterable[list[str]]:
    for p50 in (m for m in results.in_section(LATENCY) if m.metric == "p50"):
        p99 = results.find(LATENCY, p50.case, p50.variant, "p99")
        assert p99 is not None
        yield [p50.variant, _num(p50.median, 3), _span(p50), _num(p99.median, 3), _span(p99)]


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}={_plain(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "/".join(str(item) for item in value)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _vs(measurement: Measurement, baseline: Measurement | None) -> str:
    if baseline is None or measurement.median is None or not baseline.median:
        return "-"
    return _num(measurement.median / baseline.median, 2)


def _span(m: Measurement) -> str:
    return f"{_num(m.low, 3)}–{_num(m.high, 3)}"


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _table(head: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


# -- json ----------------------------------------------------------------------------------------------------


def write_json(path: Path, results: Results, header: dict[str, Any], notes: list[str]) -> None:
    document = {
        **header,
        "measurements": [m.as_dict() for m in results.all()],
        "ratios": [{**asdict(r), "met": r.met} for r in ratios(results)],
        "notes": notes,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# -- chart ---------------------------------------------------------------------------------------------------


def draw_chart(path: Path, results: Results, title: str) -> None:
    """Three panels of horizontal bars (median, whiskers min–max), HTTP and in-process in fixed colors."""
    panels = [
        (results.in_section(INSERT), "insert: million rows/s (higher is better)", 1e-6),
        (results.in_section(GROUP_BY), "GROUP BY: seconds (lower is better)", 1.0),
        (results.in_section(LATENCY), "SELECT 1: ms per query, p50 and (lighter) p99 (lower is better)", 1.0),
    ]
    heights = [max(1, len(items)) for items, *_ in panels]
    figure = Figure(figsize=(12, 0.42 * sum(heights) + 4))
    axes = figure.subplots(3, 1, height_ratios=heights)
    for axis, (items, label, scale) in zip(axes, panels, strict=True):
        _bars(axis, items, scale)
        axis.set_title(label, loc="left", fontsize=10)
    figure.legend(handles=[Patch(color=c, label=k) for k, c in COLORS.items()], loc="upper right", ncols=3, fontsize=9)
    figure.suptitle(title, x=0.01, ha="left", fontsize=11)
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    figure.savefig(path, dpi=120)


def _bars(axis: Any, items: list[Measurement], scale: float) -> None:
    items = [m for m in items if m.median is not None]
    labels = [f"{m.variant} · {m.metric}" if m.section == LATENCY else f"{m.case} · {m.variant}" for m in items]
    medians = [m.median * scale for m in items]  # type: ignore[operator]
    below = [(m.median - m.low) * scale for m in items]  # type: ignore[operator]
    above = [(m.high - m.median) * scale for m in items]  # type: ignore[operator]
    positions = list(range(len(items)))
    bars = axis.barh(positions, medians, xerr=[below, above], color=[_color(m.variant) for m in items], capsize=3)
    for bar, m in zip(bars, items, strict=True):
        if m.metric == "p99":  # the tail, drawn lighter than the p50 above it
            bar.set_alpha(0.5)
    axis.set_yticks(positions, labels, fontsize=8)
    axis.invert_yaxis()
    axis.margins(x=0.12)
    for y, value, extra in zip(positions, medians, above, strict=True):
        axis.annotate(f" {value:,.3g}", (value + extra, y), va="center", fontsize=7)


def _color(variant: str) -> str:
    if "in-process" in variant:
        return COLORS["in-process"]
    return COLORS["HTTP lz4"] if "lz4" in variant else COLORS["HTTP plain"]
