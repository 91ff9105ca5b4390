"""Stage 2 of the simulator (``tc0.simulator.fusion``: small gates inlined
into their only reader, each cone one table instruction) against three
oracles:

* values: ``tc0.simulate`` on hand-built circuits (XOR chains, NOT chains,
  MAJ of NOTs, repeated leaves, constant operands, outputs and shared gates
  inside would-be cones, wide gates over small ones) and on random circuits
  equals ``reference`` of test_simulator.py, the per-gate, per-sample Python
  evaluator of the circuit itself, at batches 1, 64, 65 and 200 (and in
  node order, in chunks of 3 positions); so does a Python interpreter of the
  schedule's instruction streams written here from program.py's docstring
  (decoding included);
* structure, recomputed here in Python from the operation codes: an inlined
  gate is small, not an output, and occurs exactly once among the operands
  of the gates evaluated or inlined, that reader being small; every evaluated
  small gate's cone has at most ``MOST_LEAVES`` distinct non-constant leaves
  and ``MOST_GATES`` gates; cones partition the inlined gates; and a replay of
  the buffer rows finds every cone's leaves in their rows when the cone is
  evaluated;
* instruction counts derived by hand: an XOR chain of n two-input XORs over
  n + 1 inputs takes ceil(n / 2) three-leaf tables (each cone absorbs one
  more XOR before a fourth leaf), a NOT chain of L gates ceil(L / 16).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from int_simulation import random_inputs
from test_simulator import assert_same, raw_circuit, reference

from tc0 import Builder, Circuit, Kind, simulate
from tc0.simulator import schedule_for
from tc0.simulator import schedule as schedule_module
from tc0.simulator.fusion import CODE, INLINE, MOST_GATES, MOST_LEAVES, fuse
from tc0.simulator.graph import AND, MAJ, NOT, OR, SKIP, XOR0, XOR1, evaluation_ops
from tc0.simulator.order import NODE_ORDER, positions, post_order
from tc0.simulator.program import ALL, ANY, AT_LEAST, COMPARE
from tc0.simulator.rows import assign_rows
from tc0.simulator.tables import OP_BASE, TABLE_OPS

BATCHES = (1, 64, 65, 200)
SMALL_CODES = {AND, OR, NOT, MAJ, XOR0, XOR1}


# ------------------------------------------------------------------ circuits
class Raw:
    """A circuit written gate by gate as arrays (no folding, no hashing): one input port x."""

    def __init__(self, n_inputs: int):
        self.first = 2 + n_inputs
        self.x = list(range(2, self.first))
        self.gates: list[tuple[int, tuple[int, ...]]] = []

    def gate(self, kind: Kind, *fan: int) -> int:
        assert all(0 <= u < self.first + len(self.gates) for u in fan)
        self.gates.append((int(kind), tuple(int(u) for u in fan)))
        return self.first + len(self.gates) - 1

    def not_(self, a: int) -> int:
        return self.gate(Kind.NOT, a)

    def xor(self, a: int, b: int) -> int:
        """The strict XOR pattern, as the Builder makes it: (a OR b) AND NOT(a AND b)."""
        either = self.gate(Kind.OR, a, b)
        return self.gate(Kind.AND, either, self.not_(self.gate(Kind.AND, a, b)))

    def build(self, outputs) -> Circuit:
        n = self.first + len(self.gates)
        kind = [Kind.CONST0, Kind.CONST1] + [Kind.INPUT] * (self.first - 2) + [k for k, _ in self.gates]
        counts = [0] * self.first + [len(f) for _, f in self.gates]
        return Circuit(
            kind=np.array(kind, dtype=np.uint8),
            offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            fanins=np.array([u for _, f in self.gates for u in f], dtype=np.int32),
            scope=np.zeros(n, dtype=np.int32),
            scopes=("",),
            inputs={"x": self.first - 2},
            outputs={"y": np.array(outputs, dtype=np.int64)},
        )


def small_circuit(seed: int, n_gates: int) -> Circuit:
    """Random Builder circuit rich in fusion candidates: mostly small gates
    (AND/OR of 2 or 3, NOT, XOR, MAJ3) on the last wire, the inputs and the
    last few wires (chains: many gates have one reader), some wide ones, some
    constant operands."""
    rng = np.random.default_rng(seed)
    b = Builder()
    x = [int(w) for w in b.input("x", int(rng.integers(1, 7)))]
    wires = list(x)

    def pick(k: int) -> list[int]:
        fan = []
        for _ in range(k):
            r = rng.random()
            pool = ([0, 1] if r < 0.04 else wires[-1:] if r < 0.4 else x if r < 0.75 else wires[-6:] if r < 0.92
                    else wires)
            fan.append(int(rng.choice(pool)))
        return fan

    for _ in range(n_gates):
        op = int(rng.integers(8))
        if op == 0:
            new = b.and_(*pick(int(rng.integers(2, 4))))
        elif op == 1:
            new = b.or_(*pick(int(rng.integers(2, 4))))
        elif op == 2:
            new = b.not_(pick(1)[0])
        elif op in (3, 4):
            new = b.xor(*pick(2))
        elif op == 5:
            new = b.gate(Kind.MAJ, pick(3))
        else:
            new = b.gate((Kind.AND, Kind.OR, Kind.MAJ)[int(rng.integers(3))], pick(int(rng.integers(4, 7))))
        if int(new) > 1:  # a folded constant would spread through the recent wires
            wires.append(int(new))
    b.output("y", np.array([wires[-1], *rng.choice(wires, size=int(rng.integers(0, 4)))], dtype=np.int64))
    return b.build()


# ------------------------------------------------------------------ the oracles written here
def operand_span(op: np.ndarray, circuit: Circuit, v: int) -> list[int]:
    """Node v's operands under its code: an XOR reads the two fan-ins of its OR."""
    code = int(op[v]) & CODE
    start, end = int(circuit.offsets[v]), int(circuit.offsets[v + 1])
    if code in (XOR0, XOR1):
        o = int(circuit.fanins[start + code - XOR0])
        start, end = int(circuit.offsets[o]), int(circuit.offsets[o]) + 2
    return [int(u) for u in circuit.fanins[start:end]]


