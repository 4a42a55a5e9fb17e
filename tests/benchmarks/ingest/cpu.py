"""CPU used by each process of interest over a measurement, in % of one core: it tells which one was the limit.

A process near 100% is saturated (capture and the consumer do their work on one thread); the machine's
total shows whether the two cores were, and what is left after ours is other people's work.
"""

from __future__ import annotations

import threading
import time

import psutil

MACHINE, OTHERS = "machine (all cores)", "others (not the benchmark's)"
SAMPLE_S = 0.25  # load generators exit on their own: their last sample stands for their total


def _seconds(process: psutil.Process, children: bool) -> float:
    """CPU seconds of a process, and of its live children if asked (Locust may fork)."""
    total = 0.0
    for member in [process, *(process.children(recursive=True) if children else [])]:
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _machine_busy() -> float:
    times = psutil.cpu_times()
    return times.user + times.nice + times.system + times.irq + times.softirq + times.steal


class CpuMeter:
    """Named processes, each read at start and at stop (or at its last sample, if it exited meanwhile)."""

    def __init__(self) -> None:
        self._watched: dict[str, tuple[psutil.Process, bool]] = {}
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._machine = 0.0
        self._clock = 0.0
        self._stopping = threading.Event()
        self._sampler: threading.Thread | None = None

    def watch(self, name: str, pid: int, children: bool = True) -> None:
        """children=False for a process whose children are watched under their own names (this one's)."""
        self._watched[name] = (psutil.Process(pid), children)

    def forget(self, name: str) -> None:
        self._watched.pop(name, None)

    def start(self) -> None:
        self._first = {name: seconds for name, seconds in self._read().items()}
        self._last = dict(self._first)
        self._machine, self._clock = _machine_busy(), time.monotonic()
        self._stopping.clear()
        self._sampler = threading.Thread(target=self._sample, name="cpu-meter", daemon=True)
        self._sampler.start()

    def stop(self) -> dict[str, float]:
        """% of one core per process since start(), then the machine's total (of all cores) and the rest."""
        self._stopping.set()
        if self._sampler:
            self._sampler.join()
        self._last.update(self._read())
        elapsed = time.monotonic() - self._clock
        used = {name: 100 * (self._last[name] - first) / elapsed for name, first in self._first.items()}
        machine = 100 * (_machine_busy() - self._machine) / elapsed
        result = {name: round(value, 1) for name, value in sorted(used.items(), key=lambda item: -item[1])}
        result[MACHINE] = round(machine, 1)
        result[OTHERS] = round(max(0.0, machine - sum(used.values())), 1)
        return result

    def _read(self) -> dict[str, float]:
        seconds = {}
        for name, (process, children) in self._watched.items():
            try:
                if process.is_running():
                    seconds[name] = _seconds(process, children)
            except psutil.Error:
                continue
        return seconds

    def _sample(self) -> None:
        while not self._stopping.wait(SAMPLE_S):
            self._last.update(self._read())


def summary(cpu: dict[str, float], top: int = 4) -> str:
    """`capture 99%, kafka 41%, …; machine 180% of 200% (others 20%)` for progress lines."""
    cores = psutil.cpu_count() or 1
    ours = [f"{name} {value:.0f}%" for name, value in cpu.items() if name not in (MACHINE, OTHERS)]
    machine, others = cpu.get(MACHINE, 0.0), cpu.get(OTHERS, 0.0)
    return f"{', '.join(ours[:top])}; machine {machine:.0f}% of {100 * cores}% (others {others:.0f}%)"
