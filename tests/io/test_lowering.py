"""Direct tests of ``tc0.io.lowering``: the lowering of strict AND/OR/NOT/MAJ
circuits to 2-input AND/XOR + INV netlists (``Xag``), ``lower_circuit`` and
``gate_groups``.

Oracles, both written here: the original circuit is evaluated per DESIGN
section 2 (AND/OR/NOT; MAJ = strictly more than half of its fan-ins are 1,
a repeated fan-in counting every time, constants 0/1 among the fan-ins) on
numpy bool vectors over every input assignment; the lowered netlist is
evaluated on plain Python integers used as bit sets over the same
assignments (bit j of a wire's integer = its value on assignment j).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from handmade import circuit_from_gates

import tc0
from tc0 import Kind
from tc0.io.lowering import AND2, INV, XOR2, Xag, gate_groups, lower_circuit

# ---------------------------------------------------------------- the oracles


def circuit_values(circuit) -> list[np.ndarray]:
    """Every node's value (bool vector over the 2^I assignments; input bit j
    of assignment a is bit j of a), per DESIGN section 2."""
    n_in = circuit.n_inputs
    assignments = np.arange(1 << n_in)
    vals: list[np.ndarray] = [np.zeros(1 << n_in, dtype=bool), np.ones(1 << n_in, dtype=bool)]
    vals += [((assignments >> j) & 1).astype(bool) for j in range(n_in)]
    for v in range(circuit.first_gate, circuit.n_nodes):
        fan = [int(u) for u in circuit.fanins[circuit.offsets[v] : circuit.offsets[v + 1]]]
        kind = Kind(int(circuit.kind[v]))
        rows = np.array([vals[u] for u in fan])
        if kind == Kind.AND:
            out = rows.all(axis=0)
        elif kind == Kind.OR:
            out = rows.any(axis=0)
        elif kind == Kind.NOT:
            assert len(fan) == 1
            out = ~rows[0]
        elif kind == Kind.MAJ:
            out = 2 * rows.sum(axis=0) > len(fan)  # strictly more than half
        else:  # pragma: no cover - the circuit is malformed
            raise AssertionError(f"node {v} has kind {kind}")
        vals.append(out)
    return vals


def as_bitset(values) -> int:
    """A bool vector over assignments as a Python int (bit a = value on assignment a)."""
    return int.from_bytes(np.packbits(np.asarray(values, dtype=bool), bitorder="little").tobytes(), "little")


def ones_count(n_inputs: int) -> np.ndarray:
    """Number of 1 input bits of every assignment."""
    a = np.arange(1 << n_inputs)
    return sum((a >> j) & 1 for j in range(n_inputs)) if n_inputs else np.zeros(1, dtype=int)


def xag_values(xag: Xag, n_inputs: int) -> list[int]:
    """Every wire of a lowered netlist (base wires: constant 0, constant 1,
    the inputs) as Python-int bit sets over the 2^n_inputs assignments."""
    n_assign = 1 << n_inputs
    mask = (1 << n_assign) - 1
    wires = [0, mask]
    assignments = np.arange(n_assign)
    for j in range(n_inputs):
        wires.append(as_bitset((assignments >> j) & 1))
    assert xag.n_base == len(wires)
    op, a, b = xag.gates()
    for o, x, y in zip(op.tolist(), a.tolist(), b.tolist()):
        here = len(wires)
        assert 0 <= x < here, "a fan-in must be an earlier wire"
        if o == AND2:
            assert 0 <= y < here
            wires.append(wires[x] & wires[y])
        elif o == XOR2:
            assert 0 <= y < here
            wires.append(wires[x] ^ wires[y])
        elif o == INV:
            assert y == -1
            wires.append(mask ^ wires[x])
        else:  # pragma: no cover
            raise AssertionError(f"unknown op {o}")
    assert len(wires) == xag.n_wires
    return wires


def xag_depth(xag: Xag) -> int:
    """Longest base-wire-to-wire path, every gate (INV included) counting 1."""
    level = [0] * xag.n_base
    op, a, b = xag.gates()
    for o, x, y in zip(op.tolist(), a.tolist(), b.tolist()):
        level.append(1 + max(level[x], level[y] if y >= 0 else 0))
    return max(level)


def assert_lowering_exact(circuit):
    """The lowered netlist computes every node of ``circuit`` (outputs
    included) on every input assignment."""
    xag, wire = lower_circuit(circuit)
    assert wire.shape == (circuit.n_nodes,)
    expected = circuit_values(circuit)
    got = xag_values(xag, circuit.n_inputs)
    for v in range(circuit.n_nodes):
        assert got[int(wire[v])] == as_bitset(expected[v]), f"node {v} ({Kind(int(circuit.kind[v])).name})"
    for ids in circuit.outputs.values():
        for v in np.asarray(ids).tolist():
            assert got[int(wire[v])] == as_bitset(expected[v])
    return xag, wire


def gate_count(xag: Xag) -> dict[int, int]:
    op, _, _ = xag.gates()
    return {code: int(np.count_nonzero(op == code)) for code in (AND2, XOR2, INV)}


def assert_one_inv_per_wire(xag: Xag):
    """Each wire has at most one INV reading it, and no INV reads an INV."""
    op, a, _ = xag.gates()
    inv_inputs = a[op == INV]
    assert len(set(inv_inputs.tolist())) == len(inv_inputs), "a wire has two INVs"
    full_op = np.concatenate([np.full(xag.n_base, 255), op])
    assert not np.any(full_op[inv_inputs] == INV), "INV of an INV was not folded"


# ---------------------------------------------------------------- random circuits


def random_circuit(seed: int, n_inputs: int, n_gates: int, max_fanin: int = 6, wide: int = 20):
    """A random circuit through ``tc0.Builder``: AND/OR/NOT/MAJ and thresholds
    over earlier nodes, fan-ins drawn with replacement (repeats) and with the
    constants among them; some MAJ gates of fan-in up to ``wide``."""
    rng = random.Random(seed)
    b = tc0.Builder()
    pool = [0, 1] + [int(v) for v in b.input("x", n_inputs)]

    def draw(f):
        picks = []
        for _ in range(f):
            r = rng.random()
            if r < 0.1:
                picks.append(rng.choice([0, 1]))  # a constant fan-in
            elif r < 0.25 and picks:
                picks.append(rng.choice(picks))  # a repeated fan-in
            else:
                picks.append(rng.choice(pool))
        return np.array(picks)

    for _ in range(n_gates):
        what = rng.choice(["AND", "OR", "NOT", "MAJ", "MAJ", "WIDE", "THRESHOLD"])
        if what == "NOT":
            g = b.not_(rng.choice(pool))
        elif what in ("AND", "OR"):
            g = b.gate(Kind[what], draw(rng.randint(1, max_fanin)))
        elif what == "MAJ":
            g = b.gate(Kind.MAJ, draw(rng.randint(1, max_fanin)))
        elif what == "WIDE":
            g = b.gate(Kind.MAJ, draw(rng.randint(max_fanin, wide)))
        else:
            f = rng.randint(1, wide)
            g = b.threshold(draw(f), rng.randint(-1, f + 1))
        pool.append(int(g))
    outs = rng.sample(pool[2:], k=min(len(pool) - 2, 6)) + pool[-3:]
    b.output("y", np.array(outs))
    return b.build()


@pytest.mark.parametrize("seed", range(30))
def test_random_builder_circuits_lower_exactly(seed):
    rng = random.Random(1000 + seed)
    circuit = random_circuit(seed, n_inputs=rng.randint(1, 8), n_gates=rng.randint(1, 40))
    xag, _ = assert_lowering_exact(circuit)
    assert_one_inv_per_wire(xag)


def test_random_circuits_contain_the_interesting_maj_gates():
    """The generator above does produce what the lowering has to handle:
    MAJ gates with constant fan-ins, with repeated fan-ins, and wide ones."""
    const = repeat = wide = 0
    for seed in range(30):
        rng = random.Random(1000 + seed)
        c = random_circuit(seed, n_inputs=rng.randint(1, 8), n_gates=rng.randint(1, 40))
        for v in range(c.first_gate, c.n_nodes):
            if c.kind[v] == Kind.MAJ:
                fan = c.fanin_of(v).tolist()
                const += any(u <= 1 for u in fan)
                repeat += len(set(fan)) < len(fan)
                wide += len(fan) >= 12
    assert const >= 5 and repeat >= 5 and wide >= 5, (const, repeat, wide)


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5, 7, 8, 9, 12, 16])
def test_every_threshold_of_r_distinct_inputs(r):
    """At least k of r distinct inputs, every k (including the ones that fold
    to constants), on all 2^r assignments."""
    b = tc0.Builder()
    x = b.input("x", r)
    b.output("y", b.threshold(np.broadcast_to(x, (r + 3, r)), np.arange(-1, r + 2)))
    circuit = b.build()
    assert_lowering_exact(circuit)
    # and directly against the count of ones
    xag, wire = lower_circuit(circuit)
    got = xag_values(xag, r)
    for k, v in zip(range(-1, r + 2), circuit.outputs["y"].tolist()):
        want = as_bitset(ones_count(r) >= k)
        assert got[int(wire[v])] == want, k


def test_wide_maj_of_twenty_fanins_with_repeats_and_constants():
    """MAJ of fan-in 20 over 8 inputs: weights 1..4 by repetition, plus
    constant fan-ins of both values."""
    fanin = [2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7, 8, 9, 1, 1, 0, 0, 0, 1]
    assert len(fanin) == 20
    circuit = circuit_from_gates({"x": 8}, [(Kind.MAJ, fanin)], {"y": [10]})
    assert_lowering_exact(circuit)
    xag, wire = lower_circuit(circuit)
    got = xag_values(xag, 8)[int(wire[10])]
    weights = [4, 3, 2, 1, 1, 1, 1, 1]  # x0 four times, x1 three times, x2 twice
    a = np.arange(256)
    want = as_bitset(3 + sum(w * ((a >> j) & 1) for j, w in enumerate(weights)) > 10)
    assert got == want


# ---------------------------------------------------------------- hand-made circuits


HANDMADE = {
    # AND/OR reading constants and repeats, which the builder would fold away
    "and_with_constants": ({"x": 3}, [(Kind.AND, [2, 1, 3, 2]), (Kind.AND, [2, 0]), (Kind.OR, [0, 3, 3])], [5, 6, 7]),
    "or_with_one": ({"x": 2}, [(Kind.OR, [2, 1]), (Kind.OR, [0, 0])], [4, 5]),
    "double_negation": ({"x": 2}, [(Kind.NOT, [2]), (Kind.NOT, [4]), (Kind.AND, [5, 3])], [4, 5, 6]),
    "not_of_constants": ({"x": 1}, [(Kind.NOT, [0]), (Kind.NOT, [1])], [3, 4]),
    "maj_all_constant": ({"x": 1}, [(Kind.MAJ, [1, 1, 0]), (Kind.MAJ, [0, 0, 1]), (Kind.MAJ, [1]), (Kind.MAJ, [0])],
                         [3, 4, 5, 6]),
    # k <= 0: ones alone are a strict majority; k > r: the zeros alone prevent it
    "maj_k_out_of_range": ({"x": 2}, [(Kind.MAJ, [2, 1, 1, 1]), (Kind.MAJ, [2, 3, 0, 0, 0, 0])], [4, 5]),
    "maj_even_fanin_tie_is_0": ({"x": 2}, [(Kind.MAJ, [2, 3]), (Kind.MAJ, [2, 3, 1, 0])], [4, 5]),
    "maj_one_of_many": ({"x": 3}, [(Kind.MAJ, [2, 3, 4, 1, 1])], [5]),  # at least 1 of 3: OR
    "maj_all_of_many": ({"x": 3}, [(Kind.MAJ, [2, 3, 4, 0, 0])], [5]),  # at least 3 of 3: AND
    "maj_single_fanin": ({"x": 1}, [(Kind.MAJ, [2]), (Kind.MAJ, [2, 2, 2])], [3, 4]),
    "maj_of_gates": ({"x": 3}, [(Kind.NOT, [2]), (Kind.OR, [3, 4]), (Kind.MAJ, [5, 6, 6, 2, 0])], [7]),
    "outputs_are_sources": ({"x": 2}, [(Kind.AND, [2, 3])], [0, 1, 2, 3, 4]),
}


@pytest.mark.parametrize("name", sorted(HANDMADE))
def test_handmade_circuits_lower_exactly(name):
    inputs, gates, outs = HANDMADE[name]
    circuit = circuit_from_gates(inputs, gates, {"y": outs})
    xag, _ = assert_lowering_exact(circuit)
    assert_one_inv_per_wire(xag)


def test_constant_maj_gates_cost_nothing():
    """MAJ decided by its constant fan-ins lowers to the constant wire itself."""
    inputs, gates, outs = HANDMADE["maj_all_constant"]
    circuit = circuit_from_gates(inputs, gates, {"y": outs})
    xag, wire = lower_circuit(circuit)
    assert wire[3:7].tolist() == [1, 0, 1, 0]  # wires 0/1 are the constants
    assert sum(gate_count(xag).values()) == 0
    inputs, gates, outs = HANDMADE["maj_k_out_of_range"]
    xag, wire = lower_circuit(circuit_from_gates(inputs, gates, {"y": outs}))
    assert wire[4:6].tolist() == [1, 0]
    assert sum(gate_count(xag).values()) == 0


def test_sources_keep_their_wire():
    inputs, gates, outs = HANDMADE["outputs_are_sources"]
    circuit = circuit_from_gates(inputs, gates, {"y": outs})
    xag, wire = lower_circuit(circuit)
    assert xag.n_base == circuit.first_gate == 4
    assert wire[:4].tolist() == [0, 1, 2, 3]


# ---------------------------------------------------------------- documented sizes


@pytest.mark.parametrize("f", [1, 2, 3, 4, 5, 7, 8, 13, 16, 20])
def test_and_of_fanin_f_is_f_minus_1_and2_in_a_balanced_tree(f):
    circuit = circuit_from_gates({"x": f}, [(Kind.AND, list(range(2, 2 + f)))], {"y": [2 + f]})
    xag, _ = assert_lowering_exact(circuit)
    assert gate_count(xag) == {AND2: f - 1, XOR2: 0, INV: 0}
    assert xag_depth(xag) == math.ceil(math.log2(f))


@pytest.mark.parametrize("f", [2, 3, 6, 11, 20])
def test_or_of_fanin_f_is_de_morgan(f):
    """OR -> INV of the AND tree of the INVs: f - 1 AND2 and f + 1 INV
    (one per distinct fan-in, one on the result)."""
    circuit = circuit_from_gates({"x": f}, [(Kind.OR, list(range(2, 2 + f)))], {"y": [2 + f]})
    xag, _ = assert_lowering_exact(circuit)
    assert gate_count(xag) == {AND2: f - 1, XOR2: 0, INV: f + 1}


def test_or_of_one_fanin_is_the_fanin():
    """OR(x): INV(INV x) folds back to x (one INV is emitted on the way)."""
    circuit = circuit_from_gates({"x": 1}, [(Kind.OR, [2])], {"y": [3]})
    xag, wire = assert_lowering_exact(circuit)
    assert wire[3] == 2
    assert gate_count(xag) == {AND2: 0, XOR2: 0, INV: 1}


def test_not_is_one_inv_and_double_negation_folds():
    # y0 = NOT x, y1 = NOT NOT x, y2 = NOT x again (a second NOT gate of the same wire)
    circuit = circuit_from_gates({"x": 1}, [(Kind.NOT, [2]), (Kind.NOT, [3]), (Kind.NOT, [2])], {"y": [3, 4, 5]})
    xag, wire = assert_lowering_exact(circuit)
    assert gate_count(xag) == {AND2: 0, XOR2: 0, INV: 1}
    assert wire[4] == 2  # NOT NOT x is the input wire itself
    assert wire[5] == wire[3]  # both NOT x share one INV


def test_invs_are_shared_across_gates():
    """Several ORs over the same inputs: each input wire is inverted once."""
    gates = [(Kind.OR, [2, 3]), (Kind.OR, [3, 4]), (Kind.OR, [2, 4]), (Kind.OR, [2, 3, 4]), (Kind.NOT, [2])]
    circuit = circuit_from_gates({"x": 3}, gates, {"y": [5, 6, 7, 8, 9]})
    xag, _ = assert_lowering_exact(circuit)
    assert_one_inv_per_wire(xag)
    # three input INVs, one INV per OR result
    assert gate_count(xag)[INV] == 3 + 4


@pytest.mark.parametrize("r", [3, 8, 16, 32, 64, 128, 256])
def test_threshold_size_is_linear_in_r_and_depth_polylog(r):
    """A Wallace popcount costs at most one full adder (1 AND + 4 XOR) per
    input bit and a half adder (2 gates) per column; the final comparison at
    most 4 gates per count bit. Depth O(log^2 r)."""
    b = tc0.Builder()
    x = b.input("x", r)
    k = r // 2 + 1
    b.output("y", b.threshold(x, k))
    circuit = b.build()
    xag, _ = lower_circuit(circuit)
    bits = r.bit_length()
    size = sum(gate_count(xag).values())
    assert size <= 5 * r + 2 * bits + 4 * bits, (r, size)
    assert xag_depth(xag) <= 2 * bits * bits, (r, xag_depth(xag))
    if r <= 16:
        assert_lowering_exact(circuit)


# ---------------------------------------------------------------- gate_groups


def expected_group_key(circuit, v):
    """(kind, level, variable fan-ins, k) of gate v, derived from DESIGN's
    MAJ rule: ones + (variable ones) > f/2 iff variable ones >= f//2 + 1 - ones."""
    fan = circuit.fanin_of(v).tolist()
    kind = Kind(int(circuit.kind[v]))
    if kind != Kind.MAJ:
        return kind, int(circuit.level[v]), fan, 0
    ones = fan.count(1)
    return kind, int(circuit.level[v]), [u for u in fan if u > 1], len(fan) // 2 + 1 - ones