def is_small(op: np.ndarray, circuit: Circuit, v: int) -> bool:
    return op[v] != SKIP and len(operand_span(op, circuit, v)) <= 3


def cone_of(op: np.ndarray, circuit: Circuit, v: int) -> tuple[list[int], set[int]]:
    """The gates of v's cone (v and the inlined gates under it) and its distinct non-constant leaves."""
    gates, leaves, stack = [], set(), [v]
    while stack:
        g = stack.pop()
        gates.append(g)
        for u in operand_span(op, circuit, g):
            if op[u] & INLINE:
                stack.append(u)
            elif u > 1:
                leaves.add(u)
    return gates, leaves


def fused(circuit: Circuit) -> np.ndarray:
    return fuse(evaluation_ops(circuit), circuit.offsets, circuit.fanins, circuit.first_gate,
                circuit.output_ids().astype(np.int64))


def check_fusion(circuit: Circuit) -> np.ndarray:
    """The structural properties of the module docstring; returns the fused codes."""
    first, n = circuit.first_gate, circuit.n_nodes
    plain = evaluation_ops(circuit)
    op = fused(circuit)
    np.testing.assert_array_equal(op & CODE, plain)  # fusion only sets flags
    assert not (op[:first] & INLINE).any()
    reads: Counter[int] = Counter()
    readers: defaultdict[int, set[int]] = defaultdict(set)
    for v in range(first, n):
        if op[v] != SKIP:
            for u in operand_span(op, circuit, v):
                reads[u] += 1
                readers[u].add(v)
    covered: Counter[int] = Counter()
    for v in range(first, n):
        if op[v] != SKIP and not op[v] & INLINE and is_small(op, circuit, v):
            gates, leaves = cone_of(op, circuit, v)
            assert len(leaves) <= MOST_LEAVES, (v, leaves)
            assert len(gates) <= MOST_GATES, (v, gates)
            covered.update(gates[1:])
    outputs = set(circuit.output_ids().tolist())
    for u in np.flatnonzero(op & INLINE).tolist():
        assert int(plain[u]) in SMALL_CODES and is_small(op, circuit, u), u
        assert u not in outputs, u
        assert reads[u] == 1, (u, reads[u])
        (reader,) = readers[u]
        assert is_small(op, circuit, reader), (u, reader)  # never inlined into a wide gate
        assert covered[u] == 1, u  # in exactly one evaluated gate's cone
    return op


