"""The ingestion benchmark's figures against their targets, written as results.json, results.md and chart.png."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure as Canvas  # pyplot-free: draws straight to a file, no display backend

MAX_INSERTS_PER_S = 5.0  # "at most a few inserts a second" (docs/INGESTION.md), made a number


@dataclass(frozen=True)
class Figure:
    """One measured figure; held against its target through the ratio to its baseline, or as measured."""

    label: str
    measured: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    bound: float | None = None
    on_ratio: bool = False
    higher_is_better: bool = True
    digits: int = 0
    short: str = ""
    """The ratio chart's bar label."""
    round_ratios: tuple[float, ...] = ()
    """Each round's own ratio (its two sides measured back to back), to show the spread."""

    @property
    def ratio(self) -> float | None:
        if self.measured is None or not self.baseline:
            return None
        return self.measured / self.baseline

    @property
    def held(self) -> float | None:
        """The value the target is about: the ratio or the figure itself."""
        return self.ratio if self.on_ratio else self.measured

    @property
    def met(self) -> bool | None:
        if self.bound is None or self.held is None:
            return None
        return self.held >= self.bound if self.higher_is_better else self.held < self.bound

    @property
    def score(self) -> float | None:
        """How far past the target (≥ 1: met), whichever way the target points."""
        if self.bound is None or not self.held:
            return None
        return self.held / self.bound if self.higher_is_better else self.bound / self.held

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "ratio": self.ratio, "met": self.met}


def figures(steps: dict[str, Any]) -> list[Figure]:
    """Every figure of the steps that ran, in the order of the steps."""
    makers = {"batch": _batch, "single": _single, "consumer": _consumer, "freshness": _freshness}
    return [figure for name, make in makers.items() if name in steps for figure in make(steps[name])]


def _batch(batch: dict[str, Any]) -> list[Figure]:
    capture = batch["capture_events_per_s"]
    ratio = Figure(
        "batch capture (100 events a request), events/s",
        capture,
        "events/s",
        baseline=batch["producer_events_per_s"],
        baseline_label="raw producer loop",
        target="ratio ≥ 0.15",
        bound=0.15,
        on_ratio=True,
        short="batch capture\n÷ raw producer",
        round_ratios=_round_ratios(batch["capture"], batch["producer"], "events_per_s"),
    )
    return [ratio, Figure("batch capture, events/s", capture, "events/s", target="≥ 30,000", bound=30_000)]


def _single(single: dict[str, Any]) -> list[Figure]:
    ratio = Figure(
        f"single-event capture (wrk, {single['connections']} connections), requests/s",
        single["capture_requests_per_s"],
        "requests/s",
        baseline=single["noop_requests_per_s"],
        baseline_label="no-op route, same app and server",
        target="ratio ≥ 0.6",
        bound=0.6,
        on_ratio=True,
        short="single-event capture\n÷ no-op route",
        round_ratios=_round_ratios(single["capture"], single["noop"], "requests_per_s"),
    )
    latency = single["latency"]
    label = f"single-event capture at {latency['achieved_per_s']:,.0f} requests/s (Locust)"
    p50 = Figure(f"{label}, p50", latency["p50_ms"], "ms", digits=2)
    p99 = Figure(f"{label}, p99", latency["p99_ms"], "ms", target="< 25 ms", bound=25, higher_is_better=False, digits=2)
    return [ratio, p50, p99]


def _consumer(consumer: dict[str, Any]) -> list[Figure]:
    """The target is on the sustained rate: the baseline's rate counts only the time inside its inserts, so the
    consumer's leaves out its start too (joining the group, then reading and decoding its first batch before
    any insert). The rate from the start is shown beside it."""
    runs, direct = consumer["consumer"], consumer["direct"]
    baseline = {
        "baseline": consumer["direct_events_per_s"],
        "baseline_label": "client.insert of the same rows into the same table, back to back",
    }
    sustained = Figure(
        f"consumer sustained (batches of {consumer['batch_events']:,}), events/s",
        consumer["consumer_steady_events_per_s"],
        "events/s",
        target="ratio ≥ 0.6",
        bound=0.6,
        on_ratio=True,
        short="consumer\n÷ direct inserts",
        round_ratios=_round_ratios(runs, direct, "steady_events_per_s", "events_per_s"),
        **baseline,
    )
    return [
        sustained,
        Figure(
            "consumer from its start, events/s",
            consumer["consumer_events_per_s"],
            "events/s",
            target="≥ 80,000",
            bound=80_000,
            round_ratios=_round_ratios(runs, direct, "events_per_s"),
            **baseline,
        ),
        Figure(
            "consumer inserts into events a second",
            consumer["consumer_inserts_per_s"],
            "inserts/s",
            target=f"≤ {MAX_INSERTS_PER_S:g} (a few)",
            bound=MAX_INSERTS_PER_S + 1e-9,  # "≤": met when equal
            higher_is_better=False,
            digits=2,
        ),
    ]


