"""Simulation memory (issues #15 and #19): a 118 KB ``.tc0`` with one MAJ
gate of 3*10^7 fan-ins once took 5.6 GB and ended in a traceback. The
compiled simulator now counts a gate's fan-ins as it reads them (a
carry-save tree of a few dozen rows), so such a file runs in a bounded
address space; memory grows with the nodes only, is estimated from them
before compiling, and a circuit whose estimate exceeds the memory available
is refused, naming both figures.

Oracles: the majority of n copies of one input bit is that bit; the estimate
must bound the memory a compile and a run really take, measured by
``tracemalloc`` (numpy reports its buffers to it)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from bounded_cli import needs_proc, run_cli
from hostile_files import small_circuit

import tc0
from tc0 import Kind
from tc0.compiler.catalog import compile_gadget
from tc0.errors import CircuitError
from tc0.simulator.schedule import Schedule, check_memory, estimated_bytes


def wide_majority(fanin: int, n_inputs: int = 8) -> tc0.Circuit:
    """One MAJ gate over ``fanin`` fan-ins, all the first input bit (a weight of ``fanin``)."""
    kind = np.array([Kind.CONST0, Kind.CONST1] + [Kind.INPUT] * n_inputs + [Kind.MAJ], dtype=np.uint8)
    offsets = np.zeros(len(kind) + 1, dtype=np.int64)
    offsets[-1] = fanin
    return tc0.Circuit(kind=kind, offsets=offsets, fanins=np.full(fanin, 2, dtype=np.int32),
                       scope=np.zeros(len(kind), dtype=np.int32), scopes=("",), inputs={"x": n_inputs},
                       outputs={"y": np.array([len(kind) - 1])})


@needs_proc
def test_wide_majority_file_simulates_in_bounded_memory(tmp_path):
    path = tmp_path / "wide.tc0"
    wide_majority(30_000_000).save(path)
    assert path.stat().st_size < 200_000
    for x, want in (("0xff", "0x1"), ("0xfe", "0x0")):
        run = run_cli("simulate", path, "--ints", x)
        assert run.returncode == 0 and run.stdout.split() == [want], run.stderr
        assert run.peak_bytes < 1 << 30, run.peak_bytes  # the fan-in list itself is 120 MB


def test_refusal_names_both_figures():
    c = wide_majority(100_000)
    need = estimated_bytes(c)
    with pytest.raises(CircuitError, match=r"needs about .* \(11 nodes\), more than the 1\.0 MiB of memory available"):
        check_memory(c, available=1 << 20)
    check_memory(c, available=need)  # exactly enough: accepted


@pytest.mark.parametrize("make", [small_circuit, lambda: compile_gadget("int:mul", 8, None, None, None),
                                  lambda: wide_majority(20_000), lambda: wide_majority(3_000)],
                         ids=["int:add", "int:mul", "MAJ of 20000", "MAJ of 3000"])
def test_estimate_bounds_what_compiling_and_a_run_take(make):
    c = make()
    tracemalloc.start()
    try:
        schedule = Schedule(c)
        schedule.run(np.zeros((c.n_inputs, 1), dtype=np.uint64))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= estimated_bytes(c), (peak, estimated_bytes(c))
