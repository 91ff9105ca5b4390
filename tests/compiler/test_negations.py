"""Builder(optimize="depth"): negations as twins (tc0.compiler.negations).

The function must not change: random circuits are checked on every input
against Python booleans evaluated alongside the builder calls, and the float
gadgets against the p-bit reference (exhaustive at (4, 4), random + edge
cases at (8, 9) and (11, 6)). The depth bound is checked against the size
build's own levels computed here: with twins, no output is deeper than the
size build's depth with NOT gates counted 0, plus one (the negated sources)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from float_case_reference import reference
from float_oracles import valid_words
from test_builder import reference_eval
from test_float_gadgets import BINARY, UNARY, assert_same, run

from tc0 import Builder, Kind
from tc0.compiler.catalog import compile_gadget
from tc0.compiler.gadgets import floats
from tc0.errors import CircuitError, GadgetError
from tc0.numerics import FloatFormat
from tc0.verify.float_cases import float_cases


def levels_without_nots(c) -> np.ndarray:
    """Each node's depth counting AND/OR/MAJ as 1 and NOT as 0."""
    level = np.zeros(c.n_nodes, dtype=np.int64)
    for v in range(c.first_gate, c.n_nodes):
        deepest = max(int(level[u]) for u in c.fanin_of(v))
        level[v] = deepest + (0 if c.kind[v] == Kind.NOT else 1)
    return level


def random_calls(seed: int, n_inputs: int, n_gates: int):
    """A random gate program: (kind, fan-in indices, k) per gate; indices
    name inputs (0 .. n_inputs - 1) and earlier gates."""
    rng = random.Random(seed)
    calls = []
    for g in range(n_gates):
        pool = n_inputs + g
        kind = rng.choice(["and", "or", "not", "not", "maj", "xor"])
        width = 1 if kind == "not" else 2 if kind == "xor" else rng.randint(2, 5)
        fan = [rng.randrange(max(0, pool - 12), pool) for _ in range(width)]
        calls.append((kind, fan, rng.randint(1, width)))
    return calls


def build_calls(calls, n_inputs: int, optimize: str):
    b = Builder(optimize=optimize)
    x = b.input("x", n_inputs)
    wires = list(x)
    for kind, fan, k in calls:
        f = np.array([wires[i] for i in fan])
        if kind == "not":
            wires.append(b.not_(f[0]))
        elif kind == "xor":
            wires.append(b.xor(f[0], f[1]))
        elif kind == "maj":
            wires.append(b.threshold(f, k))
        else:
            wires.append(b.gate(Kind.AND if kind == "and" else Kind.OR, f))
    b.output("y", np.array(wires[n_inputs:][-8:]))
    return b.build()


def python_values(calls, bits: list[int]) -> list[int]:
    values = list(bits)
    for kind, fan, k in calls:
        v = [values[i] for i in fan]
        if kind == "not":
            values.append(1 - v[0])
        elif kind == "xor":
            values.append(v[0] ^ v[1])
        elif kind == "maj":
            values.append(int(sum(v) >= k))
        else:
            values.append(int(all(v) if kind == "and" else any(v)))
    return values[len(bits):][-8:]


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_keep_their_function_and_lose_depth(seed):
    n = 6
    calls = random_calls(seed, n, 60)
    small, deep = build_calls(calls, n, "size"), build_calls(calls, n, "depth")
    for assignment in range(2**n):
        want = python_values(calls, [(assignment >> i) & 1 for i in range(n)])
        want_int = sum(bit << i for i, bit in enumerate(want))
        assert reference_eval(deep, {"x": assignment})["y"] == want_int
        assert reference_eval(small, {"x": assignment})["y"] == want_int
    outputs = small.output_ids()
    assert deep.depth <= small.depth
    assert deep.depth <= int(levels_without_nots(small)[outputs].max()) + 1


