"""``tc0 check``: run a catalog gadget's circuit on many inputs and compare it
with the p-bit reference and with an independent oracle.

For a float gadget (``check_float_gadget``) every case goes through three
computations:

* the circuit (``tc0.simulate``, one batch for all cases);
* the p-bit reference (``tc0.floats.reference``) on the same words: the
  circuit must be **bit-identical** to it (``mismatches``);
* an oracle independent of ``tc0.floats`` (``oracle_mismatches``): MPFR
  (gmpy2) at precision p with DESIGN section 3's saturation and flush of the
  rounded magnitude for add, sub, mul, div, sqrt and prod (correct rounding);
  exact MPFR comparisons for lt, eq, max, relu; for exp the two p-bit
  neighbours of MPFR's exp (faithful rounding); for sum and dot an exact
  implementation of DESIGN's truncate-then-round rule written from its text
  (integers in units of 2^(T - W); the tests check it against the Fraction
  one of tests/float_oracles.py), the products of dot mul-rounded by MPFR.
  ``max_ulp_vs_mpfr`` is the largest distance, in ulps of the MPFR value (of
  the smallest normal when that is 0), between the reference and the
  correctly rounded MPFR result: 0 for the correctly rounded operations and
  comparisons, at most 1 for exp, and for sum/dot the cost of the truncation
  rule against the exactly rounded sum (of the exact products, for dot),
  which after cancellation can be large (math.inf if beyond float range).

MPFR's exponent range in this build is about +-2^30, so formats with e > 28
skip the oracle (``oracle`` then says so and ``max_ulp_vs_mpfr`` is None);
the circuit is still compared with the reference.

The inputs (``float_cases``) are edge cases (every spelling of zero,
+-max, +-smallest normal, +-1, exact ties, cancellation, results at the
saturation and flush boundaries, ...) followed by ``samples`` random valid
words whose exponents are drawn both over the full range and concentrated
where the results are neither saturated nor flushed.

``check_int_gadget`` compares an integer gadget with Python integers
(exhaustively for binary gadgets of W <= 8 bits).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from tc0.errors import GadgetError
from tc0.gadgets.catalog import (
    D_STD_GADGETS,
    DEFAULT_BITS,
    FLOAT_GADGETS,
    GADGETS,
    SHAPE_PORTS,
    compile_gadget,
    float_format,
    shape_operands,
)
from tc0.simulator import bits_to_ints, ints_to_bits, simulate

#: largest e for which the MPFR oracle is run (MPFR's exponents here stay within about +-2^30)
MPFR_MAX_E = 28
#: mismatching cases kept in a result, for the error message
KEEP = 5
#: integer gadgets with at most this many input pairs (or --samples, if larger) are checked on all of them
EXHAUSTIVE_PAIRS = 1 << 16


# ---------------------------------------------------------------------------
# words, without tc0.floats (the oracle must not share the reference's code)


class _Words:
    """Packing and unpacking of (p, e) words, and the special values."""

    def __init__(self, p: int, e: int):
        self.p, self.e = p, e
        self.emin, self.emax = -(1 << (e - 1)), (1 << (e - 1)) - 1
        self.neg = 1 << (p + e)
        self.low, self.top = 1 << (p - 1), (1 << p) - 1
        self.max_word = self.pack(0, self.top, self.emax)
        self.min_word = self.pack(0, self.low, self.emin)

    def pack(self, s: int, m: int, E: int) -> int:
        assert s in (0, 1) and (m == 0 or self.low <= m <= self.top) and self.emin <= E <= self.emax
        return (s << (self.p + self.e)) | ((E % (1 << self.e)) << self.p) | m

    def unpack(self, w: int) -> tuple[int, int, int]:
        w = int(w)
        E = (w >> self.p) & ((1 << self.e) - 1)
        return (w >> (self.p + self.e)) & 1, w & self.top, E - (1 << self.e) if E >> (self.e - 1) else E

    def fits(self, E: int) -> bool:
        return self.emin <= E <= self.emax

    def clamp(self, E: int) -> int:
        return min(max(E, self.emin), self.emax)

    def hex(self, w: int) -> str:
        return f"{int(w):#0{(self.p + self.e + 4) // 4 + 2}x}"


# ---------------------------------------------------------------------------
# the oracle: MPFR (gmpy2) and exact integer arithmetic


class _Oracle:
    """DESIGN section 3's results computed by MPFR at precision p (exponent
    unbounded for all practical purposes), then saturated / flushed on the
    rounded magnitude; the sum rule in exact integers."""

    def __init__(self, words: _Words):
        import gmpy2

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


# ---------------------------------------------------------------------------
# inputs


class _Inputs:
    """Edge cases and random valid words for one gadget shape."""

    def __init__(self, words: _Words, op: str, shape: str, m: int, seed: int):
        self.w, self.op, self.shape, self.m = words, op, shape, m
        self.rnd = random.Random(seed)  # edge cases
        self.rng = np.random.default_rng(seed)  # random cases, in bulk
        W = words
        self.one_E = -(W.p - 1)  # 1.0 = 2^(p-1) * 2^(1-p)

    # -- single words
    def word(self, E: int | None = None, s: int | None = None) -> int:
        W, rnd = self.w, self.rnd
        E = rnd.randint(W.emin, W.emax) if E is None else W.clamp(E)
        s = rnd.getrandbits(1) if s is None else s
        return W.pack(s, rnd.randint(W.low, W.top), E)

    def near_exponent(self) -> int:
        """Magnitudes from about 2^-(2p+8) to 2^(e+2): results mostly in range."""
        W = self.w
        return W.clamp(self.one_E + self.rnd.randint(-2 * W.p - 8, W.e + 2))

    def specials(self) -> list[int]:
        W = self.w
        p, e = W.p, W.e
        out = [0, W.neg, (3 % (1 << e)) << p, W.neg | (((1 << e) - 1) << p)]  # zero in four spellings
        values = [(W.top, W.emax), (W.low, W.emin), (W.top - 1, W.emax), (W.low + 1, W.emin), (W.top, W.emin)]
        for E, m in ((self.one_E, W.low), (self.one_E + 1, W.low), (self.one_E, W.low + 1), (self.one_E - 1, W.top),
                     (self.one_E, W.low | (W.low >> 1))):  # 1, 2, next(1), prev(1), 1.5
            if W.fits(E):
                values.append((m, E))
        for m, E in dict.fromkeys(values):
            out += [W.pack(0, m, E), W.pack(1, m, E)]
        return out

    def from_float(self, v: float) -> int | None:
        """A word near v (truncated), or None out of range."""
        W = self.w
        if v == 0:
            return 0
        frac, ex = math.frexp(abs(v))
        m, E = int(frac * (1 << W.p)), ex - W.p
        return W.pack(int(v < 0), m, E) if W.fits(E) and W.low <= m <= W.top else None

    def neighbours(self, w: int, k: int = 2) -> list[int]:
        """w and the words up to k steps above and below it (same sign)."""
        W = self.w
        s, m, E = W.unpack(w)
        out = []
        for d in range(-k, k + 1):
            mm, EE = m + d, E
            if mm > W.top:
                mm, EE = W.low + (mm - W.top - 1), E + 1
            elif mm < W.low:
                mm, EE = W.top - (W.low - mm - 1), E - 1
            if W.fits(EE):
                out.append(W.pack(s, mm, EE))
        return out

    # -- cases per shape
    def cases(self, samples: int) -> tuple[np.ndarray, int]:
        """(inputs, number of edge cases): (N, 1) words for unary ops, (N, 2)
        for binary ops, (N, m) for sum/prod, (N, 2, m) for dot; the edge
        cases first."""
        edge = np.array(getattr(self, f"_edge_{self.shape}")(), dtype=np.uint64)
        rand = getattr(self, f"_random_{self.shape}")(samples)
        if self.shape == "unary":
            edge = edge.reshape(-1, 1)
        return np.concatenate([edge.reshape((-1,) + rand.shape[1:]), rand]), len(edge)

    # -- vectorized random words (numpy generator)
    def _pack(self, s, m, E) -> np.ndarray:
        W = self.w
        E = np.clip(E, W.emin, W.emax).astype(np.int64)
        raw = (E % (1 << W.e)).astype(np.uint64)
        return (s.astype(np.uint64) << np.uint64(W.p + W.e)) | (raw << np.uint64(W.p)) | m.astype(np.uint64)

    def _words(self, E) -> np.ndarray:
        """Random non-zero words with exponents E (clipped to the range), random signs."""
        W, g = self.w, self.rng
        E = np.asarray(E)
        m = g.integers(W.low, W.top, size=E.shape, dtype=np.uint64, endpoint=True)
        return self._pack(g.integers(0, 2, size=E.shape), m, E)

    def _full_E(self, shape) -> np.ndarray:
        return self.rng.integers(self.w.emin, self.w.emax, size=shape, endpoint=True)

    def _near_E(self, shape) -> np.ndarray:
        W = self.w
        return self.one_E + self.rng.integers(-2 * W.p - 8, W.e + 2, size=shape, endpoint=True)

    def _mixed_E(self, shape, full: float) -> np.ndarray:
        return np.where(self.rng.random(shape) < full, self._full_E(shape), self._near_E(shape))

    def _edge_unary(self) -> list[int]:
        W, rnd = self.w, self.rnd
        out = self.specials()
        if self.op == "exp":  # around the saturation and flush thresholds, and tiny arguments
            for t in ((W.emax + W.p) * math.log(2), (W.emin + W.p - 1) * math.log(2)):
                if abs(t) < 1e300:
                    w = self.from_float(t)
                    if w is not None:
                        out += self.neighbours(w, 3)
            step = max(1, (W.emax - W.emin) // 64)
            out += [self.word(E) for E in range(W.emin, min(W.emax, self.one_E - 1) + 1, step)]
        if self.op == "sqrt":  # perfect squares
            for _ in range(64):
                k = rnd.randint(1, (1 << ((W.p + 1) // 2)) - 1)
                n = k * k
                shift = W.p - n.bit_length()
                if shift >= 0:
                    E = rnd.randint(W.emin, W.emax - 1)
                    out.append(W.pack(0, n << shift, W.clamp(E)))
        return out

    def _random_unary(self, n: int) -> np.ndarray:
        full = {"exp": 0.3, "sqrt": 0.5}.get(self.op, 0.4)
        return self._words(self._mixed_E(n, full)).reshape(n, 1)

    def _edge_binary(self) -> list[tuple[int, int]]:
        W, rnd = self.w, self.rnd
        p, neg = W.p, W.neg
        special = self.specials()
        pairs = [(x, y) for x in special for y in special]
        for _ in range(200):
            E = self.near_exponent() if rnd.random() < 0.6 else rnd.randint(W.emin, W.emax)
            x = self.word(min(max(E, W.emin + p + 1), W.emax) if W.emin + p + 1 <= W.emax else E)
            s, m, E = W.unpack(x)
            if W.fits(E - p):
                half = W.pack(s, W.low, E - p)  # exactly half an ulp of x: a tie for add
                pairs += [(x, half), (x, half ^ neg), (half, x), (x ^ neg, half)]
            nxt = self.neighbours(x, 1)
            pairs += [(x, x), (x, x ^ neg), (x ^ neg, x)] + [(x, y ^ neg) for y in nxt] + [(x, y) for y in nxt]
            if p >= 2:
                pairs.append((x, W.pack(s, 3 << (p - 2), E)))  # a mul tie for some m
            pairs += [(x, W.max_word), (x, W.min_word), (W.max_word, x), (W.min_word, x)]
            # products and quotients landing at the flush / saturation boundaries
            for target_E in (W.emin - p + 1, W.emax - p + 1):
                for d in (-1, 0, 1):
                    Em = target_E - E - p + 1 + d  # x * y near 2^(target_E + 2p - 2 + ...)
                    if W.fits(Em):
                        pairs.append((x, self.word(Em)))
                    Ed = E - target_E - p + d  # x / y
                    if W.fits(Ed):
                        pairs.append((x, self.word(Ed)))
        return pairs

    def _random_binary(self, n: int) -> np.ndarray:
        """x: 35% full range, else near 1; y: 45% overlapping x (exponents within
        p + 4), else 35% full range / near 1; 2% of the y are zero."""
        W, g = self.w, self.rng
        x = self._words(self._mixed_E(n, 0.35))
        x_E = ((x >> np.uint64(W.p)) & np.uint64((1 << W.e) - 1)).astype(np.int64)
        x_E = x_E - ((x_E >> (W.e - 1)) << W.e)
        close = x_E + g.integers(-W.p - 4, W.p + 4, size=n, endpoint=True)
        y = self._words(np.where(g.random(n) < 0.45, close, self._mixed_E(n, 0.35)))
        y[g.random(n) < 0.02] = 0
        return np.stack([x, y], axis=1)

    def _edge_reduce(self) -> list[list[int]]:
        W, rnd, m = self.w, self.rnd, self.m
        special = self.specials()
        rows = [[w] * m for w in special]
        rows += [[rnd.choice(special) for _ in range(m)] for _ in range(100)]
        rows += [[W.max_word, W.max_word ^ W.neg] + [0] * (m - 2)] if m >= 2 else []
        for _ in range(60):
            x = self.word(self.near_exponent())
            half = [self.word(W.unpack(x)[2] + rnd.randint(-2, 0)) for _ in range(m // 2)]
            row = half + [v ^ W.neg for v in half] + ([x] if m % 2 else [])
            rnd.shuffle(row)
            rows.append(row)  # cancels exactly (plus x for odd m)
            if m >= 3:
                s, mm, E = W.unpack(x)
                if W.fits(E - W.p) and W.fits(E - 3 * W.p):  # x + half ulp + tiny: exact sum above the tie
                    rows.append([x, W.pack(s, W.low, E - W.p), W.pack(s, W.low, W.clamp(E - 3 * W.p))] + [0] * (m - 3))
        if self.op == "prod":  # products at the flush and saturation boundaries
            for target in (W.emin, W.emax):
                for _ in range(20):
                    row = [self.word(self.one_E + rnd.randint(-2, 2)) for _ in range(m - 1)]
                    sum_e = sum(W.unpack(v)[2] for v in row)
                    last = target - sum_e - (m - 1) * (W.p - 1) + rnd.randint(-1, 1)
                    if W.fits(last):
                        rows.append(row + [self.word(last)])
        return rows

    def _random_reduce(self, n: int) -> np.ndarray:
        W, g, m, p = self.w, self.rng, self.m, self.w.p
        if self.op == "prod":
            # exponents near 1.0 with a spread that keeps half the products in range
            spread = np.where(g.random((n, 1)) < 0.5, max(1, (1 << (W.e - 1)) // m), p)
            E = self.one_E + g.integers(-spread, spread, size=(n, m), endpoint=True)
            r = g.random((n, m))
            words = self._words(np.where(r < 0.1, self._full_E((n, m)), E))
            words[r > 0.98] = 0
            return words
        # sum: a cluster around a centre (30% anywhere in range, else near 1)
        lo, hi = W.emin + 3 * p + 8, W.emax - 3
        centre = self._near_E((n, 1))
        if lo <= hi:
            centre = np.where(g.random((n, 1)) < 0.3, g.integers(lo, hi, size=(n, 1), endpoint=True), centre)
        E = centre + g.integers(-p - 6, 2, size=(n, m), endpoint=True)
        kind = g.integers(0, 5, size=(n, 1))
        if m > 1:  # kind 1: stragglers far below the first term
            far = centre - g.integers(p, 3 * p, size=(n, m), endpoint=True)
            E = np.where((kind == 1) & (np.arange(m) >= 1), far, E)
        words = self._words(E)
        if m > 1:  # kind 2: cancelling pairs (plus one term for odd m), shuffled
            rows = np.flatnonzero(kind[:, 0] == 2)
            half = m // 2
            pairs = self._words(np.broadcast_to(centre[rows], (len(rows), half)))
            odd = self._words(centre[rows] - g.integers(0, 2 * p, size=(len(rows), m % 2), endpoint=True))
            block = np.concatenate([pairs, pairs ^ np.uint64(W.neg), odd], axis=1)
            words[rows] = g.permuted(block, axis=1)
        # kind 3: mostly negative, a few zeros
        r = g.random((n, m))
        neg3 = (kind == 3) & (r < 0.8)
        words = np.where(neg3, words | np.uint64(W.neg), words)
        words[(kind[:, 0] == 3)[:, None] & (r >= 0.8) & (g.random((n, m)) < 0.3)] = 0
        return words

    def _edge_pair(self) -> list[list[list[int]]]:
        W, rnd, m = self.w, self.rnd, self.m
        special = self.specials()
        rows = [[[w] * m, [v] * m] for w in special for v in special[::3]]
        rows += [[[rnd.choice(special) for _ in range(m)], [rnd.choice(special) for _ in range(m)]] for _ in range(100)]
        for _ in range(60):  # products that cancel
            a = [self.word(self.near_exponent()) for _ in range(m)]
            b = [self.word(self.near_exponent()) for _ in range(m)]
            if m >= 2:
                a[1], b[1] = a[0], b[0] ^ W.neg
            rows.append([a, b])
        return rows

    def _random_pair(self, n: int) -> np.ndarray:
        """Terms near 1 (exponents within +-min(2^(e-2), 40)), 15% anywhere, 10% zero."""
        W, g, m = self.w, self.rng, self.m
        span = min(1 << (W.e - 2), 40)
        shape = (n, 2, m)
        r = g.random(shape)
        E = np.where(r < 0.25, self._full_E(shape), self.one_E + g.integers(-span, span, size=shape, endpoint=True))
        words = self._words(E)
        words[r < 0.1] = 0
        return words


# ---------------------------------------------------------------------------
# float gadgets


def _float_spec(name: str):
    full = name if name.startswith("float:") else f"float:{name}"
    if full not in FLOAT_GADGETS:
        if name in GADGETS:
            raise GadgetError(f"{name} is an integer gadget: use check_int_gadget / --bits")
        raise GadgetError(f"unknown float gadget {name!r}; known: {', '.join(FLOAT_GADGETS)}")
    return FLOAT_GADGETS[full]


def _port_inputs(fmt, shape: str, cases: np.ndarray) -> dict[str, np.ndarray]:
    """Circuit input bits for the cases, in the catalog's port layout."""
    return fmt.port_bits(dict(zip(SHAPE_PORTS[shape], shape_operands(shape, cases))))


