"""The Builder (canonical gates, constant folding, structural hashing,
pruning, scopes, levels) and the native circuit file (save/load, validation).

Function is always checked against an oracle that does not share code with
the library: Python counts for threshold/MAJ semantics, Python integers for
arithmetic, and a slow per-node reference evaluator (``reference_eval``,
strict AND/OR/NOT/MAJ semantics of DESIGN.md section 2) that also cross-checks
the simulator.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import random
import struct
import zipfile

import numpy as np
import pytest

import tc0
from tc0 import Builder, Kind
from tc0.ir.schema import FIRST_INPUT, ONE, ZERO
from tc0.errors import CircuitError, CircuitFileError
from tc0.compiler.gadgets import integer


# --------------------------------------------------------------------------- helpers
def to_bits(values, width):
    return np.array([[(v >> i) & 1 for i in range(width)] for v in values], dtype=np.uint8)


def from_bits(bits):
    return [sum(int(b) << i for i, b in enumerate(row)) for row in bits]


def reference_eval(c, assignment: dict[str, int]) -> dict[str, int]:
    """Evaluate ``c`` node by node with the strict semantics of DESIGN.md
    section 2 (MAJ = strictly more than half of its stored fan-ins, constant
    fan-ins included). Also asserts the node schema (topological order)."""
    val = [0] * c.n_nodes
    val[ONE] = 1
    pos = FIRST_INPUT
    for name, width in c.inputs.items():
        for i in range(width):
            val[pos + i] = (assignment[name] >> i) & 1
        pos += width
    for v in range(c.first_gate, c.n_nodes):
        fan = [int(u) for u in c.fanin_of(v)]
        assert fan and all(u < v for u in fan), f"node {v} has fan-ins {fan} (not topological)"
        bits = [val[u] for u in fan]
        kind = Kind(int(c.kind[v]))
        if kind == Kind.AND:
            val[v] = int(all(bits))
        elif kind == Kind.OR:
            val[v] = int(any(bits))
        elif kind == Kind.NOT:
            assert len(bits) == 1
            val[v] = 1 - bits[0]
        elif kind == Kind.MAJ:
            val[v] = int(2 * sum(bits) > len(bits))
        else:
            raise AssertionError(f"node {v} is a gate of kind {kind!r}")
    return {name: sum(val[int(u)] << i for i, u in enumerate(ids)) for name, ids in c.outputs.items()}


def reference_levels(c) -> list[int]:
    level = [0] * c.n_nodes
    for v in range(c.first_gate, c.n_nodes):
        level[v] = 1 + max(level[int(u)] for u in c.fanin_of(v))
    return level


def simulate_ints(c, inputs: dict[str, list[int]]) -> dict[str, list[int]]:
    out = tc0.simulate(c, {p: to_bits(v, c.inputs[p]) for p, v in inputs.items()})
    return {p: from_bits(v) for p, v in out.items()}


def one_port_builder(n: int):
    """A builder with one input port ``x`` of n bits; returns (b, ids)."""
    b = Builder()
    return b, b.input("x", n)


# --------------------------------------------------------------------------- structural hashing
def test_same_gate_twice_same_id():
    b, x = one_port_builder(3)
    a, c, d = x
    assert b.and_(a, c) == b.and_(a, c)
    assert b.and_(a, c) == b.and_(c, a)
    assert b.or_(a, c, d) == b.or_(d, a, c)
    assert b.not_(a) == b.not_(a)
    assert b.threshold([a, c, d], 2) == b.threshold([d, c, a], 2)
    assert b.gate(Kind.MAJ, [a, c, d]) == b.gate(Kind.MAJ, [c, d, a]) == b.threshold([a, c, d], 2)
    n = b.n_nodes
    b.and_(c, a), b.or_(c, d, a), b.not_(a), b.gate(Kind.MAJ, [d, a, c])
    assert b.n_nodes == n, "rebuilding existing gates must not add nodes"


def test_distinct_gates_get_distinct_ids():
    b, x = one_port_builder(3)
    a, c, d = x
    ids = [b.and_(a, c), b.or_(a, c), b.and_(a, d), b.and_(a, c, d), b.not_(a), b.not_(c), b.threshold([a, c, d], 2)]
    assert len(set(int(i) for i in ids)) == len(ids)


def test_hashing_within_one_batched_call():
    b, x = one_port_builder(4)
    rows = np.array([[x[0], x[1]], [x[1], x[0]], [x[2], x[3]], [x[0], x[1]], [x[3], x[2]]])
    ids = b.gate(Kind.AND, rows)
    assert ids[0] == ids[1] == ids[3]
    assert ids[2] == ids[4]
    assert ids[0] != ids[2]
    assert b.gate(Kind.AND, rows[::-1])[::-1].tolist() == ids.tolist()


def test_duplicate_fanins_collapse_for_and_or():
    b, x = one_port_builder(2)
    a, c = x
    assert b.and_(a, a) == a
    assert b.or_(a, a) == a
    assert b.and_(a, c, a) == b.and_(a, c)
    assert b.or_(c, a, c, a) == b.or_(a, c)


# --------------------------------------------------------------------------- constant folding
def test_constant_folding():
    b, x = one_port_builder(2)
    a, c = x
    n = b.n_nodes
    assert b.and_(a, ZERO) == ZERO
    assert b.and_(a, ONE) == a
    assert b.or_(a, ONE) == ONE
    assert b.or_(a, ZERO) == a
    assert b.not_(ZERO) == ONE and b.not_(ONE) == ZERO
    assert b.and_(ONE, ONE) == ONE and b.or_(ZERO, ZERO) == ZERO
    assert b.gate(Kind.AND, [a]) == a and b.gate(Kind.OR, [a]) == a and b.gate(Kind.MAJ, [a]) == a
    # the absorbing constant behind repeated constants (it sorts past the first columns)
    assert b.or_(ZERO, ZERO, ZERO, ONE, a) == ONE and b.and_(ZERO, ZERO, ONE, ONE, a) == ZERO
    assert b.n_nodes == n, "folded gates must not be emitted"
    na = b.not_(a)
    assert b.not_(na) == a
    assert b.and_(a, na) == ZERO
    assert b.and_(c, na, a) == ZERO
    assert b.or_(a, na) == ONE
    assert b.or_(na, c, a) == ONE
    assert b.xor(a, a) == ZERO
    assert b.mux(ONE, a, c) == a and b.mux(ZERO, a, c) == c


def test_threshold_folding():
    b, x = one_port_builder(3)
    a, c, d = x
    n = b.n_nodes
    assert b.threshold([a, c, d], 0) == ONE
    assert b.threshold([a, c, d], -5) == ONE
    assert b.threshold([a, c, d], 4) == ZERO
    assert b.threshold([a, ONE, ONE], 2) == ONE  # the two ones meet k
    assert b.threshold([a, ONE, ONE], 4) == ZERO  # at most 3 ones
    assert b.threshold([a, ZERO, ZERO], 1) == a
    assert b.threshold([a, a, a], 2) == a
    assert b.threshold([ZERO, ZERO], 1) == ZERO
    assert b.threshold([ONE], 1) == ONE
    assert b.n_nodes == n
    assert b.threshold([a, c, d], 1) == b.or_(a, c, d)
    assert b.threshold([a, c, d], 3) == b.and_(a, c, d)
    assert b.threshold([a, c, d, ONE], 2) == b.or_(a, c, d)


def test_threshold_broadcasts_k():
    b, x = one_port_builder(3)
    ids = b.threshold(x, np.array([0, 1, 2, 3, 4]))
    assert ids.shape == (5,)
    assert ids[0] == ONE and ids[4] == ZERO
    assert ids[1] == b.or_(*x) and ids[3] == b.and_(*x)


def test_gate_argument_errors():
    b, x = one_port_builder(2)
    with pytest.raises(CircuitError):
        b.gate(Kind.AND, np.zeros((3, 0), dtype=np.int64))
    with pytest.raises(CircuitError):
        b.gate(Kind.NOT, [x[0], x[1]])
    with pytest.raises(CircuitError):
        b.gate(Kind.INPUT, [x[0]])
    with pytest.raises(CircuitError):
        b.threshold(np.zeros((2, 0), dtype=np.int64), 1)
    with pytest.raises(CircuitError):
        b.input("x", 3)  # declared twice
    with pytest.raises(CircuitError):
        b.input("bad name", 1)
    with pytest.raises(CircuitError):
        b.input("z", 0)
    with pytest.raises(CircuitError):
        b.output("y", [b.n_nodes + 3])
    with pytest.raises(CircuitError):
        Builder().build()  # no outputs


# --------------------------------------------------------------------------- MAJ / threshold semantics
N_VARS = 4


def _literal_pool(b, x):
    """Node ids with their Python meaning: constants, x_i, NOT x_i."""
    pool = [(ZERO, lambda v: 0), (ONE, lambda v: 1)]
    nx = b.not_(x)
    for i in range(N_VARS):
        pool.append((int(x[i]), lambda v, i=i: (v >> i) & 1))
        pool.append((int(nx[i]), lambda v, i=i: 1 - ((v >> i) & 1)))
    return pool


def _check_thresholds(rows_and_ks, circuit_builder):
    """rows_and_ks: list of (list of pool indices, k). Builds one threshold and
    one MAJ gate per row, simulates all 2^N_VARS assignments, and compares with
    Python counts (and the reference evaluator)."""
    b, x = circuit_builder
    pool = _literal_pool(b, x)
    t_ids, m_ids = [], []
    for idx, k in rows_and_ks:
        fan = [pool[i][0] for i in idx]
        t_ids.append(int(b.threshold(fan, k)))
        m_ids.append(int(b.gate(Kind.MAJ, fan)))
    b.output("t", t_ids)
    b.output("m", m_ids)
    c = b.build()
    values = list(range(1 << N_VARS))
    sim = tc0.simulate(c, {"x": to_bits(values, N_VARS)})
    for v_i, v in enumerate(values):
        ref = reference_eval(c, {"x": v})
        for r, (idx, k) in enumerate(rows_and_ks):
            count = sum(pool[i][1](v) for i in idx)
            want_t, want_m = int(count >= k), int(2 * count > len(idx))
            fan_desc = [pool[i][0] for i in idx]
            assert sim["t"][v_i, r] == want_t, f"threshold({fan_desc}, {k}) at x={v:04b}: count {count}"
            assert sim["m"][v_i, r] == want_m, f"MAJ({fan_desc}) at x={v:04b}: count {count}"
            assert (ref["t"] >> r) & 1 == want_t, f"reference: threshold({fan_desc}, {k}) at x={v:04b}"
            assert (ref["m"] >> r) & 1 == want_m, f"reference: MAJ({fan_desc}) at x={v:04b}"


@pytest.mark.parametrize("length", [1, 2, 3])
def test_threshold_and_maj_exhaustive_short_rows(length):
    """Every fan-in tuple of length <= 3 over {0, 1, x0, NOT x0, x1, NOT x1}
    (repeats, constants and complementary pairs included), every k."""
    pool_idx = [0, 1, 2, 3, 4, 5]  # 0, 1, x0, NOT x0, x1, NOT x1
    cases = [(list(t), k) for t in itertools.product(pool_idx, repeat=length) for k in range(-1, length + 2)]
    _check_thresholds(cases, one_port_builder(N_VARS))


@pytest.mark.parametrize("seed", range(4))
def test_threshold_and_maj_random_rows(seed):
    rnd = random.Random(seed)
    pool_size = 2 + 2 * N_VARS
    cases = []
    for _ in range(250):
        length = rnd.randint(1, 11)
        idx = [rnd.randrange(pool_size) for _ in range(length)]
        if rnd.random() < 0.3:  # heavy repetition: one literal many times
            idx += [idx[0]] * rnd.randint(1, 6)
        cases.append((idx, rnd.randint(-1, len(idx) + 1)))
    _check_thresholds(cases, one_port_builder(N_VARS))


def test_threshold_and_maj_wide_rows():
    """Rows longer than the insertion-sort limit (the kernel's heapsort path)."""
    rnd = random.Random(7)
    pool_size = 2 + 2 * N_VARS
    cases = []
    for _ in range(60):
        idx = [rnd.randrange(pool_size) for _ in range(rnd.randint(25, 90))]
        cases.append((idx, rnd.randint(-1, len(idx) + 1)))
    _check_thresholds(cases, one_port_builder(N_VARS))


def test_wide_rows_in_any_order_are_one_gate():
    """A wide row's fan-ins are sorted into the canonical form: every order gives the same gate."""
    rnd = random.Random(11)
    b, x = one_port_builder(300)
    for length in (25, 26, 97, 300, 301):
        row = [int(x[rnd.randrange(300)]) for _ in range(length)]
        k = length // 3
        first = int(b.threshold(np.array(row), k))
        for _ in range(3):
            rnd.shuffle(row)
            assert int(b.threshold(np.array(row), k)) == first


def test_threshold_batched_rows_match_single_rows():
    """One batched call (a k per row) gives the same gates as row-by-row calls."""
    rnd = random.Random(3)
    b, x = one_port_builder(5)
    pool = np.concatenate([[ZERO, ONE], x, b.not_(x)])
    rows = pool[np.array([[rnd.randrange(len(pool)) for _ in range(6)] for _ in range(200)])]
    ks = np.array([rnd.randint(-1, 7) for _ in range(200)])
    batched = b.threshold(rows, ks)
    single = [int(b.threshold(r, k)) for r, k in zip(rows, ks)]
    assert batched.tolist() == single


# --------------------------------------------------------------------------- xor / mux / and / or elementwise
def test_elementwise_ops_exhaustive():
    b, x = one_port_builder(3)
    a, c, s = x
    b.output("and", [b.and_(a, c)])
    b.output("or", [b.or_(a, c)])
    b.output("not", [b.not_(a)])
    b.output("xor", [b.xor(a, c)])
    b.output("mux", [b.mux(s, a, c)])
    b.output("and3", [b.and_(a, c, s)])
    circuit = b.build()
    vals = list(range(8))
    out = simulate_ints(circuit, {"x": vals})
    for i, v in enumerate(vals):
        av, cv, sv = v & 1, (v >> 1) & 1, (v >> 2) & 1
        want = {"and": av & cv, "or": av | cv, "not": 1 - av, "xor": av ^ cv, "mux": av if sv else cv,
                "and3": av & cv & sv}
        got = {k: out[k][i] for k in want}
        assert got == want, f"x={v:03b}"
        assert reference_eval(circuit, {"x": v}) == want


def test_elementwise_ops_broadcast():
    b, x = one_port_builder(6)
    lo, hi = x[:3], x[3:]
    assert b.and_(lo, hi).shape == (3,)
    assert b.and_(lo[:, None], hi[None, :]).shape == (3, 3)
    assert b.xor(lo, hi[0]).shape == (3,)


# --------------------------------------------------------------------------- pruning, measures, scopes
def test_build_prunes_dead_gates_and_keeps_inputs():
    b = Builder()
    x = b.input("x", 3)
    unused = b.input("unused", 2)
    keep1 = b.and_(x[0], x[1])
    keep2 = b.or_(keep1, x[2])
    dead1 = b.or_(x[0], x[2])
    dead2 = b.not_(dead1)
    b.threshold([dead2, keep1, x[2], unused[0]], 2)
    b.and_(keep2, unused[1])  # dead gate fed by a live one
    b.output("y", [keep2])
    c = b.build()
    assert c.size == 2
    assert c.edges == 4
    assert c.inputs == {"x": 3, "unused": 2}
    assert c.n_nodes == 2 + 5 + 2
    for v in range(32):
        x_val, u_val = v & 7, v >> 3
        want = ((x_val & 1) & ((x_val >> 1) & 1)) | ((x_val >> 2) & 1)
        assert reference_eval(c, {"x": x_val, "unused": u_val}) == {"y": want}
    out = simulate_ints(c, {"x": [v & 7 for v in range(32)], "unused": [v >> 3 for v in range(32)]})
    assert out["y"] == [((v & 1) & ((v >> 1) & 1)) | ((v >> 2) & 1) for v in range(32)]


def test_outputs_may_be_sources():
    b = Builder()
    x = b.input("x", 2)
    b.output("y", [x[1], ONE, ZERO, x[0]])
    c = b.build()
    assert c.size == 0 and c.depth == 0 and c.edges == 0
    out = simulate_ints(c, {"x": [0, 1, 2, 3]})
    assert out["y"] == [(v >> 1) | 2 | ((v & 1) << 3) for v in range(4)]


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


def test_input_declared_after_gates():
    b = Builder()
    a = b.input("a", 2)
    g = b.and_(a[0], a[1])
    c = b.input("c", 1)
    b.output("y", [b.or_(g, c[0])])
    circ = b.build()
    assert list(circ.inputs) == ["a", "c"]
    for v in range(8):
        av, cv = v & 3, v >> 2
        assert reference_eval(circ, {"a": av, "c": cv}) == {"y": int(av == 3) | cv}


def test_scopes_recorded():
    b = Builder()
    x = b.input("x", 3)
    with b.scope("outer"):
        g1 = b.and_(x[0], x[1])
        with b.scope("inner"):
            g2 = b.or_(g1, x[2])
        g3 = b.xor(g1, x[2])
    g4 = b.not_(g2)
    with b.scope("outer"):
        g5 = b.threshold([g3, g4, x[0]], 2)
    b.output("g1", [g1])
    b.output("g2", [g2])
    b.output("g3", [g3])
    b.output("g4", [g4])
    b.output("g5", [g5])
    c = b.build()

    def scope_of(port):
        return c.scopes[c.scope[c.outputs[port][0]]]

    assert scope_of("g1") == "outer"
    assert scope_of("g2") == "outer/inner"
    assert scope_of("g3") == "outer"
    assert scope_of("g4") == ""
    assert scope_of("g5") == "outer"
    assert len(set(c.scopes)) == len(c.scopes), "scope paths are listed once"
    assert all(c.scopes[s] == "" for s in c.scope[: c.first_gate])
    assert len(c.scope) == c.n_nodes


@pytest.mark.parametrize("seed", range(3))
def test_random_scopes_and_levels_survive_build(seed):
    """Gates made in random nested scopes, inputs declared between them (so
    ``build`` renumbers into new arrays), a random half of the gates kept:
    every kept gate carries the scope it was made in and its oracle level."""
    rnd = random.Random(seed)
    b = Builder()
    wires = list(b.input("in0", 3))
    made = {}  # gate id -> scope path it was first made in
    for step in range(120):
        if rnd.random() < 0.05:
            wires += list(b.input(f"in{step}", 2))
        path = [rnd.choice("abc") for _ in range(rnd.randint(0, 2))]
        with contextlib.ExitStack() as stack:
            for name in path:
                stack.enter_context(b.scope(name))
            kind = rnd.choice([Kind.AND, Kind.OR, Kind.MAJ, Kind.NOT])
            fanins = [rnd.choice(wires) for _ in range(1 if kind == Kind.NOT else rnd.randint(2, 5))]
            g = int(b.gate(kind, np.array(fanins)))
        made.setdefault(g, "/".join(path))
        wires.append(g)
    kept = [g for g in made if g > ONE and rnd.random() < 0.5]
    b.output("y", kept)
    c = b.build()
    for old, new in zip(kept, c.outputs["y"]):
        if c.kind[new] >= Kind.AND:
            assert c.scopes[c.scope[new]] == made[old]
    assert c.__dict__["level"].tolist() == reference_levels(c)
    assert c.scopes[0] == "" and not c.scope[: c.first_gate].any()


def test_gadget_scopes_recorded():
    b = Builder()
    x, y = b.input("x", 6), b.input("y", 6)
    with b.scope("top"):
        b.output("s", integer.add(b, x, y))
        b.output("lt", integer.less_than(b, x, y)[None])
    c = b.build()
    used = {c.scopes[s] for s in c.scope[c.first_gate:]}
    assert used == {"top/add", "top/less_than"}


@pytest.mark.parametrize("w", [1, 3, 8, 17])
def test_levels_from_build_agree_with_reference(w):
    """``build`` computes every node's level while renumbering; the pure-Python
    longest-path oracle agrees, per node and for the depth."""
    b = Builder()
    x, y = b.input("x", w), b.input("y", w)
    b.output("s", integer.add(b, x, y))
    b.output("lt", [integer.less_than(b, x, y)])
    b.output("p", integer.multiply(b, x, y))
    c = b.build()
    ref = reference_levels(c)
    assert c.__dict__["level"].tolist() == ref  # seeded by build, not recomputed
    assert c.depth == max(ref[int(v)] for v in c.output_ids())
    assert c.size == int(np.sum(c.kind >= Kind.AND))
    assert c.edges == int(np.diff(c.offsets).sum())


# --------------------------------------------------------------------------- forced hash collisions
def _arith_circuit(w=5):
    b = Builder()
    x, y = b.input("x", w), b.input("y", w)
    b.output("s", integer.add(b, x, y))
    b.output("d", integer.sub(b, x, y))
    b.output("lt", [integer.less_than(b, x, y)])
    b.output("p", integer.multiply(b, x, y))
    b.output("t", [b.threshold(np.concatenate([x, y, y[:2]]), 4)])
    return b.build()


def _check_arith(c, w=5):
    cases = list(itertools.product(range(1 << w), repeat=2))
    xs, ys = [p[0] for p in cases], [p[1] for p in cases]
    out = simulate_ints(c, {"x": xs, "y": ys})
    mask = (1 << (w + 1)) - 1
    for i, (xv, yv) in enumerate(cases):
        weight = bin(xv).count("1") + bin(yv).count("1") + bin(yv & 3).count("1")
        want = {"s": xv + yv, "d": (xv - yv) & mask, "lt": int(xv < yv), "p": xv * yv, "t": int(weight >= 4)}
        got = {k: out[k][i] for k in want}
        assert got == want, f"x={xv} y={yv}"


@pytest.mark.parametrize("mask", [0, 1, 7], ids=["all-collide", "parity", "mod8"])
def test_forced_hash_collisions_still_correct(monkeypatch, mask):
    """With a fingerprint narrowed to a few values every (or many) gate rows share
    a key, so the exact comparison in the probe decides; the circuit must still
    be correct, and sharing must not be lost."""
    normal_size = _arith_circuit().size
    monkeypatch.setattr(Builder, "hash_mask", np.uint64(mask))
    c = _arith_circuit()
    _check_arith(c)
    assert c.size == normal_size, "a collision must not cost sharing"
    b, x = one_port_builder(4)
    g = b.and_(x[0], x[1])
    assert b.and_(x[1], x[0]) == g
    h = b.and_(x[0], x[2])
    assert h != g
    k = b.and_(x[2], x[3])
    assert k not in (g, h)
    assert b.or_(x[0], x[1]) != g
    rows = np.array([[x[0], x[1]], [x[0], x[2]], [x[1], x[0]], [x[2], x[3]], [x[1], x[3]]])
    ids = b.gate(Kind.AND, rows)
    assert ids[0] == ids[2] == g and ids[1] == h and ids[3] == k
    assert ids[4] not in (g, h, k)
    b.output("y", ids)
    c = b.build()
    for v in range(16):
        bit = [(v >> i) & 1 for i in range(4)]
        want = [bit[0] & bit[1], bit[0] & bit[2], bit[0] & bit[1], bit[2] & bit[3], bit[1] & bit[3]]
        assert reference_eval(c, {"x": v})["y"] == sum(w << i for i, w in enumerate(want))


def test_collision_circuit_same_as_normal(monkeypatch):
    """The fingerprint decides only where a gate is looked for, so the circuit is
    the same gate for gate."""
    normal = _arith_circuit(4)
    monkeypatch.setattr(Builder, "hash_mask", np.uint64(0))
    colliding = _arith_circuit(4)
    for name in ("kind", "offsets", "fanins", "level"):
        assert np.array_equal(getattr(normal, name), getattr(colliding, name)), name


def test_builder_is_finished_by_build():
    b, x = one_port_builder(2)
    b.output("y", [b.and_(x[0], x[1])])
    b.build()
    with pytest.raises(CircuitError, match="already been built"):
        b.and_(x[0], x[1])
    with pytest.raises(CircuitError, match="already been built"):
        b.build()


def test_rows_naming_missing_nodes_are_refused():
    b, x = one_port_builder(2)
    for bad in (-1, b.n_nodes, 10**6, 2**32 + 2, -(2**32) + 2):  # the last two would wrap to real ids as int32
        with pytest.raises(CircuitError, match="does not exist"):
            b.gate(Kind.AND, [[x[0], bad]])
        with pytest.raises(CircuitError, match="does not exist"):
            b.threshold([[x[0], x[1], bad]], 2)
        with pytest.raises(CircuitError, match="does not exist"):
            b.not_([bad])


def test_storage_grows_across_many_batches():
    """Thousands of gates in batches that each overflow the storage: the built
    circuit computes what the rows say (tracked in Python) and keeps its levels."""
    b = Builder()
    x = b.input("x", 12)
    rng = np.random.default_rng(5)
    samples = rng.integers(0, 1 << 12, size=16)
    value = {int(v): (samples >> i) & 1 for i, v in enumerate(x)}  # node id -> bit per sample
    value[ZERO], value[ONE] = np.zeros(16, dtype=np.int64), np.ones(16, dtype=np.int64)
    layer = x
    for _ in range(6):
        rows = layer[rng.integers(0, len(layer), size=(3000, 3))]
        bits = np.stack([np.stack([value[int(u)] for u in row]) for row in rows])  # (3000, 3, samples)
        ids = np.concatenate([b.gate(Kind.AND, rows[:1000]), b.gate(Kind.OR, rows[1000:2000]),
                              b.threshold(rows[2000:], 2)])
        want = np.concatenate([bits[:1000].min(axis=1), bits[1000:2000].max(axis=1),
                               (bits[2000:].sum(axis=1) >= 2).astype(np.int64)])
        for v, w in zip(ids, want):
            assert np.array_equal(value.setdefault(int(v), w), w)
        layer = np.concatenate([ids, x])
    b.output("y", layer[:64])
    c = b.build()
    assert c.size > 4000
    assert list(c.level) == reference_levels(c)
    for s_i, v in enumerate(samples):
        got = reference_eval(c, {"x": int(v)})["y"]
        assert got == sum(int(value[int(u)][s_i]) << i for i, u in enumerate(layer[:64]))


# --------------------------------------------------------------------------- save / load
def _saved(tmp_path, name="c.tc0"):
    b = Builder()
    x, y = b.input("x", 6), b.input("y", 6)
    with b.scope("arith"):
        b.output("s", integer.add(b, x, y))
        b.output("lt", [integer.less_than(b, x, y)])
    b.output("t", [b.threshold(np.concatenate([x, y]), 5)])
    c = b.build()
    path = tmp_path / name
    c.save(path)
    return c, path


def test_save_load_round_trip(tmp_path):
    c, path = _saved(tmp_path)
    d = tc0.load(path)
    for field in ("kind", "offsets", "fanins", "scope"):
        np.testing.assert_array_equal(getattr(d, field), getattr(c, field))
    assert d.inputs == c.inputs and list(d.inputs) == list(c.inputs)
    assert list(d.outputs) == list(c.outputs)
    for name in c.outputs:
        np.testing.assert_array_equal(d.outputs[name], c.outputs[name])
    assert d.scopes == c.scopes
    assert (d.size, d.edges, d.depth) == (c.size, c.edges, c.depth)
    cases = list(itertools.product(range(64), repeat=2))
    xs, ys = [p[0] for p in cases], [p[1] for p in cases]
    out = simulate_ints(d, {"x": xs, "y": ys})
    assert out["s"] == [a + b_ for a, b_ in cases]
    assert out["lt"] == [int(a < b_) for a, b_ in cases]
    assert out["t"] == [int(bin(a).count("1") + bin(b_).count("1") >= 5) for a, b_ in cases]


def test_save_function_and_str_path(tmp_path):
    c, _ = _saved(tmp_path)
    path = str(tmp_path / "again.tc0")
    tc0.save(c, path)
    assert tc0.load(path).size == c.size


def _arrays(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name].copy() for name in data.files}


