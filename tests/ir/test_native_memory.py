"""Loading a big circuit file (tc0.ir.native): it round-trips exactly, and a
fresh process that loads it and computes its levels peaks at little more than
the circuit's own arrays (no temporary the size of the circuit)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tc0
from tc0 import Kind

#: the most a load (with ``level``) may grow a fresh process, per byte of the loaded arrays
MAX_GROWTH = 1.6

#: prints how much loading the circuit file argv[1] and its levels raise the
#: process's peak RSS above its RSS after the imports. The peak is VmHWM, the
#: process's own high-water mark: ru_maxrss would be at least the parent's RSS,
#: as Linux carries it over an exec from a (v)forked child.
_MEASURE_LOAD = """
import sys
import numpy as np
import tc0

def status_kib(field):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))

after_import = status_kib("VmRSS")
circuit = tc0.load(sys.argv[1])
circuit.level
print((status_kib("VmHWM") - after_import) * 1024)
"""


def _layered_circuit(n_gates: int, n_inputs: int = 64, fanin: int = 3) -> tc0.Circuit:
    """A valid circuit of ``n_gates`` AND/OR/MAJ gates of fan-in ``fanin``:
    gate ``v`` reads gates ``v-1``, ``v-2``, ... at strides that grow with the
    fan-in slot, so levels grow and fan-ins reach far back."""
    first_gate = 2 + n_inputs
    n = first_gate + n_gates
    kind = np.full(n, Kind.INPUT, dtype=np.uint8)
    kind[0], kind[1] = Kind.CONST0, Kind.CONST1
    kind[first_gate:] = np.array([Kind.AND, Kind.OR, Kind.MAJ], dtype=np.uint8)[np.arange(n_gates) % 3]
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[first_gate + 1 :] = np.arange(1, n_gates + 1) * fanin
    gate = np.arange(first_gate, n, dtype=np.int64)
    fanins = np.empty((n_gates, fanin), dtype=np.int32)
    for slot in range(fanin):
        fanins[:, slot] = gate - 1 - gate % np.minimum(gate, 1 << (4 * slot + 1))
    scope = (np.arange(n) // 100_000 % 4).astype(np.int32)
    return tc0.Circuit(kind=kind, offsets=offsets, fanins=fanins.ravel(), scope=scope,
                       scopes=("", "a", "a/b", "c"), inputs={"x": n_inputs}, outputs={"y": np.arange(n - 8, n)})


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_big_circuit_round_trips_within_memory(tmp_path):
    c = _layered_circuit(5_000_000)
    path = tmp_path / "big.tc0"
    c.save(path)
    d = tc0.load(path)  # also leaves the load's compiled kernels cached for the fresh process
    for field in ("kind", "offsets", "fanins", "scope", "level"):
        np.testing.assert_array_equal(getattr(d, field), getattr(c, field))
    assert d.outputs["y"].tolist() == c.outputs["y"].tolist()
    assert (d.inputs, d.scopes, d.depth) == (c.inputs, c.scopes, c.depth)

    in_memory = sum(a.nbytes for a in (d.kind, d.offsets, d.fanins, d.scope, d.level))
    del d
    package_root = str(Path(tc0.__file__).parents[1])  # the fresh process imports this same tc0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-c", _MEASURE_LOAD, str(path)], capture_output=True, text=True,
                         check=True, cwd=tmp_path, env=env)
    growth = int(run.stdout)
    assert growth <= MAX_GROWTH * in_memory, f"load grew the process by {growth / in_memory:.2f}x the circuit"