def _reference(fmt, op: str, shape: str, cases: np.ndarray) -> np.ndarray:
    """The reference's results as uint64 (booleans as 0/1)."""
    from tc0.floats import reference as R

    out = getattr(R, op)(fmt, *shape_operands(shape, cases))
    return np.asarray(out).astype(np.uint64).reshape(-1)


def _describe_case(W: _Words, shape: str, case) -> str | list:
    if shape == "unary":
        return W.hex(case[0])
    if shape == "binary":
        return [W.hex(case[0]), W.hex(case[1])]
    if shape == "reduce":
        return [W.hex(v) for v in case]
    return {"a": [W.hex(v) for v in case[0]], "b": [W.hex(v) for v in case[1]]}


_ORACLE_TEXT = {
    "add": "MPFR, correctly rounded, then saturation/flush",
    "sub": "MPFR, correctly rounded, then saturation/flush",
    "mul": "MPFR, correctly rounded, then saturation/flush",
    "div": "MPFR, correctly rounded, then saturation/flush (x/0 = +-max, 0/0 = 0)",
    "sqrt": "MPFR, correctly rounded (0 for x <= 0)",
    "prod": "MPFR rounding of the exact product (integer significands, summed exponents)",
    "lt": "exact MPFR comparison",
    "eq": "exact MPFR comparison",
    "max": "exact MPFR comparison",
    "relu": "exact MPFR comparison",
    "exp": "faithful: one of the two p-bit neighbours of MPFR's exp, then saturation/flush",
    "sum": "DESIGN's truncate-then-round sum rule, exact arithmetic",
    "dot": "MPFR mul-rounded products, then DESIGN's sum rule, exact arithmetic",
}


