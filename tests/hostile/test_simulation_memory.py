"""Simulation memory checked before compiling (issue #15): a 118 KB ``.tc0``
with one MAJ gate of 3*10^7 fan-ins used to take 5.6 GB and end in a
traceback; the simulator now takes under 100 bytes per fan-in (2.4 GB for
that gate), estimates its memory from the circuit's edges, nodes and wide
MAJ gates, and refuses, naming both figures, when the estimate exceeds the
memory available.

Oracles: the estimate must bound the memory a compile and a run really
take, measured by ``tracemalloc`` (numpy reports its buffers to it)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from bounded_cli import needs_proc, refused
from hostile_files import small_circuit

import tc0
from tc0 import Kind
from tc0.compiler.catalog import compile_gadget
from tc0.errors import CircuitError
from tc0.memory import describe
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
def test_wide_majority_file_refused_before_compiling(tmp_path):
    path = tmp_path / "wide.tc0"
    circuit = wide_majority(30_000_000)
    circuit.save(path)
    assert path.stat().st_size < 200_000
    refused("simulate", path, "--ints", "0xff",
            needles=(f"simulating this circuit needs about {describe(estimated_bytes(circuit))}",
                     "a gate of 30,000,000 fan-ins",
                     "of memory available"))


def test_refusal_names_both_figures():
    c = wide_majority(100_000)
    need = estimated_bytes(c)
    with pytest.raises(CircuitError, match=r"needs about .* more than the 1\.0 MiB of memory available"):
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
