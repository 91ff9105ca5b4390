"""The circuits under test of the BLIF and graph export tests
(tests/io/test_blif.py, tests/io/test_graph.py; the ``circuit`` fixture that
runs a test on each of them is in tests/io/conftest.py), their random inputs,
and the comparison of an exported file's outputs with the simulator's."""

from __future__ import annotations

import numpy as np
from handmade import circuit_from_gates

from tc0 import Builder, Circuit, Kind, simulate


def maj_circuit() -> Circuit:
    """A gadget-like builder circuit: narrow and wide MAJ with weights and constants."""
    b = Builder()
    x, y = b.input("x", 8), b.input("y", 6)
    with b.scope("count"):
        narrow = b.gate(Kind.MAJ, [x[0], x[1], x[1], y[0], 1, 0, 1])
        wide = b.threshold(np.concatenate([x, y]), 6)  # 14 distinct fan-ins: lowered in BLIF
        weighted = b.threshold(np.concatenate([x, x[:3], x[:1]]), 5)  # weights 3,2,2,1,...
    with b.scope("mix"):
        mixed = b.xor(b.or_(narrow, wide), b.and_(weighted, y[5]))
    b.output("s", np.stack([narrow, wide, weighted, mixed]))
    b.output("t", np.concatenate([b.not_(x[:2]), [1, 0, int(y[2]), int(narrow)]]))
    circuit = b.build()
    assert (circuit.kind == Kind.MAJ).sum() == 3
    return circuit


def raw_circuit() -> Circuit:
    """Arrays made by hand (no builder folding): MAJ with repeated and constant
    fan-ins, AND/OR with constant and duplicate fan-ins, fan-in 1 gates."""
    gates = [
        (Kind.MAJ, [2, 2, 3, 0, 1]),  # 6
        (Kind.MAJ, [4, 4, 5, 5, 2, 1, 0, 0]),  # 7
        (Kind.AND, [2, 1, 3, 3]),  # 8
        (Kind.OR, [4, 0, 4]),  # 9
        (Kind.NOT, [7]),  # 10
        (Kind.MAJ, [6, 7, 8, 9, 10, 10, 10]),  # 11
        (Kind.AND, [5]),  # 12
        (Kind.MAJ, [1, 1, 0]),  # 13
    ]
    return circuit_from_gates({"a": 2, "b": 2}, gates, {"y": list(range(6, 14)), "z": [0, 1, 3]})


def ports_from_nets(values: dict[str, np.ndarray], circuit: Circuit) -> dict[str, np.ndarray]:
    return {
        name: np.stack([values[f"{name}[{j}]"] for j in range(len(ids))], axis=1).astype(np.uint8)
        for name, ids in circuit.outputs.items()
    }


def assert_same_outputs(got: dict[str, np.ndarray], circuit: Circuit, inputs) -> None:
    want = simulate(circuit, inputs)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=f"output {name}")
