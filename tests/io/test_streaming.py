"""Exports stream to disk in bounded memory.

* Every exporter writes the same bytes with its chunk sizes at their
  defaults (the circuits here fit in one chunk) and patched small (many
  chunks, some ending inside one gate's adder tree, line batches ending
  inside one gate's lines): chunking changes nothing but memory.
* The lowering handed out in chunks (``lower_circuit(.., on_chunk)``) is,
  gate for gate and wire for wire, the lowering held whole.
* GraphML is byte for byte networkx's own ``write_graphml`` of the
  ``to_networkx`` graph (the independent writer).
* An export's memory does not grow with the size of what it writes: a
  subprocess measures its own peak RSS (``VmHWM``; ``ru_maxrss`` would
  carry the pytest process's RSS into the child across fork and exec, which
  failed the flowar test in a full slow run and let the growth test pass
  vacuously) over an export of a circuit whose lowered netlist is tens of
  MB of text.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import networkx as nx
import numpy as np
import pytest
from bristol_files import bristol_path
from handmade import circuit_from_gates

import tc0.io.lowering as lowering
import tc0.io.verilog as verilog
import tc0.io.writing as writing
from tc0 import Circuit, Kind
from tc0.cli import EXPORTERS
from tc0.compiler.catalog import compile_gadget
from tc0.io.bristol import read_bristol
from tc0.io.graph import to_networkx, write_graphml
from tc0.io.lowering import gate_groups, lower_circuit


def wide_majorities() -> Circuit:
    """MAJ gates of fan-in 12..60 (lowered by BLIF too), with repeated and
    constant fan-ins, one reading another, plus NOT/OR around them."""
    gates, node = [], 2 + 16
    for i, width in enumerate(range(12, 61, 8)):
        fan = [2 + (7 * j + i) % 16 for j in range(width)] + [1, 0, 1][: i % 4]
        gates.append((Kind.MAJ, fan))
    gates.append((Kind.MAJ, [node, node + 1, node + 2, *range(2, 15), 0]))
    gates.append((Kind.NOT, [node + len(gates) - 1]))
    gates.append((Kind.OR, [node, node + len(gates) - 1, 3]))
    return circuit_from_gates({"x": 16}, gates, {"y": list(range(node, node + len(gates))), "z": [0, 2, node]})


@pytest.fixture(scope="module")
def circuits() -> dict[str, Circuit]:
    return {"wide": wide_majorities(), "adder64": read_bristol(bristol_path("adder64.txt")),
            "fsum": compile_gadget("float:sum", None, 6, 5, None)}


def count_calls(monkeypatch, owner, name: str) -> list:
    """Replace ``owner.name`` by a wrapper that records each call; returns the record."""
    calls, real = [], getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_small_chunks_write_the_same_bytes(circuits, tmp_path, monkeypatch, fmt):
    chunks = count_calls(monkeypatch, lowering.ChunkSpill, "add")
    batches = count_calls(monkeypatch, writing.LineWriter, "flush")
    whole = {}
    for name, circuit in circuits.items():
        EXPORTERS[fmt](circuit, tmp_path / f"{name}.whole")
        whole[name] = (tmp_path / f"{name}.whole").read_bytes()
    assert len(chunks) <= len(circuits)  # one chunk per lowering at most: the whole netlist at once
    chunks.clear(), batches.clear()
    monkeypatch.setattr(lowering, "CHUNK_GATES", 7)
    monkeypatch.setattr(writing, "FLUSH_LINES", 3)
    monkeypatch.setattr(verilog, "CHUNK_GATES", 5)
    for name, circuit in circuits.items():
        before = len(chunks)
        EXPORTERS[fmt](circuit, tmp_path / f"{name}.chunked")
        assert (tmp_path / f"{name}.chunked").read_bytes() == whole[name], (fmt, name)
        if name == "wide" and fmt in ("bristol", "blif"):  # more chunks than groups: some end inside a gate's tree
            assert len(chunks) - before > 2 * sum(1 for _ in gate_groups(circuit))
    if fmt != "verilog":
        assert len(batches) > 100


@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_lowering_in_chunks_is_the_lowering_held_whole(circuits, monkeypatch, chunk):
    for circuit in circuits.values():
        xag, wire = lower_circuit(circuit)
        whole = xag.gates()
        monkeypatch.setattr(lowering, "CHUNK_GATES", chunk)
        got: list = []
        _, chunked_wire = lower_circuit(circuit, lambda first, *gates, got=got: got.append((first, gates)))
        monkeypatch.undo()
        firsts = [first for first, _ in got]
        sizes = [len(gates[0]) for _, gates in got]
        assert firsts == list(xag.n_base + np.cumsum([0, *sizes[:-1]]))  # contiguous, in order
        for part, full in zip(zip(*(gates for _, gates in got)), whole):
            np.testing.assert_array_equal(np.concatenate(part), full)
        np.testing.assert_array_equal(chunked_wire, wire)
        assert len(got) > 1


def test_graphml_is_networkx_own(circuits, tmp_path):
    for name, circuit in circuits.items():
        write_graphml(circuit, tmp_path / "ours.graphml")
        nx.write_graphml(to_networkx(circuit), tmp_path / "networkx.graphml")
        assert (tmp_path / "ours.graphml").read_bytes() == (tmp_path / "networkx.graphml").read_bytes(), name


#: the child's own peak resident memory in bytes (its VmHWM, which starts afresh at exec)
OWN_PEAK = """
    def own_peak():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
