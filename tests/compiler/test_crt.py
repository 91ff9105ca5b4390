"""Direct tests of ``tc0.compiler.gadgets.crt``: the iterated product by
Chinese remaindering (``iterated_product``, and as candidates,
``iterated_product_choices``) and its prime plan (``prime_plan``).

Oracle: Python's ``math.prod`` on the integers the test drew, the circuit
built with ``tc0.Builder`` and run with ``tc0.simulate``; bits are packed
and unpacked here (number j of the port at bits j*W upward, LSB first)."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from int_simulation import from_bits, to_bits

import tc0
from tc0.compiler.gadgets.crt import iterated_product, iterated_product_choices
from tc0.numerics.crt_series import prime_plan


def product_circuit(w: int, m: int, lead=()):
    b = tc0.Builder()
    count = int(np.prod(lead, dtype=np.int64)) if lead else 1
    x = b.input("x", count * m * w)
    y = iterated_product(b, x.reshape(tuple(lead) + (m, w)))
    assert y.shape == tuple(lead) + (m * w,)
    b.output("y", y)
    return b.build()


def run_products(circuit, cases: list[tuple[int, ...]], w: int) -> list[int]:
    """Each case is a tuple of m W-bit factors; returns the circuit's product per case."""
    m = len(cases[0])
    packed = [sum(v << (j * w) for j, v in enumerate(case)) for case in cases]
    out = tc0.simulate(circuit, {"x": to_bits(packed, m * w)})["y"]
    assert out.shape == (len(cases), m * w)
    return from_bits(out)


@pytest.mark.parametrize("w, m", [(w, m) for w in (1, 2, 3) for m in (1, 2, 3)] + [(4, 2), (2, 4), (5, 2), (1, 8)])
def test_iterated_product_exhaustive(w, m):
    circuit = product_circuit(w, m)
    cases = list(itertools.product(range(1 << w), repeat=m))
    assert run_products(circuit, cases, w) == [math.prod(c) for c in cases]


def edge_cases(w: int, m: int) -> list[tuple[int, ...]]:
    top = (1 << w) - 1
    cases = [(0,) * m, (1,) * m, (top,) * m, (top,) * (m - 1) + (0,), (0,) + (top,) * (m - 1),
             (1,) * (m - 1) + (top,), (top - 1,) * m, (1 << (w - 1),) * m, (2,) * m]
    # a factor 0 anywhere, and factors that are multiples of the small primes of the plan
    for q in prime_plan(m * w)[:4]:
        cases.append(tuple((q * (i + 1)) % (1 << w) or q for i in range(m)))
    for j in range(m):
        cases.append(tuple(0 if i == j else top for i in range(m)))
    return cases


@pytest.mark.parametrize("w, m", [(8, 4), (16, 3), (16, 4), (8, 2), (12, 3), (32, 2), (6, 6)])
def test_iterated_product_random_and_edges(w, m):
    rng = random.Random(w * 100 + m)
    circuit = product_circuit(w, m)
    cases = edge_cases(w, m) + [tuple(rng.getrandbits(w) for _ in range(m)) for _ in range(400)]
    assert run_products(circuit, cases, w) == [math.prod(c) for c in cases]


def test_iterated_product_over_a_batch_axis():
    """Leading axes: one independent product per row."""
    w, m, lead = 4, 3, (2, 3)
    circuit = product_circuit(w, m, lead)
    rng = random.Random(5)
    n_cases = 64
    groups = [[tuple(rng.getrandbits(w) for _ in range(m)) for _ in range(6)] for _ in range(n_cases)]
    groups[0] = [(15, 15, 15), (0, 1, 2), (1, 1, 1), (3, 5, 7), (0, 0, 0), (15, 1, 15)]
    packed = [sum(v << ((g * m + j) * w) for g, case in enumerate(group) for j, v in enumerate(case))
              for group in groups]
    out = tc0.simulate(circuit, {"x": to_bits(packed, 6 * m * w)})["y"]
    assert out.shape == (n_cases, 6 * m * w)
    for row, group in zip(out, groups):
        words = row.reshape(6, m * w)
        assert from_bits(words) == [math.prod(case) for case in group]


def is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))


@pytest.mark.parametrize("bits", [0, 1, 2, 3, 7, 8, 9, 16, 31, 32, 48, 64, 100, 255, 512])
def test_prime_plan(bits):
    primes = prime_plan(bits)
    assert len(set(primes)) == len(primes), "primes must be distinct"
    assert all(is_prime(q) and q % 2 == 1 for q in primes)
    # consecutive odd primes from 3 (the docstring's 3, 5, 7, ...)
    assert list(primes) == [q for q in range(3, primes[-1] + 1) if is_prime(q)]
    product = math.prod(primes)
    assert product > 2**bits
    assert product > 2 ** (bits + 1)  # the documented margin (Q > 2 * 2^(mW))
    assert math.prod(primes[:-1]) <= 2 ** (bits + 1), "the plan stops at the first prime that suffices"


@pytest.mark.parametrize("w, m", [(2, 2), (3, 2), (2, 3), (4, 2), (8, 3), (16, 2)])
def test_product_candidates_exactly_one_holds_and_it_is_the_product(w, m):
    """Exhaustive for small widths, edges and random otherwise: the selects of
    exactly one candidate hold, and that candidate's value is the product."""
    b = tc0.Builder()
    x = b.input("x", m * w)
    choices = iterated_product_choices(b, x.reshape(m, w))
    holds = np.array([b.and_(*selects) if len(selects) > 1 else selects[0] for selects, _ in choices])
    b.output("holds", holds)
    b.output("values", np.concatenate([value for _, value in choices]))
    circuit = b.build()
    if (1 << (w * m)) <= 4096:
        cases = list(itertools.product(range(1 << w), repeat=m))
    else:
        rng = random.Random(w + m)
        cases = edge_cases(w, m) + [tuple(rng.getrandbits(w) for _ in range(m)) for _ in range(300)]
    packed = [sum(v << (j * w) for j, v in enumerate(case)) for case in cases]
    out = tc0.simulate(circuit, {"x": to_bits(packed, m * w)})
    for case, hold, values in zip(cases, out["holds"], out["values"]):
        assert hold.sum() == 1, (case, hold)
        chosen = values.reshape(len(choices), m * w)[int(np.argmax(hold))]
        assert from_bits(chosen[None, :])[0] == math.prod(case), case
