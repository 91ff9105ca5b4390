"""The constants exp's algorithm uses (tc0.numerics.exp_algorithm.exp_plan):
L2E, LN2 and the ROM are the floors of log2(e), ln 2 and 2^(j / 2^T), scaled,
as MPFR computes them."""

from __future__ import annotations

import gmpy2
import pytest

from tc0.numerics import FloatFormat
from tc0.numerics.exp_algorithm import exp_plan


@pytest.mark.parametrize("p, e", [(2, 2), (4, 4), (8, 9), (11, 6), (16, 8), (24, 25), (31, 32), (2, 61)])
def test_exp_constants_against_mpfr(p, e):
    """L2E = floor(log2(e) 2^H), LN2 = floor(ln 2 2^LNB) and the ROM
    R[j] = floor(2^(j / 2^T) 2^F), recomputed with MPFR at 256 guard bits:
    each scaled value is an integer (R[0]) or more than 2^-200 from one, so
    the MPFR error (below 2^-250 of it) cannot move the floor."""
    plan = exp_plan(FloatFormat(p, e))

    def floor_of(fn, bits):
        ctx = gmpy2.context(precision=bits + 256)
        with ctx:
            value = ctx.mul_2exp(fn(), bits)
        floor = ctx.floor(value)
        frac = ctx.sub(value, floor)
        assert frac == 0 or 2**-200 < frac < 1 - 2**-200
        return int(floor)

    assert plan.L2E == floor_of(lambda: 1 / gmpy2.const_log2(), plan.H)
    assert plan.LN2 == floor_of(gmpy2.const_log2, plan.LNB)
    assert len(plan.ROM) == 2**plan.T
    js = range(2**plan.T) if plan.T <= 12 else sorted({0, 1, 2**plan.T - 1, *range(0, 2**plan.T, 2**plan.T // 3000)})
    for j in js:
        assert plan.ROM[j] == floor_of(lambda: gmpy2.exp2(gmpy2.mpfr(j) / 2**plan.T), plan.F), j
