"""The polynomial evaluation by Chinese remaindering: its plan and emulation
(``tc0.numerics.crt_series``) and its circuit (``crt.series``).

Oracle: V = sum_k C_k X^k in Python integers. Properties: the emulation's
R is within (V/2^L - 3/2, V/2^L + 1/2), the circuit gives the emulation's R
to the bit (exhaustive for small X widths, random plus edges for wide ones),
and the depth does not depend on the polynomial."""

from __future__ import annotations

import random

import pytest
from int_simulation import from_bits, to_bits

import tc0
from tc0.compiler.gadgets.crt import series
from tc0.errors import GadgetError
from tc0.numerics.crt_series import crt_series, evaluate

# (coefficients, x bits, drop): 1/(1-u), sqrt(1+y)-like signed terms, exp-like, a constant, a big drop
POLYNOMIALS = [
    ((1 << 20, 1 << 10, 1), 10, 10),
    ((1 << 30, 1 << 23, -(1 << 14), 1 << 9), 6, 12),
    ((1 << 30, 1 << 30, 1 << 29, 178956970, 44739242), 9, 20),
    ((5,), 3, 0),
    ((3, 7, 11, 13), 5, 0),
    ((1 << 40, 1 << 35, 1 << 30, 1 << 25, 1 << 20, 1 << 15, 1 << 10), 12, 48),
]


def exact(coefficients, x):
    return sum(c * x**k for k, c in enumerate(coefficients))


def circuit_values(plan, xs):
    b = tc0.Builder()
    b.output("y", series(b, b.input("x", plan.x_bits), plan))
    return from_bits(tc0.simulate(b.build(), {"x": to_bits(xs, plan.x_bits)})["y"])


def cases(bits, count=300, seed=7):
    if bits <= 10:
        return list(range(1 << bits))
    rng = random.Random(seed)
    top = (1 << bits) - 1
    return [0, 1, 2, top, top - 1, 1 << (bits - 1)] + [rng.randrange(1 << bits) for _ in range(count)]


@pytest.mark.parametrize("coefficients, bits, drop", POLYNOMIALS)
def test_emulation_is_within_its_bound(coefficients, bits, drop):
    plan = crt_series(coefficients, bits, drop)
    for x in cases(bits, count=3000):
        r, v = evaluate(plan, x), exact(coefficients, x)
        assert 2 * v - 3 * 2**drop < 2 * r * 2**drop < 2 * v + 2**drop, (x, r, v)


@pytest.mark.parametrize("coefficients, bits, drop", POLYNOMIALS)
def test_circuit_equals_emulation(coefficients, bits, drop):
    plan = crt_series(coefficients, bits, drop)
    xs = cases(bits)
    assert circuit_values(plan, xs) == [evaluate(plan, x) for x in xs]


def test_depth_does_not_depend_on_the_polynomial():
    depths = set()
    for coefficients, bits, drop in POLYNOMIALS:
        if bits < 5:  # one 4-bit chunk skips the residue sum
            continue
        b = tc0.Builder()
        b.output("y", series(b, b.input("x", bits), crt_series(coefficients, bits, drop)))
        depths.add(b.build().depth)
    assert len(depths) == 1, depths


def test_a_polynomial_that_can_go_negative_is_refused():
    with pytest.raises(GadgetError, match="can be negative"):
        crt_series((1, -1), 4, 0)