def _oracle_compare(oracle: _Oracle, op: str, shape: str, cases: np.ndarray, ref: np.ndarray):
    """(mismatch indices with the oracle's answer, max ulps of the reference from MPFR's correct rounding)."""
    bad: list[tuple[int, object]] = []
    worst = 0.0
    for i, (case, got) in enumerate(zip(cases.tolist(), ref.tolist())):
        if shape == "unary":
            a = case[0]
            if op == "exp":
                lo, near, hi = oracle.exp_bracket(a)
                if got not in (lo, hi):
                    bad.append((i, sorted({lo, hi})))
                worst = max(worst, oracle.ulps(got, near))
                continue
            want = getattr(oracle, op)(a)
        elif shape == "binary":
            want = getattr(oracle, op)(*case)
            if op in ("lt", "eq"):
                if bool(got) != want:
                    bad.append((i, int(want)))
                continue
        elif op == "prod":
            want = oracle.prod(case)
        elif op == "sum":
            want = oracle.sum_rule(case)
            worst = max(worst, oracle.ulps(got, oracle.exact_sum(oracle.sum_terms(case))))
        else:  # dot
            a_row, b_row = case
            want = oracle.sum_rule([oracle.mul(x, y) for x, y in zip(a_row, b_row)])
            worst = max(worst, oracle.ulps(got, oracle.exact_sum(oracle.product_terms(a_row, b_row))))
        if got != want:
            bad.append((i, want))
        if op not in ("sum", "dot"):
            worst = max(worst, oracle.ulps(got, want))
    return bad, worst


