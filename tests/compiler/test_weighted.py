"""The depth-record circuits of ``tc0.compiler.gadgets.weighted`` against Python
integers: every input pair for W <= 6 in both builds, random and edge cases
at larger W; their depths (2 and 3, whatever W) and edge growth."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from tc0.compiler.builder import Builder
from tc0.compiler.catalog import compile_gadget
from tc0.compiler.gadgets import weighted
from int_simulation import from_bits, to_bits

import tc0

CIRCUITS = {
    "less_than_weights": (weighted.less_than_weights, lambda a, b: int(a < b), 2),
    "less_than_delta": (weighted.less_than_delta, lambda a, b: int(a < b), 3),
    "add_delta": (weighted.add_delta, lambda a, b: a + b, 3),
}


def build(name: str, w: int, optimize: str = "size"):
    b = Builder(optimize=optimize)
    out = CIRCUITS[name][0](b, b.input("a", w), b.input("b", w))
    b.output("y", out if out.ndim else out[None])
    return b.build()


def run(circuit, pairs, w):
    got = tc0.simulate(circuit, {"a": to_bits([a for a, _ in pairs], w), "b": to_bits([b for _, b in pairs], w)})
    return from_bits(got["y"])


def edge_and_random(w: int, n: int, seed: int):
    rng = random.Random(seed)
    top = (1 << w) - 1
    pairs = [(0, 0), (top, top), (0, top), (top, 0), (1, top), (top, 1)]
    for j in range(w):  # equal above bit j, differing at it: the comparison's hardest cases
        x = rng.getrandbits(w)
        pairs += [(x & ~(1 << j), x | (1 << j)), (x | (1 << j), x & ~(1 << j)), (x, top - x)]
    return pairs + [(rng.getrandbits(w), rng.getrandbits(w)) for _ in range(n)]


@pytest.mark.parametrize("optimize", ["size", "depth"])
@pytest.mark.parametrize("name", sorted(CIRCUITS))
@pytest.mark.parametrize("w", [1, 2, 3, 4, 5, 6])
def test_every_pair_small_widths(name, w, optimize):
    c = build(name, w, optimize)
    pairs = list(itertools.product(range(1 << w), repeat=2))
    oracle = CIRCUITS[name][1]
    assert run(c, pairs, w) == [oracle(a, b) for a, b in pairs]
    single_bit_compare = name == "less_than_delta" and w == 1  # its top gate reads literals only
    assert c.depth == (2 if single_bit_compare else CIRCUITS[name][2])


@pytest.mark.parametrize("name,w", [("less_than_weights", 18), ("less_than_delta", 12), ("less_than_delta", 14),
                                    ("add_delta", 10), ("add_delta", 12)])
def test_random_and_edge_cases(name, w):
    c = build(name, w)
    pairs = edge_and_random(w, 1500, seed=w)
    oracle = CIRCUITS[name][1]
    assert run(c, pairs, w) == [oracle(a, b) for a, b in pairs]
    assert c.depth == CIRCUITS[name][2]


def test_delta_prime_is_the_least_prime_above_the_error_bound():
    def prime(n):
        return n >= 2 and all(n % f for f in range(2, n))

    for w in range(1, 40):
        q, bound = weighted.delta_prime(w), (w - 1) * (w - 2) // 2
        assert prime(q) and q > bound and not any(prime(n) for n in range(bound + 1, q)), w


def test_edges_grow_as_the_constructions_say():
    """Delta comparison: edges polynomial (W^6 to W^7 between W = 8 and 16); weights: at least 2^(W+1)."""
    delta = [compile_gadget("int:lt-delta", bits=w).edges for w in (8, 16)]
    assert 2**5 < delta[1] / delta[0] < 2**7.5, delta
    for w in (8, 12, 16):
        assert compile_gadget("int:lt-weights", bits=w).edges >= 2 ** (w + 1)
    add = [compile_gadget("int:add-delta", bits=w).edges for w in (6, 12)]
    assert 2**6 < add[1] / add[0] < 2**8.5, add


def test_catalog_depths_and_bounds():
    for name, w, depth in [("int:lt-delta", 9, 3), ("int:lt-weights", 9, 2), ("int:add-delta", 9, 3)]:
        c = compile_gadget(name, bits=w, optimize="depth")
        assert c.depth == depth and list(c.outputs) == (["lt"] if name.startswith("int:lt") else ["y"])
    with pytest.raises(tc0.errors.GadgetError, match="bits must be in 1..20"):
        compile_gadget("int:add-delta", bits=21)
    assert np.all(np.diff([compile_gadget("int:lt-delta", bits=w).size for w in (4, 8, 12)]) > 0)


@pytest.mark.parametrize("optimize,depth", [("size", 7), ("depth", 6)])
@pytest.mark.parametrize("w", [2, 3, 4])
def test_multiply_delta_every_pair(w, optimize, depth):
    """x * y through add_delta: 6 levels built for depth (its literal NOTs are twins), 7 for size;
    at W = 2 the two partial-product rows go straight to the adder (4)."""
    b = Builder(optimize=optimize)
    b.output("y", weighted.multiply_delta(b, b.input("a", w), b.input("b", w)))
    c = b.build()
    pairs = list(itertools.product(range(1 << w), repeat=2))
    assert run(c, pairs, w) == [x * y for x, y in pairs]
    assert c.depth == (depth if w > 2 else 4)


@pytest.mark.parametrize("optimize,depth", [("size", 6), ("depth", 5)])
@pytest.mark.parametrize("w,m,exhaustive", [(2, 3, True), (3, 4, True), (8, 5, False), (6, 16, False)])
def test_sum_delta(w, m, exhaustive, optimize, depth):
    """The sum of m numbers through add_delta: 5 levels built for depth, 6 for size (m >= 3)."""
    b = Builder(optimize=optimize)
    b.output("y", weighted.sum_delta(b, b.input("x", w * m).reshape(m, w)))
    c = b.build()
    rng = random.Random(w * m)
    top = (1 << w) - 1
    rows = (list(itertools.product(range(1 << w), repeat=m)) if exhaustive else
            [(0,) * m, (top,) * m, (1,) * m] + [tuple(rng.getrandbits(w) for _ in range(m)) for _ in range(1500)])
    packed = [sum(v << (j * w) for j, v in enumerate(row)) for row in rows]
    got = from_bits(tc0.simulate(c, {"x": to_bits(packed, w * m)})["y"])
    assert got == [sum(row) for row in rows]
    assert c.depth == depth
