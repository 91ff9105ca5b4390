"""``tc0.memory.peak_bytes`` and ``resident_bytes``: a process's own peak
and present resident memory.

Oracle: the kernel's ``VmRSS`` of the same process, read from
/proc/self/status by this file (the peak is never below it, and it grows by
what the process touches), and the parent's size: a child must not report
it (``ru_maxrss`` does on Linux, across fork and exec)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tc0.memory import peak_bytes, resident_bytes

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_peak_covers_what_the_process_touched():
    block = np.ones(400 << 20, dtype=np.uint8)  # 400 MiB, every page touched
    assert peak_bytes() >= rss_bytes() >= block.nbytes


def test_a_child_does_not_report_its_parents_size():
    block = np.ones(600 << 20, dtype=np.uint8)
    code = "from tc0.memory import peak_bytes; print(peak_bytes())"
    child = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert child < block.nbytes, (child, block.nbytes)


def test_resident_memory_follows_what_is_touched_and_freed():
    before = resident_bytes()
    block = np.ones(300 << 20, dtype=np.uint8)
    held = resident_bytes()
    assert abs(held - rss_bytes()) < 16 << 20 and held - before >= block.nbytes - (16 << 20)
    del block
    assert resident_bytes() < held - (200 << 20)