def check_rows(circuit: Circuit, op: np.ndarray, in_post_order: bool) -> None:
    """Replay who holds each buffer row: when a gate is evaluated, its cone's
    leaves (a wide gate: its operands) are in their rows, and it writes none of them."""
    first, outputs = circuit.first_gate, circuit.output_ids().astype(np.int64)
    order = post_order(op, circuit.offsets, circuit.fanins, first, outputs) if in_post_order else NODE_ORDER
    row, n_rows = assign_rows(op, circuit.offsets, circuit.fanins, first, outputs, order,
                              positions(order, first, circuit.n_nodes))
    own = [v for v in range(first, circuit.n_nodes) if op[v] != SKIP and not op[v] & INLINE]
    evaluated = order.tolist() if in_post_order else own
    assert sorted(evaluated) == own
    holder = {r: r for r in range(first)}
    for v in evaluated:
        reads = cone_of(op, circuit, v)[1] if is_small(op, circuit, v) else operand_span(op, circuit, v)
        assert all(holder.get(int(row[u])) == u for u in reads), v
        assert row[v] not in {row[u] for u in reads}, v
        assert 0 <= row[v] < n_rows
        holder[int(row[v])] = v
    assert all(holder[int(row[o])] == o for o in outputs.tolist())


def decode(prog: np.ndarray) -> list[tuple]:
    """The instructions of a stream, by the layout of program.py's docstring:
    ("TABLE", k, table, out, leaves), ("ALL" | "ANY", out, operands),
    ("AT_LEAST", out, k, operands), ("COMPARE", out, k)."""
    prog = prog.tolist()
    out, pc = [], 0
    while pc < len(prog):
        code = prog[pc]
        if code < TABLE_OPS:
            k = 1 if code < OP_BASE[2] else 2 if code < OP_BASE[3] else 3
            out.append(("TABLE", k, code - OP_BASE[k], prog[pc + 1], prog[pc + 2 : pc + 2 + k]))
            pc += 2 + k
        elif code in (ALL, ANY):
            n = prog[pc + 2]
            out.append(("ALL" if code == ALL else "ANY", prog[pc + 1], prog[pc + 3 : pc + 3 + n]))
            pc += 3 + n
        elif code == AT_LEAST:
            n = prog[pc + 2]
            out.append(("AT_LEAST", prog[pc + 1], prog[pc + 3], prog[pc + 4 : pc + 4 + n]))
            pc += 4 + n
        else:
            assert code == COMPARE, code
            out.append(("COMPARE", prog[pc + 1], prog[pc + 2]))
            pc += 3
    assert pc == len(prog)
    return out


def instructions(circuit: Circuit) -> list[tuple]:
    programs = schedule_for(circuit).programs
    assert programs is not None
    return [ins for prog in programs for ins in decode(prog)]