def float_cases(name: str, p: int, e: int | None = None, m: int | None = None, samples: int = 10000,
                seed: int = 0) -> tuple[np.ndarray, int]:
    """The inputs ``check_float_gadget`` uses: (cases, number of edge cases).
    cases is (N, 1) words for unary gadgets, (N, 2) for binary ones, (N, m)
    for sum/prod and (N, 2, m) for dot; the edge cases come first."""
    spec = _float_spec(name)
    fmt = float_format(p, e)
    op = spec.name.split(":", 1)[1]
    return _Inputs(_Words(fmt.p, fmt.e), op, spec.shape, m or 1, seed).cases(samples)


def check_float_gadget(name: str, p: int, e: int | None = None, m: int | None = None, samples: int = 10000,
                       seed: int = 0, circuit=None) -> dict:
    """Compile the catalog float gadget ``name`` ("float:add" or "add") for
    format (p, e) (and m operands), run it on the edge cases and ``samples``
    random cases in one batch, and compare with the reference (bit for bit)
    and the oracle. Returns a JSON-ready dict; ``ok`` is True iff both
    comparisons are clean. Bad names or parameters raise GadgetError.

    ``circuit``: an already compiled circuit to check instead of compiling
    (it must have the gadget's ports for this format and m).
    """
    spec = _float_spec(name)
    if not isinstance(samples, int) or samples < 0:
        raise GadgetError(f"--samples must be a non-negative integer, got {samples!r}")
    fmt = float_format(p, e)
    t0 = time.perf_counter()
    if circuit is None:
        circuit = compile_gadget(spec.name, None, m, p, e)
    elif spec.max_m and m is None:
        raise GadgetError(f"{spec.name} needs --m (the number of operands)")
    t_build = time.perf_counter() - t0
    op = spec.name.split(":", 1)[1]
    W = _Words(fmt.p, fmt.e)
    cases, n_edge = float_cases(spec.name, fmt.p, fmt.e, m, samples, seed)

    t0 = time.perf_counter()
    out = simulate(circuit, _port_inputs(fmt, spec.shape, cases))["y"]
    got = out[:, 0].astype(np.uint64) if op in ("lt", "eq") else fmt.from_bits(out).reshape(-1)
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = _reference(fmt, op, spec.shape, cases)
    t_ref = time.perf_counter() - t0

    shown = (lambda v: int(v)) if op in ("lt", "eq") else W.hex  # noqa: E731
    diff = np.flatnonzero(got != ref)
    first = [
        {"inputs": _describe_case(W, spec.shape, cases[i].tolist()), "circuit": shown(got[i]),
         "reference": shown(ref[i])}
        for i in diff[:KEEP]
    ]

    t0 = time.perf_counter()
    if fmt.e > MPFR_MAX_E:
        oracle_text = (f"skipped: e = {fmt.e} > {MPFR_MAX_E}, beyond the exponent range of this MPFR build "
                       "(about +-2^30)")
        oracle_bad, worst = [], None
    else:
        oracle_text = _ORACLE_TEXT[op]
        oracle_bad, worst = _oracle_compare(_Oracle(W), op, spec.shape, cases, ref)
    t_oracle = time.perf_counter() - t0
    oracle_first = [
        {
            "inputs": _describe_case(W, spec.shape, cases[i].tolist()),
            "reference": shown(ref[i]),
            "oracle": [shown(v) for v in want] if isinstance(want, list) else shown(want),
        }
        for i, want in oracle_bad[:KEEP]
    ]
    return {
        "gadget": spec.name,
        "p": fmt.p,
        "e": fmt.e,
        "m": m,
        "ok": diff.size == 0 and not oracle_bad,
        "bit_exact": diff.size == 0,
        "mismatches": int(diff.size),
        "oracle_mismatches": len(oracle_bad),
        "samples": int(cases.shape[0]),
        "random_samples": samples,
        "edge_cases": n_edge,
        "seed": seed,
        "oracle": oracle_text,
        "max_ulp_vs_mpfr": worst,
        "size": circuit.size,
        "depth": circuit.depth,
        "edges": circuit.edges,
        "first_mismatches": first,
        "first_oracle_mismatches": oracle_first,
        "seconds": {"build": round(t_build, 3), "simulate": round(t_sim, 3), "reference": round(t_ref, 3),
                    "oracle": round(t_oracle, 3)},
    }


