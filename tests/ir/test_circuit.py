"""``Circuit`` (tc0.ir.circuit): the measures of a small built circuit (size,
edges, depth, levels), and ``Circuit.level`` (vectorized over topological
blocks) against the one-gate-at-a-time definition."""

from __future__ import annotations

import numpy as np

from tc0 import Builder, Circuit, Kind


def test_measures_of_a_small_circuit():
    """(a AND b) OR NOT c, and MAJ(a, b, c): size 4, edges 2+1+2+3, depth 2."""
    b = Builder()
    a, bb, c = b.input("x", 3)
    y = b.or_(b.and_(a, bb), b.not_(c))
    z = b.gate(Kind.MAJ, [a, bb, c])
    b.output("y", [y])
    b.output("z", [z])
    circ = b.build()
    assert circ.size == 4
    assert circ.edges == 8
    assert circ.depth == 2
    assert sorted(int(k) for k in circ.kind[circ.first_gate:]) == sorted([Kind.AND, Kind.NOT, Kind.OR, Kind.MAJ])
    assert circ.level[circ.outputs["y"][0]] == 2 and circ.level[circ.outputs["z"][0]] == 1


def test_level_by_blocks_matches_per_gate_recurrence():
    """``Circuit.level`` (vectorized over topological blocks) against the
    one-gate-at-a-time definition, on a random DAG with some fan-in-less gates."""
    rng = np.random.default_rng(7)
    first, n = 6, 400
    counts = np.where(rng.random(n) < 0.05, 0, rng.integers(1, 5, size=n))
    counts[:first] = 0
    fanins = np.concatenate([rng.integers(0, v, size=c) for v, c in zip(range(n), counts)]).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    kind = np.full(n, Kind.OR, dtype=np.uint8)
    kind[:first] = [Kind.CONST0, Kind.CONST1, *[Kind.INPUT] * (first - 2)]
    circuit = Circuit(kind, offsets, fanins, np.zeros(n, np.int32), ("",), {"x": first - 2}, {"y": np.array([n - 1])})
    expected = np.zeros(n, dtype=np.int64)
    for g in range(first, n):
        expected[g] = 1 + max((expected[v] for v in fanins[offsets[g] : offsets[g + 1]]), default=0)
    assert np.array_equal(circuit.level, expected)
