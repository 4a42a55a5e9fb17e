"""`clickpath lag`: the ingest group's lag per partition, read from the test stack's real Kafka."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.ingest import Pipeline, consumed
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def test_lag_lists_every_partition_and_drains_to_zero(stack: Stack, pipeline: Pipeline) -> None:
    consumed(pipeline.settings)
    deadline = time.monotonic() + 30
    while True:
        output = stack.run("lag").stdout
        total = int(re.search(r"total lag: ([\d,]+)", output).group(1).replace(",", ""))
        if total == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert total == 0, output
    rows = [line.strip("│ ").split("│") for line in output.splitlines() if line.startswith("│")]
    assert sorted(int(row[0]) for row in rows) == list(range(pipeline.settings.kafka_partitions)), output
