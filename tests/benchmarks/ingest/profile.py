"""py-spy profiles of a process during a measurement (--profile), and where their samples fall.

Two modes, both per thread (--threads). "gil" (--gil): a sample counts only when a thread holds the GIL, so
the samples are the interpreter's own work (threads waiting in librdkafka, epoll or a queue are not in
them), and their count over the recording's length says how busy the interpreter was (near 100%: the
process is bound by Python). "wall" (--idle): every sample of every thread, waiting included, so a
pipeline's threads show where each one waits for the other.
Profiling slows the process a little (py-spy pauses it to sample), so a profiled run's figures are not the
headline; its profiles say where a missed target's time goes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")
RATE = 100  # samples a second: py-spy's default
_ROOT = str(Path(__file__).resolve().parents[3]) + "/"


@dataclass
class Recording:
    name: str
    path: Path
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)


def record(name: str, pid: int, seconds: float, out: Path, mode: str = "gil") -> Recording:
    """Start `py-spy record --threads -f raw` on pid and its children (uvicorn's workers) for at most `seconds`
    (finish() stops it sooner)."""
    path = out / f"profile-{name}.txt"
    command = [str(PY_SPY), "record", "-p", str(pid), "--subprocesses", "-d", str(max(1, round(seconds)))]
    command += ["-r", str(RATE)]
    command += ["--gil" if mode == "gil" else "--idle", "--threads", "-f", "raw", "--full-filenames", "-o", str(path)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return Recording(name, path, process)


def finish(recording: Recording) -> tuple[Path, float] | None:
    """Stop the recording (py-spy writes what it has on SIGINT); its file and how long it ran."""
    if recording.process.poll() is None:
        recording.process.send_signal(signal.SIGINT)
    _, err = recording.process.communicate(timeout=120)
    elapsed = time.monotonic() - recording.started
    if not recording.path.exists():
        print(f"py-spy failed for {recording.name}: {err.decode(errors='replace')[-500:]}", flush=True)
        return None
    return recording.path, elapsed


def _short(frame: str) -> str:
    """`Rows.add (/work/main/ingest/rows.py:62)` → `Rows.add (ingest/rows.py)`; libraries by package."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0]
    if "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    elif "/lib/python3" in file:
        file = "stdlib/" + file.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return f"{name} ({file.removeprefix(_ROOT)})"


def _stacks(path: Path) -> list[tuple[str, list[str], int]]:
    """(thread name, frames root first, samples) per line of py-spy's raw output."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        # --subprocesses puts the chain of processes first (their command lines may hold ";" too)
        first = next((i for i, frame in enumerate(frames) if frame.startswith("thread (")), None)
        thread = frames[first].split(": ", 1)[-1] if first is not None else ""
        frames = frames[first + 1 :] if first is not None else frames
        stacks.append((thread, [_short(frame) for frame in frames], int(count)))
    return stacks


def summarize(path: Path, seconds: float, thread: str | None = None, top: int = 20) -> dict[str, object]:
    """Per thread: its samples' share of the recording (in "gil" mode: of the time it held the GIL); then, for
    `thread` (or all), the functions' shares of its samples, inclusive (anywhere on the stack) and self."""
    stacks = _stacks(path)
    per_thread: Counter[str] = Counter()
    for name, _, count in stacks:
        per_thread[name] += count
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for name, frames, count in stacks:
        if thread is not None and name != thread:
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    wall_samples = seconds * RATE
    chain = [(frame, count) for frame, count in inclusive.most_common() if count < 0.97 * total]  # not the root chain
    return {
        "seconds": round(seconds, 1),
        "share_by_thread": {name: round(100 * count / wall_samples, 1) for name, count in per_thread.most_common()},
        "samples": total,
        "inclusive": [(frame, round(100 * count / total, 1)) for frame, count in chain[:top]] if total else [],
        "self": [(frame, round(100 * count / total, 1)) for frame, count in own.most_common(top)] if total else [],
    }
