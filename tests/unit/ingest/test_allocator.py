"""The consumer's allocator settings: memory a batch frees is kept for the next, not faulted in again."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# Run in a process of its own: the settings last for the life of the process.
REUSE = """
import resource, sys
from ingest.consumer import tune_allocator
if sys.argv[1] == "tuned":
    assert tune_allocator()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = b"x" * (64 << 20)  # a batch's worth, written to
del block
before = faults()
block = b"x" * (64 << 20)  # the next batch's
print(faults() - before)
"""


def _faults_of_the_second_block(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", REUSE, mode], capture_output=True, text=True, check=True)
    return int(result.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings are glibc's")
def test_the_next_batch_reuses_the_memory_the_last_one_freed() -> None:
    untuned, tuned = _faults_of_the_second_block("default"), _faults_of_the_second_block("tuned")
    # untuned, glibc unmapped the block and the kernel faults it in again: 16,384 faults of 4 KiB pages here,
    # fewer where transparent huge pages are always on; tuned, the block is reused and nothing is faulted in
    assert untuned >= 20 * max(tuned, 1), (untuned, tuned)
