"""Recording rounds of a measurement and summarizing them (median, min, max), plus progress output."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Measurement:
    """One metric of one variant of one case, one value per successful round."""

    section: str
    case: str
    variant: str
    metric: str
    unit: str
    values: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def low(self) -> float | None:
        return min(self.values) if self.values else None

    @property
    def high(self) -> float | None:
        return max(self.values) if self.values else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "case": self.case,
            "variant": self.variant,
            "metric": self.metric,
            "unit": self.unit,
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "values": self.values,
            "errors": self.errors,
        }


class Results:
    """All measurements of a run, found by (section, case, variant, metric)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str, str], Measurement] = {}

    def get(self, section: str, case: str, variant: str, metric: str, unit: str) -> Measurement:
        key = (section, case, variant, metric)
        if key not in self._items:
            self._items[key] = Measurement(section, case, variant, metric, unit)
        return self._items[key]

    def find(self, section: str, case: str, variant: str, metric: str) -> Measurement | None:
        return self._items.get((section, case, variant, metric))

    def in_section(self, section: str) -> list[Measurement]:
        return [m for m in self._items.values() if m.section == section]

    def all(self) -> list[Measurement]:
        return list(self._items.values())


def round_order(items: Sequence[T], round_index: int) -> list[T]:
    """Alternate the order between rounds so drift and noise do not always land on the same side."""
    return list(items) if round_index % 2 == 0 else list(reversed(items))


def timed(action: Callable[[], Any], collect_garbage: bool = True) -> tuple[float, Any]:
    """Seconds one call takes.

    Garbage is collected first so no GC pause owed by earlier work lands in the timing; sub-millisecond
    calls skip that, as the collection would cost far more than the call.
    """
    if collect_garbage:
        gc.collect()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (enough for 1000 samples, and never interpolates an unseen latency)."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


class Progress:
    """One line per step, with the run's elapsed time, flushed at once (runs take minutes)."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self._start:7.1f}s] {message}", flush=True)
