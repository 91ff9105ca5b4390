"""Running the ``tc0`` CLI in a fresh process whose time and memory are
measured and bounded, for the tests of hostile files (tests/hostile/): a
refusal of a file smaller than 1 MB must come within 10 s and under 1 GB
resident memory (issue #15).

The child runs under an address-space limit (``RLIMIT_AS``), so a test that
fails cannot take the machine's memory, and tc0's memory checks see a known
amount of memory available (``tc0.memory.available_bytes``). Its peak
resident memory is its own ``VmHWM``, read from /proc as it exits:
``ru_maxrss`` would count the parent's memory, which Linux carries into a
child started by fork or vfork."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import tc0

#: the address space the child may map: a tc0 process maps ~0.4 GB after its imports
ADDRESS_SPACE = 2 << 30
#: what a refusal of a file smaller than 1 MB may take (issue #15)
REFUSAL_SECONDS, REFUSAL_BYTES = 10.0, 1 << 30

#: runs the CLI with argv[1:], then writes the process's VmHWM (bytes) to the file $TC0_TEST_HWM
_CHILD = """
import atexit, os, sys

def _record_peak():
    with open("/proc/self/status") as fh:
        kib = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    with open(os.environ["TC0_TEST_HWM"], "w") as out:
        out.write(str(kib * 1024))

atexit.register(_record_peak)
from tc0.cli import main
sys.argv[0] = "tc0"
main()
"""

needs_proc = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status, sets RLIMIT_AS")


@dataclass
class Run:
    """What a bounded CLI run did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int


def run_cli(*args, address_space: int = ADDRESS_SPACE, timeout: float = 120, stdin=subprocess.DEVNULL) -> Run:
    """Run ``tc0 ARGS`` in a fresh process under ``address_space`` bytes of
    ``RLIMIT_AS``; a run past ``timeout`` seconds is killed and fails the test."""
    package_root = str(Path(tc0.__file__).parents[1])
    with tempfile.NamedTemporaryFile(suffix=".hwm", delete=False) as hwm:
        hwm_path = hwm.name
    env = {**os.environ, "TC0_TEST_HWM": hwm_path,
           "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, *map(str, args)], capture_output=True, text=True,
                              env=env, preexec_fn=limit, timeout=timeout, stdin=stdin)
        seconds = time.monotonic() - start
        peak = Path(hwm_path).read_text()
    except subprocess.TimeoutExpired:
        pytest.fail(f"tc0 {' '.join(map(str, args))} ran past {timeout} s")
    finally:
        Path(hwm_path).unlink(missing_ok=True)
    return Run(done.returncode, done.stdout, done.stderr, seconds, int(peak or 0))


def refused(*args, needles=(), **kwargs) -> str:
    """Run ``tc0 ARGS`` bounded; assert a refusal as issue #15 asks: a
    non-zero exit, one ``Error:`` line (naming every needle) and no
    traceback, within ``REFUSAL_SECONDS`` and ``REFUSAL_BYTES``. Returns the line."""
    run = run_cli(*args, **kwargs)
    lines = run.stderr.strip().splitlines()
    assert run.returncode != 0, (args, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and len(lines) == 1 and lines[0].startswith("Error: "), run.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert run.seconds < REFUSAL_SECONDS, f"refused after {run.seconds:.1f} s: {lines[0]}"
    assert 0 < run.peak_bytes < REFUSAL_BYTES, f"refused at {run.peak_bytes / 2**20:.0f} MiB resident: {lines[0]}"
    return lines[0]