# ---------------------------------------------------------------------------
# integer gadgets

_INT_OPS: dict[str, Callable] = {
    "int:add": lambda a, b, W: {"y": a + b},
    "int:sub": lambda a, b, W: {"y": (a - b) % (1 << (W + 1))},
    "int:cmp": lambda a, b, W: {"lt": int(a < b), "eq": int(a == b)},
    "int:mul": lambda a, b, W: {"y": a * b},
    "int:sum": lambda row, W: {"y": sum(row)},
    "int:max": lambda row, W: {"y": max(row)},
    "int:prod": lambda row, W: {"y": math.prod(row)},
}


def check_int_gadget(name: str, bits: int | None = None, m: int | None = None, samples: int = 10000,
                     seed: int = 0) -> dict:
    """Compile the catalog integer gadget ``name`` and compare it with Python
    integers: on every input pair when there are at most
    max(``samples``, EXHAUSTIVE_PAIRS) of them (binary gadgets, W <= 8 by
    default), else on edge cases plus ``samples`` random inputs."""
    if name not in GADGETS:
        if name in FLOAT_GADGETS:
            raise GadgetError(f"{name} is a float gadget: use --p/--e, not --bits")
        raise GadgetError(f"unknown integer gadget {name!r}; known: {', '.join(GADGETS)}")
    if not isinstance(samples, int) or samples < 0:
        raise GadgetError(f"--samples must be a non-negative integer, got {samples!r}")
    t0 = time.perf_counter()
    circuit = compile_gadget(name, bits, m)
    t_build = time.perf_counter() - t0
    W = DEFAULT_BITS if bits is None else bits
    top = (1 << W) - 1
    rnd = random.Random(seed)

    def value():
        return rnd.getrandbits(rnd.randint(0, W)) if rnd.random() < 0.3 else rnd.getrandbits(W)

    special = sorted({0, 1, top, top - 1 if W > 1 else 0, 1 << (W - 1), (1 << (W - 1)) - 1})
    reduce = GADGETS[name].uses_m
    exhaustive = not reduce and (1 << (2 * W)) <= max(samples, EXHAUSTIVE_PAIRS)
    if exhaustive:
        grid = np.arange(1 << W)
        cases = [tuple(map(int, t)) for t in zip(np.repeat(grid, 1 << W), np.tile(grid, 1 << W))]
        n_edge = 0
    elif not reduce:
        edge = [(x, y) for x in special for y in special] + [(x, x) for x in (value() for _ in range(50))]
        cases = edge + [(value(), value()) for _ in range(samples)]
        n_edge = len(edge)
    else:
        count = m
        edge = [[v] * count for v in special] + [[rnd.choice(special) for _ in range(count)] for _ in range(50)]
        cases = edge + [[value() for _ in range(count)] for _ in range(samples)]
        n_edge = len(edge)

    if reduce:
        inputs = {"x": np.concatenate([ints_to_bits([c[j] for c in cases], W) for j in range(m)], axis=1)}
    else:
        inputs = {"a": ints_to_bits([c[0] for c in cases], W), "b": ints_to_bits([c[1] for c in cases], W)}
    t0 = time.perf_counter()
    outputs = simulate(circuit, inputs)
    t_sim = time.perf_counter() - t0
    got = {port: bits_to_ints(v) for port, v in outputs.items()}
    fn = _INT_OPS[name]
    bad = []
    for i, case in enumerate(cases):
        want = fn(case, W) if reduce else fn(case[0], case[1], W)
        for port, v in want.items():
            width = outputs[port].shape[1]
            if got[port][i] != v % (1 << width) or v >> width:
                bad.append((i, port, v))
                break
    first = [
        {"inputs": [hex(v) for v in cases[i]], "port": port, "circuit": hex(got[port][i]),
         "python": hex(v)}
        for i, port, v in bad[:KEEP]
    ]
    return {
        "gadget": name,
        "bits": W,
        "m": m,
        "ok": not bad,
        "bit_exact": not bad,
        "mismatches": len(bad),
        "oracle_mismatches": 0,
        "samples": len(cases),
        "random_samples": 0 if exhaustive else samples,
        "edge_cases": n_edge,
        "exhaustive": exhaustive,
        "seed": seed,
        "oracle": "Python integers",
        "size": circuit.size,
        "depth": circuit.depth,
        "edges": circuit.edges,
        "first_mismatches": first,
        "seconds": {"build": round(t_build, 3), "simulate": round(t_sim, 3)},
    }