def _write(path, arrays) -> None:
    with open(path, "wb") as fh:  # a file object: numpy must not append ".npz"
        np.savez(fh, **arrays)


def _meta(arrays) -> dict:
    return json.loads(arrays["meta"].tobytes().decode())


def _with_meta(arrays, **changes) -> None:
    meta = _meta(arrays)
    meta.update(changes)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def _first_gate(a) -> int:
    return int(np.flatnonzero(a["kind"] >= Kind.AND)[0])


def test_resaved_arrays_load(tmp_path):
    """Control: the unedited arrays written with numpy.savez load fine."""
    c, path = _saved(tmp_path)
    a = _arrays(path)
    _write(tmp_path / "copy.tc0", a)
    assert tc0.load(tmp_path / "copy.tc0").size == c.size


def _edit_fanin(a, value):
    g = _first_gate(a)
    a["fanins"][a["offsets"][g]] = value


def _swap(a, name, new):
    a[name] = new


EDITS = {
    "fanin points forward (cycle)": lambda a: _edit_fanin(a, len(a["kind"]) - 1),
    "fanin points at its own gate": lambda a: _edit_fanin(a, _first_gate(a)),
    "fanin out of range": lambda a: _edit_fanin(a, len(a["kind"]) + 10),
    "fanin negative": lambda a: _edit_fanin(a, -1),
    "output id out of range": lambda a: a["output_ids"].__setitem__(0, len(a["kind"])),
    "output id negative": lambda a: a["output_ids"].__setitem__(0, -2),
    "scope id out of range": lambda a: a["scope"].__setitem__(-1, 99),
    "scope id negative": lambda a: a["scope"].__setitem__(-1, -1),
    "fanins dtype int64": lambda a: _swap(a, "fanins", a["fanins"].astype(np.int64)),
    "kind dtype int32": lambda a: _swap(a, "kind", a["kind"].astype(np.int32)),
    "offsets dtype int32": lambda a: _swap(a, "offsets", a["offsets"].astype(np.int32)),
    "offsets dtype float": lambda a: _swap(a, "offsets", a["offsets"].astype(np.float64)),
    "output_ids dtype uint8": lambda a: _swap(a, "output_ids", a["output_ids"].astype(np.uint8)),
    "fanins 2-D": lambda a: _swap(a, "fanins", a["fanins"][None, :]),
    "meta dtype int16": lambda a: _swap(a, "meta", a["meta"].astype(np.int16)),
    "meta not JSON": lambda a: _swap(a, "meta", np.frombuffer(b"{not json", dtype=np.uint8)),
    "meta not UTF-8": lambda a: _swap(a, "meta", np.frombuffer(b"\xff\xfe{}", dtype=np.uint8)),
    "meta JSON list": lambda a: _swap(a, "meta", np.frombuffer(b"[1, 2]", dtype=np.uint8)),
    "meta empty": lambda a: _swap(a, "meta", np.zeros(0, dtype=np.uint8)),
    "format tag wrong": lambda a: _with_meta(a, format="something-else"),
    "version 2": lambda a: _with_meta(a, version=2),
    "version 0": lambda a: _with_meta(a, version=0),
    "version string": lambda a: _with_meta(a, version="1"),
    "version missing": lambda a: _swap(a, "meta", np.frombuffer(json.dumps(
        {k: v for k, v in _meta(a).items() if k != "version"}).encode(), dtype=np.uint8)),
    "input width too large": lambda a: _with_meta(a, inputs=[["x", 7], ["y", 6]]),
    "input width too small": lambda a: _with_meta(a, inputs=[["x", 5], ["y", 6]]),
    "input width zero": lambda a: _with_meta(a, inputs=[["x", 0], ["y", 12]]),
    "input width not int": lambda a: _with_meta(a, inputs=[["x", 6.0], ["y", 6]]),
    "input port duplicated": lambda a: _with_meta(a, inputs=[["x", 6], ["x", 6]]),
    "input port unnamed": lambda a: _with_meta(a, inputs=[["", 6], ["y", 6]]),
    "inputs not a list": lambda a: _with_meta(a, inputs={"x": 6, "y": 6}),
    "output width too large": lambda a: _with_meta(a, outputs=[["s", 8], ["lt", 1], ["t", 1]]),
    "output width too small": lambda a: _with_meta(a, outputs=[["s", 6], ["lt", 1], ["t", 1]]),
    "output port missing": lambda a: _with_meta(a, outputs=[["s", 7], ["lt", 1]]),
    "scopes empty": lambda a: _with_meta(a, scopes=[]),
    "scopes not strings": lambda a: _with_meta(a, scopes=["", 3, "x"]),
    "array kind missing": lambda a: a.pop("kind"),
    "array meta missing": lambda a: a.pop("meta"),
    "array output_ids missing": lambda a: a.pop("output_ids"),
    "offsets not monotone": lambda a: a["offsets"].__setitem__(-2, a["offsets"][-1] + 1),
    "offsets too short": lambda a: _swap(a, "offsets", a["offsets"][:-1]),
    "offsets do not end at len(fanins)": lambda a: _swap(a, "fanins", a["fanins"][:-1]),
    "scope too short": lambda a: _swap(a, "scope", a["scope"][:-1]),
    "gate with no fan-in": lambda a: _last_gate_without_fanin(a),
    "NOT gate with two fan-ins": lambda a: _not_with_two_fanins(a),
    "unknown gate kind": lambda a: a["kind"].__setitem__(-1, 9),
    "gate turned into an input": lambda a: a["kind"].__setitem__(-1, Kind.INPUT),
    "gate turned into a constant": lambda a: a["kind"].__setitem__(-1, Kind.CONST1),
    "constants swapped": lambda a: a["kind"].__setitem__(slice(0, 2), [Kind.CONST1, Kind.CONST0]),
    "input node made a gate": lambda a: a["kind"].__setitem__(FIRST_INPUT, Kind.AND),
    "fewer nodes than inputs": lambda a: [_swap(a, "kind", a["kind"][:5]), _swap(a, "scope", a["scope"][:5]),
                                          _swap(a, "offsets", np.zeros(6, dtype=np.int64)),
                                          _swap(a, "fanins", np.zeros(0, dtype=np.int32))],
    "object array (pickle)": lambda a: _swap(a, "kind", np.array(list(a["kind"]), dtype=object)),
}


