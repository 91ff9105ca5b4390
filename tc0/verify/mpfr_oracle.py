"""The independent oracle of the float gadget checks: DESIGN section 3's
results computed by MPFR (gmpy2) at precision p, and the sum rule in exact
integers, on words of ``tc0.verify.words``."""

from __future__ import annotations

import math
from fractions import Fraction

import gmpy2

from tc0.verify.words import Words

#: largest e for which the MPFR oracle is run on every case (MPFR's exponents here stay within about +-2^30)
MPFR_MAX_E = 28
#: with a larger e, the oracle runs on the cases whose operands' exponents are at most this in magnitude
#: (the results of up to 256 terms then stay far inside MPFR's range)
MPFR_CASE_MAX_EXPONENT = 1 << 20


#: exp's argument must also be below 2^28 in magnitude: exp(2^28) is about 2^(2^28.5), inside MPFR's range
_EXP_MAX_LOG2 = 28


def mpfr_holds(words: Words, cases, op: str) -> list[bool]:
    """Per case (a row of words, any nesting): True if every operand is zero or
    has |E| <= MPFR_CASE_MAX_EXPONENT (for exp: magnitude below 2^28 too)."""
    top = _EXP_MAX_LOG2 - words.p if op == "exp" else MPFR_CASE_MAX_EXPONENT

    def fits(w: int) -> bool:
        s, m, E = words.unpack(w)
        return m == 0 or -MPFR_CASE_MAX_EXPONENT <= E <= top

    def flat(case):
        return [v for part in case for v in flat(part)] if isinstance(case, (list, tuple)) else [case]

    return [all(fits(int(w)) for w in flat(case)) for case in cases]


