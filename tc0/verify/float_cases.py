"""The inputs of a float gadget check: edge cases (every spelling of zero,
+-max, +-smallest normal, +-1, exact ties, cancellation, results at the
saturation and flush boundaries, ...) followed by random valid words whose
exponents are drawn both over the full range and concentrated where the
results are neither saturated nor flushed. Words are uint64, or Python ints
(object arrays) for formats wider than 64 bits, whose random exponents and
significands come from Python's ``random`` (they pass int64)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import numpy as np

from tc0.compiler.catalog import float_format, float_spec
from tc0.numerics import FloatFormat
from tc0.verify.words import Words


class FloatCases:
    """Edge cases and random valid words for one gadget shape."""

    def __init__(self, words: Words, op: str, shape: str, m: int, seed: int):
        self.w, self.op, self.shape, self.m = words, op, shape, m
        self.rnd = random.Random(seed)  # edge cases
        self.rng = np.random.default_rng(seed)  # random cases, in bulk
        W = words
        self.one_E = -(W.p - 1)  # 1.0 = 2^(p-1) * 2^(1-p)
        fmt = FloatFormat(W.p, W.e)
        self.wide, self.dtype = fmt.wide, fmt.word_dtype
        self.neg = W.neg if self.wide else np.uint64(W.neg)  # the sign bit, in the words' type
        self.big = random.Random(seed + 1)  # wide formats: random integers past int64

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
        edge = self.edge()
        return np.concatenate([edge, self.random(samples)]), len(edge)

    def batches(self, samples: int, size: int) -> Iterator[np.ndarray]:
        """The edge cases, then ``samples`` random cases, in batches of at most
        ``size`` (the same cases for the same seed, samples and size)."""
        edge = self.edge()
        for first in range(0, len(edge), size):
            yield edge[first : first + size]
        for first in range(0, samples, size):
            yield self.random(min(size, samples - first))

    def edge(self) -> np.ndarray:
        """The edge cases, shaped as ``cases``."""
        edge = np.array(getattr(self, f"_edge_{self.shape}")(), dtype=self.dtype)
        per_case = {"unary": (1,), "binary": (2,), "reduce": (self.m,), "pair": (2, self.m)}[self.shape]
        return edge.reshape((-1,) + per_case)

    def random(self, samples: int) -> np.ndarray:
        """``samples`` random cases, shaped as ``cases``."""
        return getattr(self, f"_random_{self.shape}")(samples)

    # -- vectorized random words (numpy generator; Python ints for wide formats)
    def _integers(self, lo, hi, shape) -> np.ndarray:
        """Uniform integers in [lo, hi] (bounds broadcast to ``shape``)."""
        if not self.wide:
            return self.rng.integers(lo, hi, size=shape, endpoint=True)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        lo, hi = (np.broadcast_to(np.asarray(b, dtype=object), shape) for b in (lo, hi))
        out = np.empty(shape, dtype=object)
        for i in np.ndindex(*shape):
            out[i] = self.big.randint(int(lo[i]), int(hi[i]))
        return out

    def _pack(self, s, m, E) -> np.ndarray:
        W = self.w
        if self.wide:
            E = np.minimum(np.maximum(np.asarray(E, dtype=object), W.emin), W.emax)
            return ((np.asarray(s).astype(object) << (W.p + W.e)) | ((E % (1 << W.e)) << W.p)
                    | np.asarray(m, dtype=object))
        E = np.clip(E, W.emin, W.emax).astype(np.int64)
        raw = (E % (1 << W.e)).astype(np.uint64)
        return (s.astype(np.uint64) << np.uint64(W.p + W.e)) | (raw << np.uint64(W.p)) | m.astype(np.uint64)

    def _words(self, E) -> np.ndarray:
        """Random non-zero words with exponents E (clipped to the range), random signs."""
        W, g = self.w, self.rng
        E = np.asarray(E)
        m = self._integers(W.low, W.top, E.shape) if self.wide else g.integers(
            W.low, W.top, size=E.shape, dtype=np.uint64, endpoint=True)
        return self._pack(g.integers(0, 2, size=E.shape), m, E)

    def _exponents(self, words: np.ndarray) -> np.ndarray:
        """The signed exponents of words."""
        W = self.w
        if self.wide:
            return (words >> W.p) % (1 << W.e) - (((words >> (W.p + W.e - 1)) & 1) << W.e)
        E = ((words >> np.uint64(W.p)) & np.uint64((1 << W.e) - 1)).astype(np.int64)
        return E - ((E >> (W.e - 1)) << W.e)

    def _full_E(self, shape) -> np.ndarray:
        return self._integers(self.w.emin, self.w.emax, shape)

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
        close = self._exponents(x) + g.integers(-W.p - 4, W.p + 4, size=n, endpoint=True)
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
            E = self.one_E + self._integers(-spread, spread, (n, m))
            r = g.random((n, m))
            words = self._words(np.where(r < 0.1, self._full_E((n, m)), E))
            words[r > 0.98] = 0
            return words
        # sum: a cluster around a centre (30% anywhere in range, else near 1)
        lo, hi = W.emin + 3 * p + 8, W.emax - 3
        centre = self._near_E((n, 1))
        if lo <= hi:
            centre = np.where(g.random((n, 1)) < 0.3, self._integers(lo, hi, (n, 1)), centre)
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
            block = np.concatenate([pairs, pairs ^ self.neg, odd], axis=1)
            words[rows] = g.permuted(block, axis=1)
        # kind 3: mostly negative, a few zeros
        r = g.random((n, m))
        neg3 = (kind == 3) & (r < 0.8)
        words = np.where(neg3, words | self.neg, words)
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


def float_cases(name: str, p: int, e: int | None = None, m: int | None = None, samples: int = 10000,
                seed: int = 0) -> tuple[np.ndarray, int]:
    """The inputs ``check_float_gadget`` uses: (cases, number of edge cases).
    cases is (N, 1) words for unary gadgets, (N, 2) for binary ones, (N, m)
    for sum/prod and (N, 2, m) for dot; the edge cases come first."""
    spec = float_spec(name)
    fmt = float_format(p, e)
    op = spec.name.split(":", 1)[1]
    return FloatCases(Words(fmt.p, fmt.e), op, spec.shape, m or 1, seed).cases(samples)