def _not_with_two_fanins(a):
    """Relabel an AND/OR gate of fan-in >= 2 as a NOT."""
    kind, offsets = a["kind"], a["offsets"]
    wide = [int(v) for v in np.flatnonzero((kind == Kind.AND) | (kind == Kind.OR)) if offsets[v + 1] - offsets[v] >= 2]
    kind[wide[0]] = Kind.NOT


def _last_gate_without_fanin(a):
    a["offsets"][-1] = a["offsets"][-2]
    a["fanins"] = a["fanins"][: a["offsets"][-1]]


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_edited_file_rejected(tmp_path, edit):
    _, path = _saved(tmp_path)
    a = _arrays(path)
    EDITS[edit](a)
    bad = tmp_path / "bad.tc0"
    _write(bad, a)
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


@pytest.mark.parametrize("cut", [0, 1, 10, 100, 0.5, -100, -22, -1])
def test_truncated_file_rejected(tmp_path, cut):
    _, path = _saved(tmp_path)
    raw = path.read_bytes()
    n = int(len(raw) * cut) if isinstance(cut, float) else (cut if cut >= 0 else len(raw) + cut)
    bad = tmp_path / "truncated.tc0"
    bad.write_bytes(raw[:n])
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


@pytest.mark.parametrize("content", [
    bytes(random.Random(1).getrandbits(8) for _ in range(1000)),
    b"PK\x03\x04" + bytes(random.Random(2).getrandbits(8) for _ in range(500)),
    b"\x93NUMPY" + bytes(200),
    b"hello, this is not a circuit\n",
    b"",
])
def test_random_bytes_rejected(tmp_path, content):
    bad = tmp_path / "random.tc0"
    bad.write_bytes(content)
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