def _cases_text(result: dict) -> str:
    return (f"{result['samples']} cases ({result['random_samples']} random, seed {result['seed']}, "
            f"+ {result['edge_cases']} edge)")


def summary(result: dict) -> str:
    """One paragraph describing a check result (float or integer)."""
    if "p" in result:
        fmt = f"p={result['p']}, e={result['e']}" + (f", m={result['m']}" if result["m"] else "")
        cases = _cases_text(result)
        text = f"{result['gadget']} ({fmt}): {cases}. Circuit vs reference: "
        text += "bit-identical" if result["bit_exact"] else f"{result['mismatches']} MISMATCHES"
        if result["oracle"].startswith("skipped"):
            text += f". Reference vs oracle: {result['oracle']}"
        else:
            text += f". Reference vs oracle ({result['oracle']}): "
            text += "agree" if not result["oracle_mismatches"] else f"{result['oracle_mismatches']} MISMATCHES"
            ulp = result["max_ulp_vs_mpfr"]
            text += f"; max distance from MPFR's correctly rounded result {ulp:.4g} ulp"
    else:
        fmt = f"W={result['bits']}" + (f", m={result['m']}" if result["m"] else "")
        how = "every input pair" if result["exhaustive"] else _cases_text(result)
        text = f"{result['gadget']} ({fmt}): {how}. Circuit vs Python integers: "
        text += "bit-identical" if result["bit_exact"] else f"{result['mismatches']} MISMATCHES"
    text += f". Circuit: size {result['size']}, depth {result['depth']}, edges {result['edges']}. "
    text += "OK." if result["ok"] else "FAILED."
    lines = [text]
    for case in result["first_mismatches"]:
        lines.append(f"  circuit mismatch: {case}")
    for case in result.get("first_oracle_mismatches", []):
        lines.append(f"  oracle mismatch: {case}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# tc0 gadgets: the paper's gadget depths, measured

def _powers_of_two(top: int) -> list[int]:
    return [1 << k for k in range(1, top.bit_length())]


def gadget_plan(max_m_sum: int = 256, max_m_prod: int = 32) -> list[tuple[str, str, int | None]]:
    """(quantity, gadget, m) of every circuit ``gadget_depths`` builds."""
    for flag, value, spec in (("--max-m-sum", max_m_sum, "float:sum"), ("--max-m-prod", max_m_prod, "float:prod")):
        top = FLOAT_GADGETS[spec].max_m
        if not isinstance(value, int) or not 2 <= value <= top:
            raise GadgetError(f"{flag} must be in 2..{top}, got {value}")
    plan = [("d_std", name, None) for name in D_STD_GADGETS]
    plan += [("d_sum", "float:sum", m) for m in _powers_of_two(max_m_sum)]
    plan += [("d_prod", "float:prod", m) for m in _powers_of_two(max_m_prod)]
    plan += [("d_exp", "float:exp", None), ("d_sqrt", "float:sqrt", None), ("d_div", "float:div", None)]
    return plan


def _stable_from(rows: list[dict]) -> int:
    """The smallest measured m from which the depth equals the depth at the largest m."""
    last = rows[-1]["depth"]
    m0 = rows[-1]["m"]
    for row in reversed(rows):
        if row["depth"] != last:
            break
        m0 = row["m"]
    return m0


def gadget_depths(p: int, e: int | None = None, max_m_sum: int = 256, max_m_prod: int = 32,
                  progress=None) -> dict:
    """Build the gadgets behind the paper's d_std, d_plus(m), d_times(m),
    d_exp, d_sqrt (and div) for format (p, e) and measure them.

    d_std is the largest depth among float add, mul and lt (the "standard"
    operations); d_sum and d_prod are lists over m = 2, 4, ..., up to the
    given maxima. ``progress`` (a tqdm bar, optional) is advanced per circuit.
    """
    fmt = float_format(p, e)
    plan = gadget_plan(max_m_sum, max_m_prod)
    rows = []
    for quantity, name, m in plan:
        if progress is not None:
            progress.set_postfix_str(f"{name}" + (f" m={m}" if m else ""), refresh=False)
        t0 = time.perf_counter()
        circuit = compile_gadget(name, None, m, fmt.p, fmt.e)
        rows.append({"quantity": quantity, "gadget": name, "m": m, "depth": circuit.depth, "size": circuit.size,
                     "edges": circuit.edges, "seconds": round(time.perf_counter() - t0, 2)})
        if progress is not None:
            progress.update(1)
    std = [r for r in rows if r["quantity"] == "d_std"]
    top = max(std, key=lambda r: r["depth"])
    sums = [r for r in rows if r["quantity"] == "d_sum"]
    prods = [r for r in rows if r["quantity"] == "d_prod"]
    single = {q: next(r for r in rows if r["quantity"] == q) for q in ("d_exp", "d_sqrt", "d_div")}
    strip = lambda r: {k: r[k] for k in ("gadget", "m", "depth", "size", "edges", "seconds")}  # noqa: E731
    return {
        "p": fmt.p,
        "e": fmt.e,
        "d_std": {"depth": top["depth"], "attained_by": top["gadget"],
                  "definition": f"max depth of {', '.join(D_STD_GADGETS)}", "components": [strip(r) for r in std]},
        "d_sum": [strip(r) for r in sums],
        "d_sum_constant_from_m": _stable_from(sums),
        "d_prod": [strip(r) for r in prods],
        "d_prod_constant_from_m": _stable_from(prods),
        **{q: strip(r) for q, r in single.items()},
        "note": "depth against p: run benchmarks/float_sweep.py (table in the README)",
    }


def depth_table(result: dict) -> str:
    """``gadget_depths``'s result as a text table."""
    lines = [f"Gadget depths for p = {result['p']}, e = {result['e']} "
             "(depth = longest path, every gate counting 1)", ""]
    lines.append(f"{'quantity':<12} {'gadget':<11} {'m':>4} {'depth':>6} {'size':>10} {'edges':>11} {'build s':>8}")

    def row(label, r):
        m = "" if r["m"] is None else str(r["m"])
        lines.append(f"{label:<12} {r['gadget']:<11} {m:>4} {r['depth']:>6} {r['size']:>10} {r['edges']:>11} "
                     f"{r['seconds']:>8.2f}")

    std = result["d_std"]
    for r in std["components"]:
        row("d_std part", r)
    for r in result["d_sum"]:
        row(f"d_⊕({r['m']})", r)
    for r in result["d_prod"]:
        row(f"d_⊗({r['m']})", r)
    row("d_exp", result["d_exp"])
    row("d_sqrt", result["d_sqrt"])
    row("d_div", result["d_div"])
    parts = ", ".join(f"{r['gadget'].split(':')[1]} {r['depth']}" for r in std["components"])
    lines += ["", f"d_std = {std['depth']}: the largest depth of float add, mul and lt ({parts}); "
              f"attained by {std['attained_by']}."]
    for key, sym in (("d_sum", "d_⊕"), ("d_prod", "d_⊗")):
        rows = result[key]
        m0 = result[f"{key}_constant_from_m"]
        depth = rows[-1]["depth"]
        if m0 == rows[-1]["m"] and len(rows) > 1:
            lines.append(f"{sym}(m): the depth still changes at the largest measured m = {m0} ({depth}).")
        else:
            lines.append(f"{sym}(m) = {depth} for every measured m from {m0} to {rows[-1]['m']}: "
                         f"the depth no longer changes from m = {m0} on.")
    lines += ["", "Note: " + result["note"]]
    return "\n".join(lines)
