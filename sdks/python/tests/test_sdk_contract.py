"""sdks/contract: every call produces the payload the contract describes (the web SDK checks the same files)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from clickpath import Client
from contract_calls import CASES, ENVELOPE, run_call
from sdk_fake import FakeCapture


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_contract(case: dict[str, Any], fake: FakeCapture) -> None:
    client = Client("phc_test", "http://capture.test", sync_mode=True, http_client=fake.client())
    for call in case["calls"]:
        run_call(client, case["state"], call)
    client.shutdown()

    assert [r.url.path for r in fake.requests] == [ENVELOPE["route"]] * len(fake.requests)
    body = fake.bodies()[-1]
    assert sorted(body) == sorted(ENVELOPE["body_keys"]) and body["api_key"] == "phc_test"
    event = body["batch"][-1]
    assert sorted(event) == sorted(ENVELOPE["event_keys"])
    for key, pattern in ENVELOPE["formats"].items():
        assert re.match(pattern, event[key]), (key, event[key])
    assert re.match(ENVELOPE["formats"]["timestamp"], body["sent_at"])
    expect = case["expect"]
    assert (event["event"], event["distinct_id"]) == (expect["event"], expect["distinct_id"])
    properties = event["properties"]
    assert {k: properties.get(k) for k in expect["properties"]} == expect["properties"]
    assert all(k in properties for k in expect.get("present", []) + ENVELOPE["library_properties"])
    assert not any(k in properties for k in expect.get("absent", []))
