"""BLIF import (tc0.io.blif_reader): files ABC writes (after strash, after
mapping to covers) and tc0's own BLIF export import to the same function as
their source on random inputs; malformed files give one-line errors."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from bristol_files import bristol_path
from cli_helpers import fails, ok

from tc0 import simulate
from tc0.compiler.catalog import compile_gadget
from tc0.errors import FormatError
from tc0.io.blif import write_blif
from tc0.io.blif_reader import parse_blif, read_blif
from tc0.io.bristol import read_bristol

ABC = shutil.which("berkeley-abc") or shutil.which("yosys-abc")


def outputs_on(circuit, bits: dict) -> np.ndarray:
    return np.concatenate([simulate(circuit, bits)[name] for name in circuit.outputs], axis=1)


def random_bits(circuit, seed=0, samples=512) -> dict:
    rng = np.random.default_rng(seed)
    return {name: rng.integers(0, 2, size=(samples, width), dtype=np.uint8) for name, width in circuit.inputs.items()}


@pytest.mark.parametrize("source", ["float:add", "float:div", "int:mul"])
def test_tc0_blif_export_round_trips(source, tmp_path):
    circuit = compile_gadget(source, p=5, e=4) if source.startswith("float") else compile_gadget(source, bits=6)
    write_blif(circuit, tmp_path / "c.blif")
    back = read_blif(tmp_path / "c.blif")
    assert back.inputs == circuit.inputs
    bits = random_bits(circuit)
    np.testing.assert_array_equal(outputs_on(back, bits), outputs_on(circuit, bits))


@pytest.mark.skipif(ABC is None, reason="berkeley-abc (or yosys-abc) is not on PATH")
@pytest.mark.parametrize("name, script", [("FP-add.txt", "strash"), ("aes_128.txt", "strash"),
                                          ("adder64.txt", "strash; dc2; logic")])
def test_blif_written_by_abc_imports_to_the_same_function(name, script, tmp_path):
    circuit = read_bristol(bristol_path(name))
    write_blif(circuit, tmp_path / "tc0.blif")
    done = subprocess.run([ABC, "-c", f"read {tmp_path / 'tc0.blif'}; {script}; write_blif {tmp_path / 'abc.blif'}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    written = read_blif(tmp_path / "abc.blif")
    assert written.inputs == circuit.inputs
    bits = random_bits(circuit, seed=2)
    np.testing.assert_array_equal(outputs_on(written, bits), outputs_on(circuit, bits))


def test_covers_out_of_order_with_constants_and_off_sets():
    text = """# y = (a AND NOT b) OR c, z = NOT(a OR b), k = 1, w = 0
.model m
.inputs a[0] a[1] \\
  c[0]
.outputs y[0] z[0] z[1] z[2]
.names t c[0] y[0]
1- 1
-1 1
.names a[0] a[1] t
10 1
.names a[0] a[1] z[0]
00 1
.names z[1]
1
.names z[2]
.end
"""
    c = parse_blif(text)
    assert c.inputs == {"a": 2, "c": 1} and {k: len(v) for k, v in c.outputs.items()} == {"y": 1, "z": 3}
    a = np.array([[x & 1, x >> 1 & 1] for x in range(8)], np.uint8)
    cc = np.array([[x >> 2 & 1] for x in range(8)], np.uint8)
    got = simulate(c, {"a": a, "c": cc})
    want_y = [(x & 1 and not x >> 1 & 1) or x >> 2 & 1 for x in range(8)]
    np.testing.assert_array_equal(got["y"][:, 0], np.array(want_y, np.uint8))
    np.testing.assert_array_equal(got["z"][:, 0], np.array([not (x & 3) for x in range(8)], np.uint8))
    assert (got["z"][:, 1] == 1).all() and (got["z"][:, 2] == 0).all()


@pytest.mark.parametrize("text, needle", [
    (".model m\n.inputs a\n.outputs q\n.latch a q 0\n.end\n", ".latch: a sequential circuit"),
    (".model m\n.inputs a\n.outputs y\n.subckt f x=a y=y\n.end\n", "unsupported directive .subckt"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.model n\n", "a second .model"),
    (".model m\n.inputs a b\n.outputs y\n.names a b y\n1 1\n", "must be 2 of 0/1/-"),
    (".model m\n.inputs a b\n.outputs y\n.names a b y\n1x 1\n", "must be 2 of 0/1/-"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n0 0\n", "mixes on-set and off-set"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.names a y\n0 1\n", "net y is defined twice"),
    (".model m\n.inputs a\n.outputs y\n.names a b y\n11 1\n", "net b is read but never defined"),
    (".model m\n.inputs a\n.outputs y\n.names a t y\n11 1\n.names y t\n1 1\n", "combinational loop"),
    (".model m\n.inputs a\n.outputs y z\n.names a y\n1 1\n", "output net z is never defined"),
    (".model m\n.inputs a\n.names a y\n1 1\n", "no .outputs"),
    ("1 1\n", "a cube line outside any .names"),
])
def test_malformed_blif_is_refused_in_one_line(text, needle, tmp_path):
    with pytest.raises(FormatError, match=re.escape(needle)):
        parse_blif(text)
    path = tmp_path / "bad.blif"
    path.write_text(text)
    fails("import", str(path), "-o", str(tmp_path / "x.tc0"), needles=("BLIF", needle))


def test_import_blif_from_the_command_line(tmp_path):
    circ = tmp_path / "add.tc0"
    ok("compile", "float:add", "--p", "4", "--e", "4", "-o", str(circ))
    ok("export", str(circ), "--format", "blif", "-o", str(tmp_path / "add.blif"))
    assert "add" in ok("import", str(tmp_path / "add.blif"), "-o", str(tmp_path / "back.tc0")).output