def _freshness(fresh: dict[str, Any]) -> list[Figure]:
    found = []
    for name, bound in (("p50", None), ("p95", 2.0), ("max", None)):
        value = fresh[f"freshness_{name}_ms"]
        label = f"freshness at {fresh['sent_per_s'] * 100:,.0f} events/s, {name}"
        seconds = value / 1000 if value is not None else None
        target = f"< {bound:g} s" if bound else ""
        found.append(Figure(label, seconds, "s", target=target, bound=bound, higher_is_better=False, digits=2))
    return found


def _round_ratios(
    sides: list[dict[str, Any]], baselines: list[dict[str, Any]], key: str, base_key: str | None = None
) -> tuple[float, ...]:
    pairs = zip(sides, baselines, strict=True)
    return tuple(side[key] / base[base_key or key] for side, base in pairs if side[key] is not None)


# -- markdown ------------------------------------------------------------------------------------------------


def _number(value: float | None, digits: int, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".strip()


def _met(figure: Figure) -> str:
    return {True: "yes", False: "**NO**", None: ""}[figure.met]


def figure_rows(found: Iterable[Figure]) -> list[list[str]]:
    rows = []
    for f in found:
        baseline = f"{_number(f.baseline, f.digits)} ({f.baseline_label})" if f.baseline is not None else ""
        ratio = f"{f.ratio:.3f}" if f.ratio is not None else ""
        if len(f.round_ratios) > 1:
            ratio += f" (rounds {min(f.round_ratios):.2f}–{max(f.round_ratios):.2f})"
        rows.append([f.label, _number(f.measured, f.digits, f.unit), baseline, ratio, f.target, _met(f)])
    return rows


def table(head: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key} {item}" for key, item in value.items())
    return str(value)


def _cpu_line(name: str, cpu: dict[str, float]) -> str:
    parts = [f"{process} {value:.0f}%" for process, value in cpu.items() if value >= 1 or "machine" in process]
    return f"- {name}: " + ", ".join(parts)


def cpu_lines(steps: dict[str, Any]) -> list[str]:
    lines = []
    for index, run in enumerate(steps.get("batch", {}).get("capture", []), 1):
        lines.append(_cpu_line(f"batch capture, round {index}", run["cpu"]))
    for index, run in enumerate(steps.get("batch", {}).get("producer", []), 1):
        lines.append(_cpu_line(f"raw producer, round {index}", run["cpu"]))
    for side in ("capture", "noop"):
        for index, run in enumerate(steps.get("single", {}).get(side, []), 1):
            lines.append(_cpu_line(f"single {side}, round {index}", run["cpu"]))
    if latency := steps.get("single", {}).get("latency"):
        lines.append(_cpu_line("Locust at a fixed rate", latency["cpu"]))
    consumer = steps.get("consumer", {})
    for index, run in enumerate(consumer.get("direct", []), 1):
        lines.append(_cpu_line(f"direct inserts, round {index}", run["cpu"]))
    for index, run in enumerate(consumer.get("consumer", []), 1):
        lines.append(_cpu_line(f"consumer (in this process: the bench row), round {index}", run["cpu"]))
    if fresh := steps.get("freshness"):
        lines.append(_cpu_line("freshness, while sending", fresh["cpu"]))
    return lines


def _profile_lines(profiles: dict[str, dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for name, found in profiles.items():
        shares = ", ".join(f"{thread or 'all'} {share:.0f}%" for thread, share in found["share_by_thread"].items())
        what = "held the GIL" if found["mode"] == "gil" else "was sampled (waiting included)"
        lines += ["", f"### {name} ({found['samples']:,} samples over {found['seconds']} s; file {found['file']})", ""]
        lines += [f"Share of the recording each thread {what}: {shares}.", ""]
        lines += ["Inclusive (% of samples with the function on the stack):", ""]
        lines += [f"- {share:.1f}% {frame}" for frame, share in found["inclusive"]]
        lines += ["", "Self (% of samples running the function itself):", ""]
        lines += [f"- {share:.1f}% {frame}" for frame, share in found["self"]]
    return lines


def markdown(
    found: list[Figure], steps: dict[str, Any], header: dict[str, Any], notes: list[str], profiles: dict
) -> str:
    lines = ["# Ingestion: each stage beside its baseline", ""]
    lines += [f"- {key}: {_flat(value)}" for key, value in header.items()]
    lines += ["", "## Figures", ""]
    lines += table(["figure", "measured", "baseline", "ratio", "target", "met"], figure_rows(found))
    lines += ["", "Throughputs are medians of the rounds, the ratio is theirs; every run is in results.json.", ""]
    lines += ["## CPU during each measurement (% of one core; the machine has 2)", "", *cpu_lines(steps)]
    if notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in notes]]
    if profiles:
        lines += ["", "## Profiles (py-spy, --profile)", *_profile_lines(profiles)]
    return "\n".join(lines) + "\n"


def write_json(
    path: Path, found: list[Figure], steps: dict[str, Any], header: dict[str, Any], notes: list[str], profiles: dict
) -> None:
    document = {**header, "figures": [f.as_dict() for f in found], "steps": steps, "notes": notes, "profiles": profiles}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


# -- chart ---------------------------------------------------------------------------------------------------


def draw_chart(path: Path, found: list[Figure], title: str) -> None:
    """Left: each stage ÷ its baseline, the target marked. Right: every targeted figure as a multiple of its target."""
    canvas = Canvas(figsize=(13, 5.2))
    ratios_axis, targets_axis = canvas.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    _ratios(ratios_axis, [f for f in found if f.on_ratio])
    _scores(targets_axis, [f for f in found if f.score is not None])
    canvas.suptitle(title, x=0.01, ha="left", fontsize=10)
    canvas.tight_layout()
    canvas.savefig(path, dpi=120)


def _ratios(axis: Any, found: list[Figure]) -> None:
    names = [f.short or f.label for f in found]
    values = [f.ratio or 0 for f in found]
    colors = ["tab:green" if f.met else "tab:red" for f in found]
    bars = axis.bar(names, values, color=colors, alpha=0.8)
    for index, f in enumerate(found):
        axis.hlines(f.bound, index - 0.4, index + 0.4, colors="black", linestyles="--", linewidth=1.5)
        axis.annotate(f"target {f.target.split()[-1]}", (index, f.bound), textcoords="offset points", xytext=(0, 4),
                      ha="center", fontsize=8)  # fmt: skip
    axis.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=9, label_type="center", color="white")
    axis.set(ylabel="stage ÷ its baseline (same run)", title="side by side: stage ÷ baseline")
    axis.set_ylim(0, max([*values, *[f.bound or 0 for f in found], 0.1]) * 1.25)
    axis.tick_params(axis="x", labelsize=8)
    axis.grid(True, axis="y", alpha=0.3)


def _scores(axis: Any, found: list[Figure]) -> None:
    labels = [f"{f.label} {f.target}" for f in found]
    scores = [f.score or 0 for f in found]
    colors = ["tab:green" if f.met else "tab:red" for f in found]
    bars = axis.barh(labels, scores, color=colors, alpha=0.8)
    axis.axvline(1.0, color="black", linestyle="--", linewidth=1.5)
    axis.bar_label(bars, labels=[f"{s:.2f}×" for s in scores], fontsize=8, padding=2)
    axis.invert_yaxis()
    axis.set(xlabel="measured ÷ target (≥ 1: met; for upper bounds, target ÷ measured)", title="against the targets")
    axis.set_xscale("log")
    axis.tick_params(axis="y", labelsize=7)
    axis.grid(True, axis="x", which="both", alpha=0.3)
