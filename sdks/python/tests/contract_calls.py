"""The contract's calls (sdks/contract/calls.json) as the Python SDK spells them.

Shared by the unit test here and tests/integration/sdks, which sends the same calls to a real capture API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clickpath.calls import Calls

CONTRACT = Path(__file__).resolve().parents[2] / "contract"
ENVELOPE = json.loads((CONTRACT / "envelope.json").read_text())
CASES = [case for case in json.loads((CONTRACT / "calls.json").read_text()) if "python" in case["sdks"]]


def run_call(client: Calls, state: dict[str, str], call: dict[str, Any]) -> str | None:
    """A contract call as this SDK spells it (the distinct id passed explicitly); the event's uuid if it makes one."""
    args = {k: v for k, v in call.items() if k != "method"}
    user = state.get("distinct_id")
    match call["method"]:
        case "capture":
            return client.capture(args["event"], user, args["properties"])
        case "register":
            client.register(args["properties"])
        case "unregister":
            client.unregister(args["key"])
        case "identify":
            return client.identify(
                args["distinct_id"], args["set"], args["set_once"], anon_distinct_id=state["anonymous_id"]
            )
        case "alias":
            return client.alias(user, args["alias"])
        case "group":
            return client.group(user, args["group_type"], args["group_key"], args["properties"])
        case "page":
            return client.page(user, args["url"], args["properties"])
        case other:
            raise AssertionError(f"contract call {other} unknown to the Python SDK")
    return None