class MpfrOracle:
    """DESIGN section 3's results computed by MPFR at precision p (exponent
    unbounded for all practical purposes), then saturated / flushed on the
    rounded magnitude; the sum rule in exact integers."""

    def __init__(self, words: Words):
        self.g = gmpy2
        self.w = words
        p = words.p
        wide = {"emin": gmpy2.get_emin_min(), "emax": gmpy2.get_emax_max(), "subnormalize": False}
        self.ctx = gmpy2.context(precision=p, round=gmpy2.RoundToNearest, **wide)
        self.down = gmpy2.context(precision=p, round=gmpy2.RoundDown, **wide)
        self.up = gmpy2.context(precision=p, round=gmpy2.RoundUp, **wide)
        self.ln2 = gmpy2.const_log2(80)

    # -- conversions
    def mp(self, w: int):
        """The exact value of a word."""
        s, m, E = self.w.unpack(w)
        x = self.ctx.mul_2exp(self.g.mpfr(m, self.w.p), E)
        return self.ctx.minus(x) if s else x

    def word(self, r, shift: int = 0) -> int:
        """The word of r * 2^shift, r already rounded to p bits: saturation
        above max, flush below the smallest normal, of that rounded value."""
        g, W = self.g, self.w
        assert g.is_finite(r), r
        if r == 0:
            return 0
        mant, exp = (int(v) for v in r.as_mantissa_exp())
        s, mant = int(mant < 0), abs(mant)
        k = W.p - mant.bit_length()
        mant, exp = mant << k, exp - k + shift  # 2^(p-1) <= mant < 2^p
        if exp > W.emax:
            return W.max_word | (s << (W.p + W.e))
        return 0 if exp < W.emin else W.pack(s, mant, exp)

    def round_int(self, n: int, shift: int) -> int:
        """round(n * 2^shift) for a Python integer n of any size."""
        with self.ctx:
            r = self.g.mpfr(self.g.mpz(n))
        return self.word(r, shift)

    # -- correctly rounded operations
    def add(self, a, b):
        return self.word(self.ctx.add(self.mp(a), self.mp(b)))

    def sub(self, a, b):
        return self.word(self.ctx.sub(self.mp(a), self.mp(b)))

    def mul(self, a, b):
        return self.word(self.ctx.mul(self.mp(a), self.mp(b)))

    def div(self, a, b):
        x, y = self.mp(a), self.mp(b)
        if y == 0:
            return 0 if x == 0 else self.w.max_word | (int(x < 0) << (self.w.p + self.w.e))
        return self.word(self.ctx.div(x, y))

    def sqrt(self, a):
        x = self.mp(a)
        return 0 if x <= 0 else self.word(self.ctx.sqrt(x))

    def prod(self, row):
        """round(exact product): significands multiplied as integers, exponents summed."""
        fields = [self.w.unpack(w) for w in row]
        n = math.prod(m for _, m, _ in fields)
        return self._signed_round(-n if sum(s for s, _, _ in fields) & 1 else n, sum(E for _, _, E in fields))

    # -- exact comparisons
    def lt(self, a, b):
        return bool(self.mp(a) < self.mp(b))

    def eq(self, a, b):
        return bool(self.mp(a) == self.mp(b))

    def max(self, a, b):
        x, y = self.mp(a), self.mp(b)
        w = b if x < y else a
        return 0 if max(x, y) == 0 else int(w)

    def relu(self, a):
        return self.max(a, 0)

    # -- exp: faithful
    def exp_bracket(self, a) -> tuple[int, int, int]:
        """(lower, nearest, upper) words of exp(a): the p-bit neighbours of
        exp(a) (equal if it is representable) and its correct rounding, each
        saturated/flushed. Far out of range MPFR is not asked: exp(a) above
        2 max saturates, below half the smallest normal flushes."""
        W = self.w
        x = self.mp(a)
        if x > (W.emax + W.p + 1) * self.ln2:
            return (W.max_word,) * 3
        if x < (W.emin + W.p - 2) * self.ln2:
            return (0, 0, 0)
        return self.word(self.down.exp(x)), self.word(self.ctx.exp(x)), self.word(self.up.exp(x))

    # -- sums
    def sum_rule(self, row) -> int:
        """DESIGN's baseline sum from the rule's text, in exact rationals: T =
        max over non-zero terms of E_i + p, W = p + ceil(log2 m) + 3; each
        |term| is truncated toward zero to a multiple of u = 2^(T - W); the
        signed truncated terms are added exactly; round() of the total.

        Everything is counted in units of u: |term| / u = m_i 2^(E_i - T + W),
        whose floor is an integer shift (a Python int, exact like a Fraction
        with denominator 1, and fast enough for m = 256)."""
        p, count = self.w.p, len(row)
        fields = [self.w.unpack(w) for w in row]
        if all(m == 0 for _, m, _ in fields):
            return 0
        T = max(E + p for _, m, E in fields if m)
        base = T - (p + math.ceil(math.log2(count)) + 3)  # u = 2^base
        total = 0
        for s, m, E in fields:
            k = E - base
            units = m << k if k >= 0 else m >> -k  # floor(m 2^k): truncation toward zero
            total += -units if s else units
        return self._signed_round(total, base)

    def _signed_round(self, total: int, shift: int) -> int:
        """round(total * 2^shift) for a signed integer total."""
        if total == 0:
            return 0
        word = self.round_int(abs(total), shift)
        return word | (self.w.neg if total < 0 and word else 0)

    def exact_sum(self, terms) -> int:
        """round() of the exact sum of terms (s, n, E) = (-1)^s n 2^E: as one
        integer when the exponents are close, else by MPFR's correctly rounded
        fsum."""
        terms = [(s, n, E) for s, n, E in terms if n]
        if not terms:
            return 0
        lo = min(E for _, _, E in terms)
        if max(E for _, _, E in terms) - lo <= 8192:
            return self._signed_round(sum((-n if s else n) << (E - lo) for s, n, E in terms), lo)
        g = self.g
        exact = g.context(self.ctx, precision=max(n.bit_length() for _, n, _ in terms))
        values = [exact.mul_2exp(g.mpfr(-n if s else n, exact.precision), E) for s, n, E in terms]
        with self.ctx:
            return self.word(g.fsum(values))

    def sum_terms(self, row):
        return [self.w.unpack(w) for w in row]

    def product_terms(self, a_row, b_row):
        """The exact products of a dot product, as (s, n, E)."""
        out = []
        for x, y in zip(a_row, b_row):
            (s1, m1, E1), (s2, m2, E2) = self.w.unpack(x), self.w.unpack(y)
            out.append((s1 ^ s2, m1 * m2, E1 + E2))
        return out

    # -- distances
    def ulps(self, got: int, want: int) -> float:
        """|got - want| in ulps of want (of the smallest normal when want is 0)."""
        if got == want:
            return 0.0
        W = self.w
        sg, mg, Eg = W.unpack(got)
        sw, mw, Ew = W.unpack(want)
        unit = Ew if mw else W.emin
        terms = []
        for s, m, E in ((sg, mg, Eg), (1 - sw, mw, Ew)):  # got - want
            if m == 0:
                continue
            shift = E - unit
            if shift > 4000:
                return math.inf
            terms.append((-1 if s else 1) * (Fraction(m) * Fraction(2) ** max(shift, -4000)))
        try:
            return float(abs(sum(terms, Fraction(0))))
        except OverflowError:
            return math.inf
