"""BLIF export.

Every exported file is read back by something other than the writer (a
test-only BLIF cover evaluator, Yosys + ABC when installed) and must compute
the simulator's function on random inputs. The circuits under test are in
tests/export_circuits.py, run by the ``circuit`` fixture of
tests/io/conftest.py."""

from __future__ import annotations

import dataclasses
import graphlib
import random
import re
import shutil
import subprocess

import numpy as np
import pytest
from export_circuits import (
    assert_same_outputs,
    maj_circuit,
    ports_from_nets,
)
from int_simulation import random_inputs

from tc0 import Builder, Circuit
from tc0.errors import ExportError
from tc0.io.blif import MAX_COVER_INPUTS, threshold_cover, write_blif


def bits_by_net(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{port}[{j}]": bits[:, j].astype(bool) for port, bits in inputs.items() for j in range(bits.shape[1])}


def parse_blif(text: str):
    """Test-only BLIF reader: (inputs, outputs, {net: (fan-in nets, cube lines)})."""
    text = re.sub(r"#.*", "", text).replace("\\\n", " ")
    inputs, outputs, covers, current = [], [], {}, None
    for line in text.splitlines():
        tok = line.split()
        if not tok:
            continue
        if tok[0] == ".inputs":
            inputs += tok[1:]
        elif tok[0] == ".outputs":
            outputs += tok[1:]
        elif tok[0] == ".names":
            assert tok[-1] not in covers, f"net {tok[-1]} driven twice"
            current = covers[tok[-1]] = (tok[1:-1], [])
        elif tok[0] in (".model", ".end"):
            current = None
        else:
            assert not tok[0].startswith("."), f"unexpected BLIF directive {tok[0]}"
            current[1].append(tok if current[0] else ["", tok[0]])
    return inputs, outputs, covers


def eval_blif(text: str, circuit: Circuit, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate the ``.names`` covers of a BLIF text on ``inputs``; returns the output ports."""
    in_nets, out_nets, covers = parse_blif(text)
    batch = len(next(iter(inputs.values())))
    values = bits_by_net(inputs)
    assert sorted(in_nets) == sorted(values)
    order = graphlib.TopologicalSorter({net: ins for net, (ins, _) in covers.items()}).static_order()
    for net in order:
        if net in values:
            continue
        ins, cubes = covers[net]
        polarity = {value for _, value in cubes}
        assert len(polarity) <= 1, f"net {net} mixes on-set and off-set cubes"
        hit = np.zeros(batch, dtype=bool)
        for cube, _ in cubes:
            term = np.ones(batch, dtype=bool)
            for ch, src in zip(cube, ins, strict=True):
                if ch != "-":
                    term &= values[src] == (ch == "1")
            hit |= term
        values[net] = ~hit if polarity == {"0"} else hit
    return ports_from_nets({net: values[net] for net in out_nets}, circuit)


def test_blif_function_matches_simulator(circuit, tmp_path):
    path = tmp_path / "c.blif"
    write_blif(circuit, path)
    inputs = random_inputs(circuit, 300, 7)
    assert_same_outputs(eval_blif(path.read_text(), circuit, inputs), circuit, inputs)


def test_blif_names_and_covers(tmp_path):
    path = tmp_path / "c.blif"
    write_blif(maj_circuit(), path)
    text = path.read_text()
    inputs, outputs, covers = parse_blif(text)
    assert inputs == [f"x[{j}]" for j in range(8)] + [f"y[{j}]" for j in range(6)]
    assert outputs == [f"s[{j}]" for j in range(4)] + [f"t[{j}]" for j in range(6)]
    assert max(len(ins) for ins, _ in covers.values()) <= MAX_COVER_INPUTS  # wide MAJ was lowered
    assert any(name.startswith("x") and not name.endswith("]") for name in covers)
    assert threshold_cover((1, 1, 1), 2) == ("-11", "1-1", "11-")
    assert threshold_cover((3, 1, 1), 3) == ("1--",)
    assert threshold_cover((3, 1, 1), 4) == ("1-1", "11-")


def test_blif_threshold_cover_is_exact():
    rnd = random.Random(3)
    for _ in range(200):
        weights = tuple(rnd.randint(1, 4) for _ in range(rnd.randint(1, 6)))
        k = rnd.randint(1, sum(weights))
        cubes = threshold_cover(weights, k)
        for point in range(1 << len(weights)):
            chosen = [(point >> i) & 1 for i in range(len(weights))]
            covered = any(all(c == "-" or int(c) == b for c, b in zip(cube, chosen)) for cube in cubes)
            assert covered == (sum(w * b for w, b in zip(weights, chosen)) >= k)


def test_blif_refuses_unwritable_port_names(tmp_path):
    b = Builder()
    b.output("y", b.input("a", 1))
    good = b.build()  # the Builder refuses bad names: put one in past it, as a hostile file could
    bad = dataclasses.replace(good, outputs={"bad#name": good.outputs["y"]})
    with pytest.raises(ExportError, match="bad#name"):
        write_blif(bad, tmp_path / "c.blif")
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys is not on PATH")
def test_blif_through_yosys_and_abc(circuit, tmp_path):
    """Yosys reads the BLIF, ABC re-synthesizes it, and Yosys's own BLIF output
    must still compute the simulator's function."""
    src, dst = tmp_path / "c.blif", tmp_path / "yosys.blif"
    write_blif(circuit, src)
    script = f"read_blif {src}; techmap; opt; abc -g AND,OR,XOR; opt_clean; write_blif {dst}"
    subprocess.run(["yosys", "-q", "-p", script], check=True, capture_output=True, timeout=120)
    inputs = random_inputs(circuit, 300, 11)
    assert_same_outputs(eval_blif(dst.read_text(), circuit, inputs), circuit, inputs)