def test_bare_npy_file_rejected(tmp_path):
    bad = tmp_path / "array.tc0"
    with open(bad, "wb") as fh:
        np.save(fh, np.arange(10, dtype=np.uint8))
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


def test_missing_file_and_directory_rejected(tmp_path):
    with pytest.raises(CircuitFileError):
        tc0.load(tmp_path / "does-not-exist.tc0")
    with pytest.raises(CircuitFileError):
        tc0.load(tmp_path)


def _local_data_start(raw: bytes, member: int = 0) -> int:
    info = zipfile.ZipFile(io.BytesIO(raw)).infolist()[member]
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


def _corrupt_deflate(raw: bytearray) -> None:
    raw[_local_data_start(bytes(raw))] = 0xFF  # deflate block type 3 (reserved)


def _unsupported_compression(raw: bytearray) -> None:
    cd = raw.find(b"PK\x01\x02")
    raw[cd + 10 : cd + 12] = struct.pack("<H", 99)


def _encrypted_flag(raw: bytearray) -> None:
    raw[raw.find(b"PK\x01\x02") + 8] |= 1


@pytest.mark.parametrize("corrupt", [_corrupt_deflate, _unsupported_compression, _encrypted_flag])
def test_corrupt_zip_members_rejected(tmp_path, corrupt):
    _, path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    corrupt(raw)
    bad = tmp_path / "bad.tc0"
    bad.write_bytes(bytes(raw))
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