@pytest.mark.parametrize("seed", range(8))
def test_gate_groups_cover_every_gate_once_with_its_fanins(seed):
    circuit = random_circuit(100 + seed, n_inputs=6, n_gates=60)
    seen = []
    last_level = 0
    for kind, gates, fanins, k in gate_groups(circuit):
        assert fanins.shape == (len(gates), fanins.shape[1]) and len(gates) >= 1
        levels = {int(circuit.level[g]) for g in gates}
        assert len(levels) == 1, "a group spans levels"
        level = levels.pop()
        assert level >= last_level, "groups are not in level order"
        last_level = level
        for g, row in zip(gates.tolist(), fanins.tolist()):
            want_kind, want_level, want_fan, want_k = expected_group_key(circuit, g)
            assert kind == want_kind and level == want_level
            assert k == want_k
            if kind == Kind.MAJ:
                assert sorted(row) == sorted(want_fan)  # constants dropped, repeats kept
            else:
                assert row == want_fan
            seen.append(g)
    assert sorted(seen) == list(range(circuit.first_gate, circuit.n_nodes))


def test_gate_groups_maj_rows_are_thresholds_of_the_gate():
    """Semantically: 'at least k of the row' equals the MAJ gate on every assignment."""
    circuit = random_circuit(7, n_inputs=7, n_gates=50)
    vals = circuit_values(circuit)
    n_maj = 0
    for kind, gates, fanins, k in gate_groups(circuit):
        if kind != Kind.MAJ:
            continue
        for g, row in zip(gates.tolist(), fanins.tolist()):
            count = sum(vals[u].astype(int) for u in row) if row else np.zeros_like(vals[0], dtype=int)
            assert np.array_equal(count >= k, vals[g]), g
            n_maj += 1
    assert n_maj > 0