def interpret(circuit: Circuit, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run the decoded streams on bool rows, one array of samples per buffer row."""
    bits = np.concatenate([np.asarray(inputs[p]).reshape(-1, w) for p, w in circuit.inputs.items()], axis=1)
    batch = len(bits)
    rows = {0: np.zeros(batch, dtype=bool), 1: np.ones(batch, dtype=bool)}
    rows.update({2 + i: bits[:, i].astype(bool) for i in range(bits.shape[1])})
    count = None
    for ins in instructions(circuit):
        if ins[0] == "TABLE":
            _, k, table, out, leaves = ins
            index = sum(rows[leaves[j]].astype(np.int64) << j for j in range(k))
            rows[out] = ((table >> index) & 1).astype(bool)
        elif ins[0] in ("ALL", "ANY"):
            _, out, operands = ins
            rows[out] = (np.all if ins[0] == "ALL" else np.any)([rows[r] for r in operands], axis=0)
        elif ins[0] == "AT_LEAST":
            _, out, k, operands = ins
            count = np.sum([rows[r] for r in operands], axis=0)
            rows[out] = count >= k
        else:
            _, out, k = ins
            rows[out] = count >= k
    schedule = schedule_for(circuit)
    return {p: np.stack([rows[int(r)] for r in schedule.outputs[p]], axis=1).astype(np.uint8).reshape(batch, -1)
            for p in circuit.outputs}


def check_values(circuit: Circuit) -> None:
    for batch in BATCHES:
        inputs = random_inputs(circuit, batch, batch)
        want = reference(circuit, inputs)
        assert_same(simulate(circuit, inputs), want)
        assert_same(interpret(circuit, inputs), want)


def check_all(circuit: Circuit) -> np.ndarray:
    op = check_fusion(circuit)
    check_rows(circuit, op, True)
    check_values(circuit)
    return op


# ------------------------------------------------------------------ hand-built circuits
def xor_chain(n: int, outputs_inside: bool = False) -> Circuit:
    b = Builder()
    x = b.input("x", n + 1)
    v, made = x[0], []
    for i in range(1, n + 1):
        v = b.xor(v, x[i])
        made.append(int(v))
    b.output("y", np.array(made if outputs_inside else made[-1:], dtype=np.int64))
    return b.build()


@pytest.mark.parametrize("n", range(1, 13))
def test_xor_chain(n):
    """n XORs over n + 1 inputs, each read by the next only: every second one inlined."""
    circuit = xor_chain(n)
    op = check_all(circuit)
    codes = op & CODE
    assert np.isin(codes, [XOR0, XOR1]).sum() == n
    assert np.count_nonzero(op & INLINE) == n // 2


@pytest.mark.parametrize("n", range(1, 13))
def test_xor_chain_instruction_count(n):
    """Hand count: a cone of the chain's top XOR takes the XOR below it (leaves: the
    one below that and two inputs); a third XOR would make a fourth leaf. So n XORs
    take ceil(n / 2) tables: three-leaf parity (0x96), and for odd n one XOR of two (0x6)."""
    found = instructions(xor_chain(n))
    assert len(found) == math.ceil(n / 2)
    assert all(ins[0] == "TABLE" for ins in found)
    assert sorted((ins[1], ins[2]) for ins in found) == [(2, 0x6)] * (n % 2) + [(3, 0x96)] * (n // 2)


def test_xor_chain_with_every_step_an_output():
    """Outputs are never inlined: n XORs, n instructions of two leaves."""
    circuit = xor_chain(9, outputs_inside=True)
    op = check_all(circuit)
    assert not (op & INLINE).any()
    assert [(ins[0], ins[1], ins[2]) for ins in instructions(circuit)] == [("TABLE", 2, 0x6)] * 9


@pytest.mark.parametrize("length", [1, 2, 3, 15, 16, 17, 31, 32, 33, 40])
def test_not_chains(length):
    """NOT of NOT ... of one input (raw arrays: the Builder folds double negation). A cone
    has at most MOST_GATES gates and inlined gates inline too, so ceil(L / 16) tables of one
    leaf, each a NOT or a copy."""
    r = Raw(2)
    v = r.x[0]
    for _ in range(length):
        v = r.not_(v)
    circuit = r.build([v, r.x[1]])
    op = check_all(circuit)
    assert np.count_nonzero(op & INLINE) == length - math.ceil(length / MOST_GATES)
    found = instructions(circuit)
    assert len(found) == math.ceil(length / MOST_GATES)
    assert all(ins[:2] == ("TABLE", 1) and ins[2] in (0b01, 0b10) for ins in found)


@pytest.mark.parametrize("constant", [0, 1])
@pytest.mark.parametrize("length", [1, 2, 5, 20])
def test_not_chains_of_constants(length, constant):
    """A cone without leaves is a constant: a table of row 0."""
    r = Raw(1)
    v = constant
    chain = []
    for _ in range(length):
        v = r.not_(v)
        chain.append(v)
    circuit = r.build([v, r.gate(Kind.AND, chain[0], r.x[0])])
    check_all(circuit)
    top = instructions(circuit)
    assert any(ins[0] == "TABLE" and ins[1] == 1 and ins[4] == [0] for ins in top)


def test_majority_with_not_operands():
    """MAJ3 of NOTs (each NOT read once: one table of the three inputs), and MAJ of MAJs."""
    r = Raw(4)
    a, b, c, d = r.x
    m1 = r.gate(Kind.MAJ, r.not_(a), b, r.not_(c))
    m2 = r.gate(Kind.MAJ, r.not_(a), r.not_(b), r.not_(c))
    m3 = r.gate(Kind.MAJ, r.not_(a), r.gate(Kind.MAJ, a, b, c), b)
    m3_swapped = r.gate(Kind.MAJ, r.gate(Kind.MAJ, a, b, c), r.not_(a), b)
    m4 = r.gate(Kind.MAJ, r.not_(r.gate(Kind.MAJ, b, c, d)), r.gate(Kind.MAJ, b, r.not_(c), d), r.not_(d))
    circuit = r.build([m1, m2, m3, m3_swapped, m4])
    op = check_all(circuit)
    # m1 .. m3: each one cone of three leaves. Operands are tried one at a time, in order:
    # with the MAJ first (m3_swapped) the cone would have four leaves (a, b, c and the NOT)
    # before the NOT joins (values and invariants only for it and m4)
    assert [len(cone_of(op, circuit, m)[0]) for m in (m1, m2, m3)] == [3, 4, 3]

    # the same through the Builder (structural hashing shares the NOTs: they have two readers)
    bld = Builder()
    a, b, c = bld.input("x", 3)
    na, nc = bld.not_(a), bld.not_(c)
    bld.output("y", np.array([bld.gate(Kind.MAJ, [na, b, nc]), bld.gate(Kind.MAJ, [na, bld.not_(b), nc]),
                              bld.gate(Kind.MAJ, [bld.gate(Kind.MAJ, [a, b, c]), na, b])], dtype=np.int64))
    check_all(bld.build())


def test_cones_with_repeated_leaves():
    r = Raw(4)
    a, b, c, d = r.x
    outs = [
        r.gate(Kind.OR, r.gate(Kind.MAJ, a, a, b), c),  # a repeated inside a gate
        r.gate(Kind.AND, r.xor(a, b), r.gate(Kind.OR, a, b)),  # the same leaves under two operands
        r.gate(Kind.OR, r.xor(c, c), d),  # XOR of a leaf with itself: 0
        r.gate(Kind.MAJ, r.not_(b), r.gate(Kind.AND, b, c), r.gate(Kind.OR, c, b)),
        r.gate(Kind.AND, r.gate(Kind.OR, a, b, c), r.gate(Kind.AND, c, b, a), r.not_(r.not_(a))),
    ]
    circuit = r.build(outs)
    op = check_all(circuit)
    # each of the first four is one cone (the fifth only partly: its operands are tried one
    # at a time, and the first alone would bring four leaves)
    assert [len(cone_of(op, circuit, g)[0]) for g in outs[:4]] == [2, 3, 2, 4]


def test_cone_of_the_most_gates():
    """20 gates, each of the one before and one of two inputs: the leaves stay three
    (the gate below and the two inputs), so the top cone stops at MOST_GATES gates."""
    r = Raw(3)
    a, b, _ = r.x
    v = r.gate(Kind.AND, a, b)
    for i in range(19):
        kind = (Kind.AND, Kind.OR, Kind.MAJ, Kind.NOT)[i % 4]
        leaf = (a, b)[i % 2]
        v = r.not_(v) if kind == Kind.NOT else r.gate(kind, v, leaf) if kind != Kind.MAJ else r.gate(kind, v, leaf, 0)
    circuit = r.build([v])
    op = check_all(circuit)
    roots = [g for g in range(circuit.first_gate, circuit.n_nodes) if op[g] != SKIP and not op[g] & INLINE]
    assert sorted(len(cone_of(op, circuit, g)[0]) for g in roots) == [4, MOST_GATES]


def test_constants_as_operands():
    """Constant operands are folded into the table (they are not leaves); a cone
    of constants only is a table of row 0."""
    r = Raw(3)
    a, b, c = r.x
    outs = [
        r.gate(Kind.OR, r.gate(Kind.AND, a, 1), r.gate(Kind.OR, b, 0), c),
        r.gate(Kind.AND, r.gate(Kind.OR, b, 1), r.gate(Kind.AND, c, 0), a),
        r.gate(Kind.MAJ, r.gate(Kind.MAJ, a, 1, b), r.gate(Kind.MAJ, 0, b, c), r.gate(Kind.MAJ, 0, 1, a)),
        r.gate(Kind.OR, r.xor(a, 1), r.xor(0, b)),
        r.gate(Kind.AND, r.not_(0), r.gate(Kind.OR, 1, 0)),  # constant 1
        r.gate(Kind.OR, r.not_(1), r.gate(Kind.MAJ, 1, 0, 0)),  # constant 0
        r.gate(Kind.MAJ, 1, 1, 0),
        r.gate(Kind.AND, 0, a),
        r.gate(Kind.OR, r.not_(r.gate(Kind.AND, 1, 1)), 1, c),
    ]
    circuit = r.build(outs)
    op = check_all(circuit)
    found = instructions(circuit)
    assert all(ins[0] == "TABLE" for ins in found)
    assert sum(ins[4] == [0] for ins in found) >= 3  # the constant outputs: tables of row 0
    assert [len(cone_of(op, circuit, g)[0]) for g in (outs[0], outs[1], outs[3], outs[4], outs[5])] == [3, 3, 3, 3, 3]


def test_an_output_inside_a_cone_is_not_inlined():
    r = Raw(3)
    a, b, c = r.x
    g1 = r.gate(Kind.AND, a, b)
    g2 = r.not_(g1)
    g3 = r.gate(Kind.OR, g2, c)
    h1 = r.gate(Kind.OR, a, c)
    h2 = r.gate(Kind.MAJ, h1, b, a)
    h3 = r.gate(Kind.AND, r.not_(h2), c)
    circuit = r.build([g3, g1, h3, h2])
    op = check_all(circuit)
    assert not op[g1] & INLINE and op[g2] & INLINE  # g1 an output: a leaf of g3's cone
    assert not op[h2] & INLINE and op[h1] & INLINE  # h1 inlined into the output h2, not past it


def test_a_gate_with_two_readers_is_not_inlined():
    r = Raw(4)
    a, b, c, d = r.x
    g1 = r.gate(Kind.AND, a, b)
    g2 = r.gate(Kind.OR, g1, c)
    g3 = r.not_(g1)
    g4 = r.gate(Kind.AND, g2, g3)
    h1 = r.gate(Kind.OR, a, d)
    h2 = r.gate(Kind.MAJ, h1, h1, c)  # one reader, two reads
    x1 = r.xor(b, d)
    x2 = r.xor(x1, a)
    x3 = r.gate(Kind.OR, x1, c)  # the XOR x1 read by x2 and x3
    circuit = r.build([g4, h2, r.gate(Kind.AND, x2, x3)])
    op = check_all(circuit)
    assert not op[g1] & INLINE and op[g2] & INLINE and op[g3] & INLINE
    assert not op[h1] & INLINE
    assert not op[x1] & INLINE


def test_small_gates_are_never_inlined_into_wide_gates():
    r = Raw(4)
    a, b, c, d = r.x
    s = [r.not_(a), r.gate(Kind.AND, a, b), r.xor(b, c), r.gate(Kind.MAJ, a, b, c), r.gate(Kind.OR, c, d)]
    inner = r.not_(d)
    s7 = r.gate(Kind.OR, inner, a)  # read by a wide gate; its own NOT operand is inlined into it
    s8 = r.gate(Kind.AND, b, d)
    wide = [
        r.gate(Kind.AND, s[0], s[1], s[2], s[3]),
        r.gate(Kind.MAJ, s[4], a, b, c, d),
        r.gate(Kind.OR, s7, a, b, c),
        r.gate(Kind.MAJ, s8, 0, 1, a, b),  # three variables, but five fan-ins: wide
    ]
    circuit = r.build([r.gate(Kind.AND, *wide)])
    op = check_all(circuit)
    assert not any(op[g] & INLINE for g in [*s, s7, s8, *wide])
    assert op[inner] & INLINE

    bld = Builder()
    x = bld.input("x", 6)
    small = [bld.xor(x[0], x[1]), bld.not_(x[2]), bld.gate(Kind.MAJ, x[3:6]), bld.and_(x[1], x[4]),
             bld.or_(x[0], x[5])]
    bld.output("y", np.atleast_1d(bld.gate(Kind.OR, small)))
    circuit = bld.build()
    op = check_all(circuit)
    assert not (op & INLINE).any()


@pytest.mark.parametrize("bits", [1, 4, 9])
def test_ripple_carry_adder(bits):
    """Full adders: sum = a XOR b XOR carry, carry = MAJ(a, b, carry); the XOR's inner
    gates shared with nothing, the carries read twice."""
    bld = Builder()
    a, b = bld.input("a", bits), bld.input("b", bits)
    carry, out = 0, []
    for i in range(bits):
        out.append(int(bld.xor(bld.xor(a[i], b[i]), carry)))
        carry = int(bld.gate(Kind.MAJ, [a[i], b[i], carry]))
    bld.output("s", np.array(out + [carry], dtype=np.int64))
    check_all(bld.build())


# ------------------------------------------------------------------ random circuits
@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_gates=st.integers(1, 300), rich=st.booleans(),
       max_fanin=st.integers(1, 5), in_post_order=st.booleans())
def test_fusion_invariants_on_random_circuits(seed, n_gates, rich, max_fanin, in_post_order):
    """Structure (check_fusion, the row replay in post-order or node order) and values
    (simulate and the stream interpreter against the reference) on Builder circuits rich
    in small single-reader gates and on raw ones (constants, repeats, NOT of NOT, even MAJ)."""
    circuit = small_circuit(seed, n_gates) if rich else raw_circuit(seed, n_gates, max_fanin)
    op = check_fusion(circuit)
    check_rows(circuit, op, in_post_order)
    inputs = random_inputs(circuit, 65, seed % 1000)
    want = reference(circuit, inputs)
    assert_same(simulate(circuit, inputs), want)
    assert_same(interpret(circuit, inputs), want)


@pytest.mark.parametrize("node_order", [False, True])
@pytest.mark.parametrize("kept", [True, False])
def test_fused_schedules_in_node_order_and_small_chunks(monkeypatch, node_order, kept):
    """Cones evaluated in node order (the order of circuits too large for a post-order),
    in chunks of 3 positions, with streams kept or encoded in every run."""
    monkeypatch.setattr(schedule_module, "CHUNK_NODES", 3)
    monkeypatch.setattr(schedule_module, "_KEPT_PROGRAM_BYTES", 1 << 20 if kept else 0)
    if node_order:
        monkeypatch.setattr(schedule_module, "_ORDER_BYTES", 0)
        monkeypatch.setattr(schedule_module, "_ORDER_SHARE", 0)
    orders = []

    def counted_post_order(*args):
        orders.append(args)
        return post_order(*args)

    monkeypatch.setattr(schedule_module, "post_order", counted_post_order)
    for circuit in [xor_chain(7), small_circuit(3, 120), small_circuit(8, 120), raw_circuit(5, 150, 3)]:
        assert (schedule_for(circuit).programs is not None) == kept  # the schedule simulate uses
        inputs = random_inputs(circuit, 130, 1)
        assert_same(simulate(circuit, inputs), reference(circuit, inputs))
    assert len(orders) == (0 if node_order else 4)