def test_deeply_nested_meta_rejected(tmp_path):
    _, path = _saved(tmp_path)
    a = _arrays(path)
    a["meta"] = np.frombuffer(("[" * 100_000 + "]" * 100_000).encode(), dtype=np.uint8)
    bad = tmp_path / "bad.tc0"
    _write(bad, a)
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


def test_byte_flip_fuzz(tmp_path):
    """Random byte corruptions: each load either raises CircuitFileError or
    returns exactly the saved circuit (corruption in bytes zip ignores)."""
    c, path = _saved(tmp_path)
    raw = path.read_bytes()
    rnd = random.Random(0)
    bad = tmp_path / "fuzz.tc0"
    for _ in range(300):
        data = bytearray(raw)
        for _ in range(rnd.randint(1, 4)):
            data[rnd.randrange(len(data))] ^= rnd.randint(1, 255)
        bad.write_bytes(bytes(data))
        try:
            d = tc0.load(bad)
        except CircuitFileError:
            continue
        for field in ("kind", "offsets", "fanins", "scope"):
            np.testing.assert_array_equal(getattr(d, field), getattr(c, field))
        assert d.inputs == c.inputs
        assert {k: v.tolist() for k, v in d.outputs.items()} == {k: v.tolist() for k, v in c.outputs.items()}


def test_pattern_gate_rows_of_different_lengths():
    """Pattern rows cut from every instance of a wire table equal the same rows
    built one by one with ``gate`` (and compute AND/OR of their entries)."""
    b = Builder()
    x = b.input("x", 12)
    table = x.reshape(3, 4)  # 3 instances of a 4-wire table
    rows = [[0], [1, 2], [3, 0, 1], [2, 2, 3]]
    index = np.array([i for r in rows for i in r])
    bounds = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    for kind in (Kind.AND, Kind.OR):
        got = b.pattern_gate(kind, table, index, bounds)
        assert got.shape == (3, len(rows))
        for inst in range(3):
            for r, row in enumerate(rows):
                assert got[inst, r] == b.gate(kind, [table[inst, row]])[0]
    with pytest.raises(CircuitError, match="AND or OR"):
        b.pattern_gate(Kind.MAJ, table, index, bounds)
    with pytest.raises(CircuitError, match="rising strictly"):
        b.pattern_gate(Kind.AND, table, index, np.array([0, 0, len(index)]))
    with pytest.raises(CircuitError, match="outside the wire table"):
        b.pattern_gate(Kind.AND, table, np.array([0, 4]), np.array([0, 2]))
