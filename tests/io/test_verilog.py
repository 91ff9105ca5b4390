"""Verilog export, checked by running the exported module in Icarus Verilog
against ``tc0.simulate`` on random inputs, bit for bit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from bristol_files import BRISTOL_DIR
from int_simulation import random_inputs

from tc0 import Builder, Kind, simulate
from tc0.ir.measures import gate_counts
from tc0.errors import CircuitError
from tc0.io.bristol import read_bristol
from tc0.io.verilog import verilog_name, write_verilog

needs_icarus = pytest.mark.skipif(
    shutil.which("iverilog") is None or shutil.which("vvp") is None,
    reason="Icarus Verilog (iverilog and vvp) is not on PATH",
)


def run_icarus(circuit, inputs: dict[str, np.ndarray], workdir: Path) -> dict[str, np.ndarray]:
    """Simulate the exported ``circuit`` in Icarus on ``inputs`` ((batch, width) bits, LSB first)."""
    write_verilog(circuit, workdir / "dut.v")
    batch = len(next(iter(inputs.values())))
    decl, connect, load, drive = [], [], [], []
    for i, (name, width) in enumerate(circuit.inputs.items()):
        lines = ["".join(map(str, row[::-1])) for row in inputs[name]]
        (workdir / f"in{i}.mem").write_text("\n".join(lines) + "\n")
        decl += [f"reg [{width - 1}:0] m{i} [0:{batch - 1}];", f"reg [{width - 1}:0] i{i};"]
        connect.append(f".{verilog_name(name)}(i{i})")
        load.append(f'$readmemb("{workdir}/in{i}.mem", m{i});')
        drive.append(f"i{i} = m{i}[s];")
    outs = []
    for j, (name, ids) in enumerate(circuit.outputs.items()):
        decl.append(f"wire [{len(ids) - 1}:0] o{j};")
        connect.append(f".{verilog_name(name)}(o{j})")
        outs.append(f"o{j}")
    fmt = " ".join(["%b"] * len(outs))
    (workdir / "tb.v").write_text(
        "module tb;\n"
        + "".join(f"  {d}\n" for d in decl)
        + f"  tc0_circuit dut({', '.join(connect)});\n"
        + "  integer s;\n  initial begin\n"
        + "".join(f"    {x}\n" for x in load)
        + f"    for (s = 0; s < {batch}; s = s + 1) begin\n"
        + "".join(f"      {x}\n" for x in drive)
        + f'      #1 $display("R {fmt}", {", ".join(outs)});\n'
        + "    end\n    $finish;\n  end\nendmodule\n"
    )
    exe = workdir / "sim.vvp"
    subprocess.run(["iverilog", "-o", str(exe), str(workdir / "tb.v"), str(workdir / "dut.v")], check=True)
    stdout = subprocess.run(["vvp", "-n", str(exe)], check=True, capture_output=True, text=True).stdout
    rows = [line.split()[1:] for line in stdout.splitlines() if line.startswith("R ")]
    assert len(rows) == batch
    return {
        name: np.array([[int(c) for c in row[j][::-1]] for row in rows], dtype=np.uint8)
        for j, name in enumerate(circuit.outputs)
    }


def mixed_circuit():
    """AND/OR/NOT/MAJ with repeated and constant fan-ins; awkward port names."""
    rng = np.random.default_rng(7)
    b = Builder()
    x = b.input("x", 6)
    kw = b.input("input", 3)  # a Verilog keyword
    g = b.input("g3", 2)  # looks like a gate wire name
    wires = np.concatenate([x, kw, g])
    made = []
    for _ in range(40):
        f = int(rng.integers(1, 7))
        fan = rng.choice(wires, size=f)
        fan[rng.random(f) < 0.15] = rng.integers(0, 2)  # constant fan-ins
        op = rng.integers(4)
        if op == 0:
            made.append(b.gate(Kind.AND, fan))
        elif op == 1:
            made.append(b.or_(*fan))
        elif op == 2:
            made.append(b.not_(fan[0]))
        else:
            fan = np.concatenate([fan, fan[:1]])  # a repeated fan-in: weight 2
            made.append(b.threshold(fan, int(rng.integers(1, len(fan) + 1))))
        wires = np.append(wires, made[-1])
    b.output("a.b", np.array(made[-20:]))
    b.output("y", np.array([made[0], 1, 0, x[0]]))  # constants and an input as outputs
    return b.build()



@needs_icarus
def test_mixed_circuit_matches_icarus(tmp_path):
    circuit = mixed_circuit()
    counts = gate_counts(circuit)
    assert all(counts[k] for k in ("AND", "OR", "NOT", "MAJ"))
    assert np.any(circuit.fanins[circuit.offsets[circuit.first_gate] :] <= 1)  # a constant fan-in survived
    maj = np.flatnonzero(circuit.kind == Kind.MAJ)
    assert any(len(set(circuit.fanin_of(v).tolist())) < len(circuit.fanin_of(v)) for v in maj)  # a repeated one
    inputs = random_inputs(circuit, 300)
    expected = simulate(circuit, inputs)
    got = run_icarus(circuit, inputs, tmp_path)
    for name in circuit.outputs:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


@needs_icarus
def test_adder64_matches_icarus(tmp_path):
    circuit = read_bristol(BRISTOL_DIR / "adder64.txt")
    inputs = random_inputs(circuit, 200, seed=1)
    expected = simulate(circuit, inputs)
    got = run_icarus(circuit, inputs, tmp_path)
    np.testing.assert_array_equal(got["out0"], expected["out0"])
    # and the sum is right
    weights = 1 << np.arange(64, dtype=object)
    a, b, s = (inputs["in0"] @ weights, inputs["in1"] @ weights, got["out0"] @ weights)
    assert all((int(x) + int(y)) % (1 << 64) == int(z) for x, y, z in zip(a, b, s))


def test_maj_expression_and_names(tmp_path):
    b = Builder()
    x = b.input("x", 3)
    b.output("m", b.gate(Kind.MAJ, x))
    path = tmp_path / "m.v"
    write_verilog(b.build(), path, module="top")
    text = path.read_text()
    assert "module top(x, m);" in text
    assert "({1'd0, x[0]} + {1'd0, x[1]} + {1'd0, x[2]}) > 2'd1" in text
    assert verilog_name("ok_1") == "ok_1"
    assert verilog_name("wire") == "\\wire "
    assert verilog_name("a[0]") == "\\a[0] "


def test_same_name_input_and_output_is_rejected(tmp_path):
    b = Builder()
    x = b.input("x", 2)
    b.output("x", b.and_(x[0], x[1]))
    with pytest.raises(CircuitError, match="both input and output"):
        write_verilog(b.build(), tmp_path / "bad.v")
    assert list(tmp_path.iterdir()) == []