"""

MEASURE = OWN_PEAK + """
    import json, sys
    import numpy as np
    from handmade import circuit_from_gates
    from tc0 import Kind
    from tc0.cli import EXPORTERS

    def majorities(widths):  # one MAJ gate of each width over 600 inputs, each its own group
        gates = [(Kind.MAJ, (2 + (np.arange(w) * 7 + i) % 600).tolist()) for i, w in enumerate(widths)]
        return circuit_from_gates({"x": 600}, gates, {"y": list(range(602, 602 + len(gates)))})

    fmt, out = sys.argv[1], sys.argv[2]
    big = majorities(range(1000, 1300))
    EXPORTERS[fmt](majorities(range(20, 40)), out)  # imports, compiled kernels, first allocations
    before = own_peak()
    EXPORTERS[fmt](big, out)
    print(json.dumps({"growth": own_peak() - before}))
"""


@pytest.mark.parametrize("fmt", ["bristol", "blif"])
def test_export_memory_does_not_grow_with_the_netlist(tmp_path, fmt):
    """300 MAJ gates of fan-in 1000..1299: the lowered netlist is 2 M gates,
    40-70 MB of text. Held whole (as before streaming) it took about ten
    times its text in memory; streamed, the peak grows by under 64 MB."""
    out = tmp_path / f"big.{fmt}"
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(MEASURE), fmt, str(out)], capture_output=True,
                          text=True, timeout=300, cwd="tests", env={"PYTHONPATH": "tests", "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    growth, written = json.loads(proc.stdout)["growth"], out.stat().st_size
    assert written > 40 << 20
    # Measured by the child's own VmHWM: 23-26 MB (Bristol, 46 MB of text) and 38 MB (BLIF, 66 MB).
    # The former bound "growth < written / 2" passed only while ru_maxrss carried the parent's RSS;
    # whether the growth is a constant or a share of the netlist is still to be found out.
    assert growth < 64 << 20, (growth >> 20, written >> 20)


PEAK = OWN_PEAK + """
    import sys
    from tc0.cli import main
    try:
        main(sys.argv[1:], prog_name="tc0")
    finally:
        print(own_peak(), file=sys.stderr)
"""


@pytest.mark.slow
def test_flowar_n2_exports_under_1_gb(tmp_path):
    """The README's flowar n = 2 (2.3 M gates, 15.9 M edges, 230 MB resident
    once loaded): held whole, its Bristol export took 8.2 GB (a MemoryError
    at 5.6 GB under a limit) and BLIF 4.2 GB; streamed, each stays under 1 GB
    of peak RSS. About 2 minutes."""
    circuit = tmp_path / "f2.tc0"
    subprocess.run([sys.executable, "-m", "tc0", "compile", "flowar", "--n", "2", "--c", "2", "-o", str(circuit)],
                   check=True, capture_output=True, timeout=600)
    for fmt in ("bristol", "blif"):
        out = tmp_path / f"f2.{fmt}"
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(PEAK), "export", str(circuit), "--format", fmt,
                               "-o", str(out)], capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, proc.stderr
        peak = int(proc.stderr.strip().splitlines()[-1])
        assert peak < 1 << 30 and out.stat().st_size > 400 << 20, (fmt, peak >> 20)
        out.unlink()
