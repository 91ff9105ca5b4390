"""The exp algorithm, shared by the p-bit reference and the circuit.

exp is faithfully rounded (DESIGN section 3); the reference follows this
algorithm to the bit, so the circuit and the reference agree exactly. For a
word x = (-1)^s m 2^E (all integers below are exact; "floor" rounds toward
minus infinity):

1. Overflow: if E >= I - p + 1 then |x| >= 2^I, far outside the range where
   exp(x) is representable: the result is the largest value (s = 0) or 0.
2. Fixed point: X = floor(m 2^(E + G)) (|x| in units 2^-G; 0 when E + G + p < 0).
3. Y = (-1)^s X L2E with L2E = floor(log2(e) 2^H), in units 2^-(G+H).
4. k = floor(Y / 2^FB), frac = Y - k 2^FB, FB = G + H (so e^x ~ 2^k 2^(frac/2^FB)).
5. j = the top T bits of frac, rest = the other FB - T bits.
6. Z = floor(floor(rest / 2^(FB - F - 4)) LN2 / 2^(LNB + 4)), LN2 = floor(ln 2 2^LNB):
   z = rest ln 2 in units 2^-F, below 2^-T.
7. S ~ 2^F e^z. Table method: S = 2^F + Z + floor(Z^2 / 2^(F+1)) (two
   Taylor terms; z^3/6 < 2^-(F+3)). Series method: S = R of the Chinese-
   remainder evaluation (``tc0.numerics.crt_series``) of
   V = sum_{k<=K} floor(2^F / k!) Z^k 2^(F(K-k)) with drop L = F K, i.e.
   2^F sum z^k/k! within two units; K is the least with
   2^(-T(K+1)) / (K+1)! <= 2^-(F+3).
8. M = floor(R[j] S / 2^F) with the ROM R[j] = floor(2^(j / 2^T) 2^F): M / 2^F ~ 2^(frac/2^FB).
9. result = round(M 2^(k - F)) (ties to even, then saturation and flush).

With F = G = p + 8 the truncations cost a few units of 2^-F relative,
below 1/16 ulp, so rounding to nearest lands on one of the two neighbours
of exp(x): faithful. The table method's ROM has 2^T entries with
T = ceil((F + 3) / 3) (size exponential in p); the series method's has
T = bit_length(p) + 1 (2p entries at most) and pays with K ~ p / log p terms,
evaluated in constant depth. Every step is a fixed number of
multiplications, table reads and sums: constant depth for every p.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import gmpy2
import numpy as np

from tc0.errors import GadgetError
from tc0.numerics.crt_series import CrtSeries, crt_series, evaluate
from tc0.numerics.format import FloatFormat, round_scaled

#: the largest ROM index width (2^16 entries) the table-based exp, div and sqrt accept
MAX_ROM_BITS = 16


def check_rom_bits(op: str, p: int, bits: int) -> None:
    """Refuse a ROM of 2^bits entries above ``MAX_ROM_BITS`` with a clear error."""
    if bits > MAX_ROM_BITS:
        raise GadgetError(
            f"float {op} at p = {p} needs a ROM of 2^{bits} entries; the table-based method "
            f"supports ROMs of up to 2^{MAX_ROM_BITS} entries (about p <= 37)"
        )


@dataclass(frozen=True)
class ExpPlan:
    """Constants of the exp algorithm for one format."""

    G: int  # fraction bits of |x|
    I: int  # integer bits of |x| (2^I beyond the representable range of exp)
    H: int  # fraction bits of log2(e)
    F: int  # fraction bits of the series
    LNB: int  # fraction bits of ln 2
    T: int  # ROM index bits
    L2E: int
    LN2: int
    ROM: tuple[int, ...]  # floor(2^(j / 2^T) 2^F), j = 0 .. 2^T - 1
    series: CrtSeries | None = None  # the series method's S (None: the table method's two terms)

    @property
    def FB(self) -> int:
        return self.G + self.H

    def series_value(self, z: int) -> int:
        """S of step 7 for one Z, as the circuit computes it."""
        if self.series is None:
            return (1 << self.F) + z + ((z * z) >> (self.F + 1))
        return evaluate(self.series, z)


def _floor_scaled(value, bits: int) -> int:
    """floor(value * 2^bits) for an MPFR expression evaluated with 64 guard bits."""
    with gmpy2.context(precision=bits + 64):
        return int(gmpy2.floor(value() * gmpy2.mpfr(2) ** bits))


def _floor_ln2(bits: int) -> int:
    return _floor_scaled(gmpy2.const_log2, bits)


def _floor_log2e(bits: int) -> int:
    return _floor_scaled(lambda: 1 / gmpy2.const_log2(), bits)


def _rom(t: int, f: int) -> tuple[int, ...]:
    """floor(2^(j / 2^t) 2^f) for j = 0 .. 2^t - 1."""
    return tuple(_floor_scaled(lambda j=j: gmpy2.exp2(gmpy2.mpfr(j) / 2**t), f) for j in range(2**t))


@functools.lru_cache(maxsize=None)
def exp_plan(fmt: FloatFormat) -> ExpPlan:
    """The constants for ``fmt``."""
    p, e = fmt.p, fmt.e
    g = f = p + 8
    i = (2 ** (e - 1) + p + 2).bit_length() + 1
    h = g + i + 4
    lnb = f + 4
    series = None
    if fmt.method == "series":
        t = p.bit_length() + 1
        terms = 1
        while Fraction(1, 2 ** (t * (terms + 1)) * math.factorial(terms + 1)) > Fraction(1, 2 ** (f + 3)):
            terms += 1
        coefficients = tuple(((1 << f) // math.factorial(k)) << (f * (terms - k)) for k in range(terms + 1))
        series = crt_series(coefficients, f - t + 1, f * terms)
    else:
        t = -(-(f + 3) // 3)
        check_rom_bits("exp", p, t)
    return ExpPlan(g, i, h, f, lnb, t, _floor_log2e(h), _floor_ln2(lnb), _rom(t, f), series)


def exp_reference(fmt: FloatFormat, words) -> np.ndarray:
    """exp of every word, following the algorithm above to the bit.

    The words are validated first (``FloatFormat.validate``, as every
    reference op does): an invalid word raises FloatFormatError naming it."""
    plan = exp_plan(fmt)
    arr = fmt.validate(words)
    s, m, exponent = fmt.fields(arr)
    flat_s, flat_m, flat_e = s.reshape(-1), m.reshape(-1), exponent.reshape(-1)
    overflow = np.asarray((flat_m != 0) & (flat_e >= plan.I - fmt.p + 1), dtype=bool)
    totals, shifts = [], []
    for si, mi, ei, over in zip(flat_s, flat_m, flat_e, overflow):
        si, mi, ei = int(si), int(mi), int(ei)
        if over:  # saturated below; a placeholder keeps the positions
            totals.append(0)
            shifts.append(0)
            continue
        shift = ei + plan.G
        x_fixed = (mi << shift) if shift >= 0 else (mi >> -shift)
        y = x_fixed * plan.L2E
        y = -y if (si and mi) else y
        k = y >> plan.FB  # floor
        frac = y - (k << plan.FB)
        j = frac >> (plan.FB - plan.T)
        rest = frac - (j << (plan.FB - plan.T))
        z = ((rest >> (plan.FB - plan.F - 4)) * plan.LN2) >> (plan.LNB + 4)
        series = plan.series_value(z)
        totals.append((plan.ROM[j] * series) >> plan.F)
        shifts.append(k - plan.F)
    word = fmt.word_dtype
    rounded = np.asarray(round_scaled(fmt, 0, np.array(totals, dtype=object), np.array(shifts, dtype=object)),
                         dtype=word).reshape(-1)
    saturated = np.full(flat_s.shape, fmt.max_word, dtype=word)
    saturated[flat_s != 0] = 0
    return np.where(overflow, saturated, rounded).astype(word).reshape(arr.shape)
