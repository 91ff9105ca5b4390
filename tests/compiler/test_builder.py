"""The Builder: canonical gates, constant folding, structural hashing,
pruning, scopes, levels, storage growth and pattern gates. (The measures of
the built circuit are checked in tests/ir/test_circuit.py, the native circuit
file in tests/ir/test_native.py.)

Function is always checked against an oracle that does not share code with
the library: Python counts for threshold/MAJ semantics, Python integers for
arithmetic, and a slow per-node reference evaluator (``reference_eval``,
strict AND/OR/NOT/MAJ semantics of DESIGN.md section 2) that also cross-checks
the simulator."""

from __future__ import annotations

import contextlib
import itertools
import random

import numpy as np
import pytest
from int_simulation import simulate_ints, to_bits

import tc0
from tc0 import Builder, Kind
from tc0.compiler.gadgets import integer
from tc0.errors import CircuitError
from tc0.ir.schema import FIRST_INPUT, ONE, ZERO


# --------------------------------------------------------------------------- helpers
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


# --------------------------------------------------------------------------- pruning, scopes
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