def test_gate_groups_fold_constants_of_a_handmade_maj():
    # MAJ(x0, x0, x1, 1, 0): f = 5, one constant 1 -> at least 2 of (x0, x0, x1)
    circuit = circuit_from_gates({"x": 2}, [(Kind.MAJ, [2, 2, 3, 1, 0]), (Kind.MAJ, [1, 1, 0])], {"y": [4, 5]})
    groups = {int(g[0]): (kind, row.tolist(), k) for kind, g, row, k in gate_groups(circuit)}
    assert groups[4] == (Kind.MAJ, [[2, 2, 3]], 2)
    # all-constant: no variable fan-in left, k = 3//2 + 1 - 2 = 0 (always 1)
    assert groups[5] == (Kind.MAJ, [[]], 0)


def test_gate_groups_of_a_gateless_circuit_is_empty():
    circuit = circuit_from_gates({"x": 2}, [], {"y": [2, 3]})
    assert list(gate_groups(circuit)) == []
    xag, wire = lower_circuit(circuit)
    assert xag.n_wires == xag.n_base == 4 and wire.tolist() == [0, 1, 2, 3]


# ---------------------------------------------------------------- the Xag itself


def test_xag_primitives_on_all_inputs():
    """The Xag's own AND/XOR/INV/OR/trees against the bit-set evaluator."""
    xag = Xag(2 + 4)  # constants and 4 inputs
    x = np.arange(2, 6)
    a = xag.and_(x[0], x[1])
    o = xag.or_(x[2], x[3])
    e = xag.xor(x[0], x[3])
    t_and = xag.and_tree(x[None, :])
    t_or = xag.or_tree(x[None, :])
    thr = xag.threshold(x[None, :], 2)
    pc = xag.popcount(x[None, :])
    w = xag_values(xag, 4)
    q = np.arange(16)
    bit = [as_bitset((q >> j) & 1) for j in range(4)]
    assert w[int(a)] == bit[0] & bit[1]
    assert w[int(o)] == bit[2] | bit[3]
    assert w[int(e)] == bit[0] ^ bit[3]
    assert w[int(t_and[0])] == bit[0] & bit[1] & bit[2] & bit[3]
    assert w[int(t_or[0])] == bit[0] | bit[1] | bit[2] | bit[3]
    assert w[int(thr[0])] == as_bitset(ones_count(4) >= 2)
    for j, wire in enumerate(pc):
        assert w[int(wire[0])] == as_bitset((ones_count(4) >> j) & 1)
    assert len(pc) == 3  # counts 0..4 need 3 bits
