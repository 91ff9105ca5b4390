"""The exp algorithm, shared by the p-bit reference and the circuit.

exp is faithfully rounded (DESIGN section 3); the reference follows this
algorithm to the bit, so the circuit and the reference agree exactly. For a
word x = (-1)^s m 2^E (all integers below are exact; "floor" rounds toward
minus infinity):

1. Overflow: if E >= I - p + 1 then |x| >= 2^I, far outside the range where
   exp(x) is representable: the result is the largest value (s = 0) or 0.
2. Fixed point: X = floor(m 2^(E + G)) (|x| in units 2^-G; 0 when E + G + p < 0).
3. Y = (-1)^s X L2E with L2E = floor(log2(e) 2^H), in units 2^-(G+H).
4. k = floor(Y / 2^FB), frac = Y - k 2^FB, FB = G + H (so 2^(Y/2^FB) = 2^k 2^(frac/2^FB)).
5. Z = floor(floor(frac / 2^(FB - F - 4)) LN2 / 2^(LNB + 4)), LN2 = floor(ln 2 2^LNB):
   z = frac ln 2 in units 2^-F, in [0, ln 2).
6. T = sum_(j=0..J) floor(floor(Z^j / 2^(F (j-1))) C_j / 2^F) with C_0 = C_1 = 2^F and
   C_j = floor(2^F / j!): T / 2^F ~ exp(z) = 2^(frac/2^FB), in [1, 2).
7. result = round(T 2^(k - F)) (ties to even, then saturation and flush).

Error: the truncations cost at most (2J + 4) 2^-F relative plus 2^-G from X,
with F = G = p + 8 and J <= 13 that is below 1/8 ulp, so rounding to nearest
lands on one of the two neighbours of exp(x): faithful.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tc0.floats.format import FloatFormat, round_scaled


@dataclass(frozen=True)
class ExpPlan:
    """Constants of the exp algorithm for one format."""

    G: int  # fraction bits of |x|
    I: int  # integer bits of |x| (2^I beyond the representable range of exp)
    H: int  # fraction bits of log2(e)
    F: int  # fraction bits of the series
    LNB: int  # fraction bits of ln 2
    J: int  # last Taylor term
    L2E: int
    LN2: int
    C: tuple[int, ...]  # C_0 .. C_J

    @property
    def FB(self) -> int:
        return self.G + self.H


def _floor_ln2(bits: int) -> int:
    # ln 2 = sum_k 1 / (k 2^k); truncating the series and adding its tail bound
    # brackets the value; 40 guard bits make the floor exact for any bits used here.
    guard = bits + 40
    total = sum(Fraction(1, k * 2**k) for k in range(1, guard + 2))
    return math.floor(total * 2**bits)


def _floor_log2e(bits: int) -> int:
    guard = bits + 40
    ln2 = Fraction(_floor_ln2(guard), 2**guard)
    return math.floor(2**bits / ln2)


def exp_plan(fmt: FloatFormat) -> ExpPlan:
    """The constants for ``fmt``."""
    p, e = fmt.p, fmt.e
    g = f = p + 8
    i = (2 ** (e - 1) + p + 2).bit_length() + 1
    h = g + i + 4
    lnb = f + 4
    j = 1
    while Fraction(7, 10) ** (j + 1) / math.factorial(j + 1) >= Fraction(1, 2 ** (f + 2)):
        j += 1
    c = (2**f, 2**f) + tuple(2**f // math.factorial(k) for k in range(2, j + 1))
    return ExpPlan(g, i, h, f, lnb, j, _floor_log2e(h), _floor_ln2(lnb), c)


def exp_reference(fmt: FloatFormat, words) -> np.ndarray:
    """exp of every word, following the algorithm above to the bit."""
    plan = exp_plan(fmt)
    arr = np.asarray(words, dtype=np.uint64)
    s, m, exponent = fmt.fields(arr)
    out = np.empty(arr.shape, dtype=np.uint64)
    flat_out = out.reshape(-1)
    for idx, (si, mi, ei) in enumerate(zip(s.reshape(-1), m.reshape(-1), exponent.reshape(-1))):
        si, mi, ei = int(si), int(mi), int(ei)
        if mi and ei >= plan.I - fmt.p + 1:
            flat_out[idx] = 0 if si else fmt.max_word
            continue
        shift = ei + plan.G
        x_fixed = (mi << shift) if shift >= 0 else (mi >> -shift)
        y = x_fixed * plan.L2E
        y = -y if (si and mi) else y
        k = y >> plan.FB  # floor
        frac = y - (k << plan.FB)
        z = ((frac >> (plan.FB - plan.F - 4)) * plan.LN2) >> (plan.LNB + 4)
        total = 0
        for j, cj in enumerate(plan.C):
            power = z**j
            scaled = power >> (plan.F * (j - 1)) if j >= 1 else power << plan.F
            total += (scaled * cj) >> plan.F
        flat_out[idx] = int(round_scaled(fmt, 0, total, k - plan.F))
    return out
