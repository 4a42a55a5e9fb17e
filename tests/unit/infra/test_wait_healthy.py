"""`up` waits for each service: a restart by supervisord (BACKOFF) is waited out, a final state is reported
with the end of the service's log."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.stack import lifecycle
from infra.stack.service import Program, Service


class Supervised:
    """Stands in for infra.stack.supervisor.Supervisor: the states supervisord reports, one per poll."""

    def __init__(self, logs: Path, states: list[str]) -> None:
        self.logs, self._states = logs, states

    def states(self) -> dict[str, str]:
        return {"web": self._states.pop(0) if len(self._states) > 1 else self._states[0]}


def _service(answers: list[bool]) -> Service:
    def check() -> str:
        if not answers.pop(0):
            raise ConnectionRefusedError("[Errno 111] Connection refused")
        return "HTTP 200"

    return Service("web", "http://127.0.0.1:1", check, Program(["web"]), ready_timeout_s=30)


def test_a_restart_is_waited_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "POLL_S", 0)
    supervisor = Supervised(tmp_path, ["BACKOFF", "STARTING", "BACKOFF", "RUNNING"])
    result = lifecycle.wait_healthy(_service([False, False, False, True]), supervisor)  # type: ignore[arg-type]
    assert result.startswith("HTTP 200, healthy after")


def test_a_final_state_is_reported_with_the_end_of_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "POLL_S", 0)
    (tmp_path / "web.log").write_text("".join(f"line {number}\n" for number in range(100)))
    with pytest.raises(RuntimeError) as refused:
        lifecycle.wait_healthy(_service([False]), Supervised(tmp_path, ["FATAL"]))  # type: ignore[arg-type]
    message = str(refused.value)
    assert message.startswith("web is not healthy (FATAL): [Errno 111] Connection refused")
    assert message.endswith("\n".join(f"line {number}" for number in range(70, 100)))
    assert "line 69\n" not in message
