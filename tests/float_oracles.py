"""Independent oracles for the p-bit float tests (DESIGN section 3).

Nothing here uses tc0.numerics: words are packed and unpacked by the few lines
below, rounding is MPFR's (gmpy2) at precision p with DESIGN's saturation and
flush applied afterwards, and the sum rule is written with Fractions from the
rule's text. Shared by the tests of tc0.numerics (tests/numerics/), of the
float gadgets (tests/compiler/test_float_gadgets.py) and of tc0.verify's
MPFR oracle and float cases (tests/verify/).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import gmpy2
import numpy as np
import pytest
from gmpy2 import mpfr

def unpack(p: int, e: int, w: int) -> tuple[int, int, int]:
    """(s, m, E) of a word: bits 0..p-1 = m, p..p+e-1 = E (two's complement), p+e = s."""
    w = int(w)
    E = (w >> p) & ((1 << e) - 1)
    return (w >> (p + e)) & 1, w & ((1 << p) - 1), E - (1 << e) if E >> (e - 1) else E


def pack(p: int, e: int, s: int, m: int, E: int) -> int:
    assert s in (0, 1) and (m == 0 or 2 ** (p - 1) <= m < 2**p) and -(2 ** (e - 1)) <= E < 2 ** (e - 1)
    return (s << (p + e)) | ((E % (1 << e)) << p) | m


def value(p: int, e: int, w: int) -> Fraction:
    s, m, E = unpack(p, e, w)
    return (-1) ** s * m * Fraction(2) ** E


def valid_words(p: int, e: int) -> list[int]:
    """Every valid word: m = 0 (any sign and exponent: all read as zero) or m >= 2^(p-1)."""
    return [w for w in range(1 << (p + e + 1)) if unpack(p, e, w)[1] in (0, *range(1 << (p - 1), 1 << p))]


class Mpfr:
    """DESIGN's round() by MPFR: correctly rounded to p bits with an unbounded
    exponent, then saturation to +-max / flush to 0 of the rounded magnitude.

    This gmpy2/MPFR build keeps MPFR's default exponent range (about +-2^30)
    whatever the context asks for, so the exponents of the words it reads must
    stay well inside it (checked per word: a wide format's words near 1 are
    fine, its extremes are not).
    """

    def __init__(self, p: int, e: int):
        self.p, self.e = p, e
        self.emin, self.emax = -(2 ** (e - 1)), 2 ** (e - 1) - 1
        self.ctx = gmpy2.context(
            precision=p,
            round=gmpy2.RoundToNearest,
            emin=gmpy2.get_emin_min(),
            emax=gmpy2.get_emax_max(),
            subnormalize=False,
        )
        self.max_word = pack(p, e, 0, 2**p - 1, self.emax)

    def mp(self, w: int) -> mpfr:
        """The exact value of a word as an mpfr."""
        s, m, E = unpack(self.p, self.e, w)
        assert abs(E) < 2**27, f"exponent {E} is not inside MPFR's range"
        x = self.ctx.mul_2exp(mpfr(m, self.p), E)
        return self.ctx.minus(x) if s else x

    def word(self, r: mpfr) -> int:
        """The word of an MPFR result already rounded to p bits."""
        assert gmpy2.is_finite(r), r
        if r == 0:
            return 0
        mant, exp = (int(v) for v in r.as_mantissa_exp())
        s, mant = int(mant < 0), abs(mant)
        k = self.p - mant.bit_length()  # >= 0: r has at most p bits
        mant, exp = mant << k, exp - k
        # with 2^(p-1) <= mant < 2^p: |r| > max = (2^p - 1) 2^emax iff exp > emax,
        # and |r| < 2^(p-1) 2^emin iff exp < emin
        if exp > self.emax:
            return self.max_word | (s << (self.p + self.e))
        return 0 if exp < self.emin else pack(self.p, self.e, s, mant, exp)

    def round(self, x, shift: int = 0) -> int:
        """round(x * 2^shift) for an exact int, Fraction or float x (scaling by
        2^shift commutes with rounding when the exponent is unbounded)."""
        if isinstance(x, float):
            r = self.ctx.plus(mpfr(x, 53))
        else:
            x = Fraction(x)
            with self.ctx:
                r = mpfr(gmpy2.mpq(x.numerator, x.denominator))
        return self.word(self.ctx.mul_2exp(r, shift))

    def add(self, a, b):
        return self.word(self.ctx.add(self.mp(a), self.mp(b)))

    def sub(self, a, b):
        return self.word(self.ctx.sub(self.mp(a), self.mp(b)))

    def mul(self, a, b):
        return self.word(self.ctx.mul(self.mp(a), self.mp(b)))

    def div(self, a, b):
        x, y = self.mp(a), self.mp(b)
        if y == 0:
            return 0 if x == 0 else self.max_word | (int(x < 0) << (self.p + self.e))
        return self.word(self.ctx.div(x, y))

    def sqrt(self, a):
        x = self.mp(a)
        return 0 if x <= 0 else self.word(self.ctx.sqrt(x))

    def exp_neighbours(self, a) -> set[int]:
        """The words a faithful exp(a) may give (DESIGN 3): the two p-bit
        neighbours of exp(a) with unbounded exponent (one if exp(a) is one),
        each then saturated/flushed as round() does.

        Far outside the range MPFR is not asked (exp would leave its exponent
        range): exp(a) > 2 max saturates, exp(a) < min_normal / 2 flushes.
        """
        x = self.mp(a)
        ln2 = gmpy2.const_log2(80)
        if x > (self.emax + self.p + 1) * ln2:
            return {self.max_word}
        if x < (self.emin + self.p - 2) * ln2:
            return {0}
        down, up = (
            gmpy2.context(self.ctx, round=mode).exp(x) for mode in (gmpy2.RoundDown, gmpy2.RoundUp)
        )
        return {self.word(down), self.word(up)}


def random_word(rnd: random.Random, p: int, e: int, E=None) -> int:
    """A random non-zero word (exponent E, or uniform)."""
    lo, hi = -(2 ** (e - 1)), 2 ** (e - 1) - 1
    E = rnd.randint(lo, hi) if E is None else min(max(E, lo), hi)
    return pack(p, e, rnd.getrandbits(1), rnd.randrange(2 ** (p - 1), 2**p), E)


def assert_words(got, want, *inputs, fmt=None):
    """Equal word arrays; on failure name the first few differing inputs."""
    # Python ints, words of any width (np.ravel of a list would pass large ones through float64)
    got, want = (np.array([int(w) for w in np.asarray(x, dtype=object).ravel()], dtype=object) for x in (got, want))
    bad = np.flatnonzero(np.asarray(got != want, dtype=bool))
    if bad.size:
        lines = []
        for i in bad[:5]:
            args = ", ".join(hex(int(np.asarray(x).ravel()[i])) for x in inputs)
            lines.append(f"inputs ({args}): got {int(got[i]):#x}, want {int(want[i]):#x}")
        pytest.fail(f"{bad.size} mismatches ({fmt}):\n" + "\n".join(lines))


def oracle_max(p, e, a, b):
    """The larger word (canonical zero), by exact Fraction comparison."""
    w = b if value(p, e, a) < value(p, e, b) else a
    return 0 if value(p, e, w) == 0 else w


def edge_pairs(rnd: random.Random, p: int, e: int) -> list[tuple[int, int]]:
    """Zeros, extremes, exact ties, cancellation, saturation and flush."""
    emin, emax = -(2 ** (e - 1)), 2 ** (e - 1) - 1
    top, low, neg = 2**p - 1, 2 ** (p - 1), 1 << (p + e)
    mx, mn = pack(p, e, 0, top, emax), pack(p, e, 0, low, emin)
    small = [pack(p, e, 0, low, E) for E in (1 - p, 2 - p) if emin <= E <= emax]  # 1.0 and 2.0
    firsts, seconds = (0, mx, mn, mx | neg, mn | neg, *small), (0, mx, mn, mx | neg, mn | neg, neg, *small)
    pairs = [(x, y) for x in firsts for y in seconds]
    for _ in range(200 if emin + p + 1 <= emax else 0):
        x = random_word(rnd, p, e, rnd.randint(emin + p + 1, emax))
        s, m, E = unpack(p, e, x)
        half = pack(p, e, s, low, E - p)  # exactly half an ulp of x, same sign: a tie
        pairs += [(x, half), (x, half ^ neg), (half, x)]
        pairs += [(x, x), (x, x ^ neg), (x, pack(p, e, s, m + 1 if m < top else m - 1, E))]  # cancellation
        pairs += [(x, pack(p, e, s, 3 * 2 ** (p - 2), E))]  # mul tie for odd m < 2^(p+1)/3
        pairs += [(x, mx), (x, mn), (mx, x), (mn, x)]  # saturation / flush of products and quotients
    return pairs


def sum_rule(oracle: Mpfr, words) -> int:
    """DESIGN's baseline sum, with Fractions: T = max over non-zero terms of
    E_i + p; truncate each |term| toward zero to a multiple of 2^(T - W),
    W = p + ceil(log2 m) + 3; add the signed results exactly; round()."""
    p, e = oracle.p, oracle.e
    fields = [unpack(p, e, w) for w in words]
    if all(m == 0 for _, m, _ in fields):
        return 0
    T = max(E + p for _, m, E in fields if m)
    W = p + math.ceil(math.log2(len(words))) + 3
    unit = Fraction(2) ** (T - W)
    total = Fraction(0)
    for w in words:
        v = value(p, e, w)
        total += (1 if v > 0 else -1) * math.floor(abs(v) / unit) * unit
    return oracle.round(total)


def exact_prod(oracle: Mpfr, words) -> int:
    """round() of the exact product of the words' values: product of signed
    significands times 2 to the sum of exponents."""
    fields = [unpack(oracle.p, oracle.e, w) for w in words]
    return oracle.round(math.prod((-1) ** s * m for s, m, _ in fields), sum(E for _, _, E in fields))


def sum_rows(rnd: random.Random, p: int, e: int, m: int, rows: int) -> list[list[int]]:
    """Rows of m terms: clustered exponents, stragglers far below (truncated away),
    cancelling pairs, zeros, mostly-negative rows."""
    out = []
    for i in range(rows):
        lo, hi = -(2 ** (e - 1)) + 3 * p + 8, 2 ** (e - 1) - 3
        centre = rnd.randint(-60, 60) if e > 9 else rnd.randint(lo, hi) if lo <= hi else rnd.randint(-p, 0)
        row = [random_word(rnd, p, e, centre + rnd.randint(-p - 6, 2)) for _ in range(m)]
        kind = i % 5
        if kind == 1 and m > 1:  # stragglers far below T
            row[1:] = [random_word(rnd, p, e, centre - rnd.randint(p, 3 * p)) for _ in row[1:]]
        elif kind == 2 and m > 1:  # cancellation: x and -x (and zero rows)
            half = [random_word(rnd, p, e, centre) for _ in range(m // 2)]
            row = half + [w ^ (1 << (p + e)) for w in half] + [0] * (m % 2)
            rnd.shuffle(row)
        elif kind == 3:  # negative totals, a few zeros
            row = [w | (1 << (p + e)) if rnd.random() < 0.8 else (0 if rnd.random() < 0.3 else w) for w in row]
        out.append(row)
    return out