@pytest.mark.parametrize("op", BINARY + UNARY)
def test_float_gadgets_built_for_depth_exhaustive_44(op):
    fmt = FloatFormat(4, 4)
    words = np.array(valid_words(4, 4), dtype=np.uint64)
    if op in UNARY:
        cases = words.reshape(-1, 1)
    else:
        cases = np.stack([x.ravel() for x in np.meshgrid(words, words, indexing="ij")], axis=1)
    deep = compile_gadget(f"float:{op}", p=4, e=4, optimize="depth")
    assert_same(run(deep, fmt, op, cases), reference(fmt, op, cases), cases, f"{op} (4, 4), optimize depth")


@pytest.mark.parametrize("op, m", [("add", None), ("mul", None), ("lt", None), ("max", None), ("div", None), ("sqrt", None), ("exp", None),
                                   ("sum", 16), ("prod", 3), ("dot", 4)])
@pytest.mark.parametrize("p, e", [(8, 9), (11, 6), (16, 8)])
def test_float_gadgets_built_for_depth_random(op, m, p, e):
    fmt = FloatFormat(p, e)
    cases, _ = float_cases(op, p, e, m, samples=3000, seed=p + e)
    small = compile_gadget(f"float:{op}", m=m, p=p, e=e)
    deep = compile_gadget(f"float:{op}", m=m, p=p, e=e, optimize="depth")
    assert_same(run(deep, fmt, op, cases), reference(fmt, op, cases), cases, f"{op} ({p}, {e}), optimize depth")
    assert deep.depth < small.depth
    assert deep.depth <= int(levels_without_nots(small)[small.output_ids()].max()) + 1
    assert deep.size <= 4 * small.size  # twins at most double it; speculation (rounding, candidates) adds the rest


def test_twins_double_the_circuit_at_most():
    """Every node gets at most one twin: a chain of ANDs over NOTs, negated at every step."""
    for optimize in ("size", "depth"):
        b = Builder(optimize=optimize)
        x = b.input("x", 40)
        acc, outs = x[0], []
        for i in range(1, 40):
            acc = b.and_(b.not_(acc), x[i])
            outs.append(acc)
        b.output("y", np.array(outs))
        c = b.build()
        if optimize == "size":
            size = c.size
        else:
            assert c.size <= 2 * size and c.depth <= 41


def test_source_levels_are_for_depth_builders_and_inputs_only():
    b = Builder()
    x = b.input("x", 2)
    with pytest.raises(CircuitError, match="optimize='depth'"):
        b.set_source_levels(x, 3, 4)
    d = Builder(optimize="depth")
    y = d.input("y", 2)
    g = d.and_(y[0], y[1])
    with pytest.raises(CircuitError, match="input bits only"):
        d.set_source_levels([g], 3, 4)
    with pytest.raises(CircuitError, match="optimize must be one of size, depth"):
        Builder(optimize="speed")


def test_a_negated_source_starts_at_its_carried_level():
    """A streamed piece's input whose negation was carried at level 5 (a twin upstream): NOT of it is at 5."""
    b = Builder(optimize="depth")
    x = b.input("x", 2)
    b.set_source_levels(x, np.array([5, 5]), np.array([5, 6]))
    n0, n1 = b.not_(x[0]), b.not_(x[1])
    assert tuple(int(v) for v in b.levels_of(np.array([n0, n1]))[0]) == (5, 6)
    assert int(b.levels_of(b.and_(n0, n1))[0]) == 7


def test_size_builds_round_one_choice_without_selects():
    """Only a depth build folds picks into the rounding; a size build says so."""
    fmt = FloatFormat(4, 4)
    b = Builder()
    mag, exp, pick = b.input("m", 6), b.input("e", 4), b.input("s", 1)[0]
    zero = Builder.const(0)
    with pytest.raises(GadgetError, match="one choice"):
        floats.round_pack_choices(b, fmt, [((pick,), zero, mag), ((b.not_(pick),), zero, mag)], [exp], 8)
    with pytest.raises(GadgetError, match="one choice"):
        floats.round_pack_choices(b, fmt, [((pick,), zero, mag)], [exp], 8)
