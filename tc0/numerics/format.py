"""The p-bit float format of DESIGN section 3: words, fields, rounding.

A format ``FloatFormat(p, e)`` has a sign s, a p-bit significand m with an
explicit leading one (m in [2^(p-1), 2^p), or m = 0 for zero) and an e-bit
two's-complement exponent E; the value is (-1)^s * m * 2^E. A word is an
unsigned integer: bits 0..p-1 = m, bits p..p+e-1 = E, bit p+e = s, least
significant first -- also the order of a float's wires. Any p, e >= 2 (up to
``MAX_FIELD_BITS``) is a format. In arrays a word is a ``uint64`` when it
fits in 64 bits; a *wide* format's words (p + e + 1 > 64) and fields are
object arrays of Python integers: exact at any width, slower, and only on
the slow paths (the reference, the codec, the oracle), where the fixed-width
arithmetic of a multi-limb layout would buy little.
Zero is canonically the all-zero word; any word with m = 0 reads as zero; a
word with m != 0 and its leading bit clear is invalid and rejected.

``round_scaled`` is the single implementation of DESIGN's round(): nearest,
ties to even significand, with unbounded exponent; then a rounded magnitude
above the largest value saturates to +-max and one below the smallest normal
becomes 0. Everything that rounds (``encode``, ``round_fraction``, every
operation of ``tc0.numerics.reference``) goes through it.

Array-valued functions take array-likes, work elementwise on any shape and
return numpy arrays (numpy scalars for scalar input).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tc0.errors import FloatFormatError

#: integers below this bound are handled in int64 numpy arrays, larger ones as Python ints
_INT64_SAFE = 1 << 62
#: exact values with |E| above this are refused (2^E alone would take megabytes)
_MAX_EXACT_EXPONENT = 1 << 26
#: largest p and e of a format (a word of 2 * 4096 + 1 bits; beyond, a bound on what one word may allocate)
MAX_FIELD_BITS = 4096
#: the algorithms of div, sqrt and exp (DESIGN section 10): a ROM on about p/3 bits plus a two-term series
#: (size ~2^(p/3)), or a ROM on about log2(p) bits plus a longer series evaluated by Chinese remaindering
#: (size polynomial in p)
METHODS = ("table", "series")
#: what circuits of a format are built for: "size" (a NOT gate per negation) or "depth" (negations pushed
#: toward the sources, ``tc0.compiler.negations``); the same function either way
OPTIMIZE = ("size", "depth")


def _locate(bad: np.ndarray) -> tuple[tuple[int, ...], str]:
    """Index of the first True in ``bad`` and a message fragment naming it."""
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return idx, f" at index {idx}" if idx else ""


def _out(x):
    """A numpy scalar for a 0-d array, the array itself otherwise."""
    return np.asarray(x)[()]


def _array(x) -> np.ndarray:
    """x as an array; a list of Python ints beyond int64 becomes an object array, not floats."""
    a = np.asarray(x)
    if a.dtype.kind == "f" and not isinstance(x, np.ndarray):
        b = np.asarray(x, dtype=object)
        if all(isinstance(v, numbers.Integral) for v in b.flat):
            return b
    return a


def _ints(x) -> np.ndarray:
    """An integer array: int64 when every value is below 2^62 in magnitude, else object (Python ints)."""
    a = _array(x)
    if a.dtype == object:
        return a
    if a.dtype.kind not in "biu":
        raise FloatFormatError(f"expected integers, got an array of dtype {a.dtype}")
    if a.dtype.kind == "u" and a.size and int(a.max()) >= _INT64_SAFE:
        return a.astype(object)
    return a.astype(np.int64)


def _common(*arrays) -> list[np.ndarray]:
    """Integer arrays broadcast together and brought to one dtype: int64 if all
    magnitudes are below 2^62, else object (Python ints, no overflow)."""
    arrays = np.broadcast_arrays(*(_ints(a) for a in arrays))
    if all(a.dtype == np.int64 and (a.size == 0 or np.abs(a).max() < _INT64_SAFE) for a in arrays):
        return list(arrays)
    return [a.astype(object) for a in arrays]


def _bit_length(n: np.ndarray) -> np.ndarray:
    """Elementwise bit length of non-negative integers, in n's dtype."""
    if n.dtype == object:
        return np.frompyfunc(lambda v: int(v).bit_length(), 1, 1)(n)
    b = np.frexp(n.astype(np.float64))[1].astype(np.int64)
    # the float conversion may round 2^k - small up to 2^k: one too many
    return b - ((n > 0) & ((n >> np.maximum(b - 1, 0)) == 0))


def _exact_value(s: int, m: int, E: int) -> Fraction:
    """The Fraction (-1)^s * m * 2^E."""
    if abs(E) > _MAX_EXACT_EXPONENT:
        raise FloatFormatError(f"exact value m * 2^{E} is too large to build as a Fraction")
    v = Fraction(m << E) if E >= 0 else Fraction(m, 1 << -E)
    return -v if s else v


@dataclass(frozen=True)
class FloatFormat:
    """The format (p, e) of DESIGN section 3; e defaults to p + 1 (paper, Definition 3.8).

    Requires integers 2 <= p, e <= ``MAX_FIELD_BITS`` (DESIGN section 10: any
    width; ``wide`` past 64 bits). ``method`` (one of ``METHODS``) is the
    algorithm of div, sqrt and exp: it does not change a word's encoding nor
    a correctly rounded result (div, sqrt), but exp's faithful result follows
    it, so the arithmetic a format names includes it. ``optimize`` (one of
    ``OPTIMIZE``) is what its circuits are built for; it changes no result.
    """

    p: int
    e: int | None = None
    method: str = "table"
    optimize: str = "size"

    def __post_init__(self):
        object.__setattr__(self, "p", _check_int("p", self.p))
        object.__setattr__(self, "e", _check_int("e", self.p + 1 if self.e is None else self.e))
        if self.method not in METHODS:
            raise FloatFormatError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}",
                                   parameters=("method",))
        if self.optimize not in OPTIMIZE:
            raise FloatFormatError(f"optimize must be one of {', '.join(OPTIMIZE)}, got {self.optimize!r}",
                                   parameters=("optimize",))

    @property
    def wide(self) -> bool:
        """Words wider than 64 bits: held as Python integers (object arrays), not uint64."""
        return self.width > 64

    @property
    def word_dtype(self):
        """The dtype of arrays of this format's words: uint64, or object (Python ints) if ``wide``."""
        return object if self.wide else np.uint64

    # ---- constants ---------------------------------------------------------------

    @property
    def width(self) -> int:
        """Bits per word: p + e + 1."""
        return self.p + self.e + 1

    @property
    def emin(self) -> int:
        """Smallest exponent, -2^(e-1)."""
        return -(1 << (self.e - 1))

    @property
    def emax(self) -> int:
        """Largest exponent, 2^(e-1) - 1."""
        return (1 << (self.e - 1)) - 1

    @property
    def max_value(self) -> Fraction:
        """The largest value (2^p - 1) * 2^emax, exactly."""
        return _exact_value(0, (1 << self.p) - 1, self.emax)

    @property
    def min_normal(self) -> Fraction:
        """The smallest positive value 2^(p-1) * 2^emin, exactly."""
        return _exact_value(0, 1 << (self.p - 1), self.emin)

    @property
    def max_word(self) -> int:
        """The word of +max."""
        return int(self.pack(0, (1 << self.p) - 1, self.emax))

    @property
    def min_normal_word(self) -> int:
        """The word of the smallest positive value."""
        return int(self.pack(0, 1 << (self.p - 1), self.emin))

    # ---- words and fields ------------------------------------------------------

    def validate(self, words) -> np.ndarray:
        """``words`` as a uint64 array (object array of Python ints if ``wide``),
        or FloatFormatError naming the first invalid word and why.

        Invalid: not an integer in [0, 2^width), or m != 0 with its leading bit clear.
        """
        a = _array(words)
        if a.dtype.kind not in "iuO" or (
            a.dtype == object and not all(isinstance(v, numbers.Integral) for v in a.flat)
        ):
            raise FloatFormatError(f"float words must be integers, got {a.dtype} values")
        too_big = np.asarray((a < 0) | (a >= (1 << self.width)), dtype=bool)
        if too_big.any():
            self._reject(a, too_big, f"it is not an unsigned {self.width}-bit integer")
        if self.wide:
            w = self._python_ints(a)
            m = w & ((1 << self.p) - 1)
            bad = np.asarray((m != 0) & (m < (1 << (self.p - 1))), dtype=bool)
        else:
            w = a.astype(np.uint64)
            m = w & np.uint64((1 << self.p) - 1)
            bad = (m != 0) & (m < np.uint64(1 << (self.p - 1)))
        if bad.any():
            self._reject(w, bad, f"its significand is non-zero with the leading bit (bit {self.p - 1}) clear")
        return w

    def _reject(self, words, bad, why):
        """Raise FloatFormatError naming the first word where ``bad`` holds."""
        idx, where = _locate(bad)
        word = int(words[idx])
        shown = f"0x{word:x}" if word >= 0 else str(word)
        raise FloatFormatError(f"word {shown}{where} of {self}: {why}")

    def fields(self, words):
        """(s, m, E) of words, E signed: int64 arrays (object arrays of Python
        ints if ``wide``); no validation (see ``validate``)."""
        p, e = self.p, self.e
        if self.wide:
            w = self._python_ints(words)
            s, m, raw = (w >> (p + e)) & 1, w & ((1 << p) - 1), (w >> p) & ((1 << e) - 1)
        else:
            w = _array(words).astype(np.uint64)
            s = ((w >> np.uint64(p + e)) & np.uint64(1)).astype(np.int64)
            m = (w & np.uint64((1 << p) - 1)).astype(np.int64)
            raw = ((w >> np.uint64(p)) & np.uint64((1 << e) - 1)).astype(np.int64)
        E = raw - ((raw >> (e - 1)) << e)
        return _out(s), _out(m), _out(E)

    def pack(self, s, m, E):
        """Words of (s, m, E); FloatFormatError unless s in {0, 1}, m = 0 or
        2^(p-1) <= m < 2^p, and emin <= E <= emax."""
        s, m, E = _common(s, m, E)
        p = self.p
        checks = (
            ((s != 0) & (s != 1), "s must be 0 or 1"),
            ((m != 0) & ((m < (1 << (p - 1))) | (m >= (1 << p))), f"m must be 0 or in [2^{p - 1}, 2^{p})"),
            ((E < self.emin) | (E > self.emax), f"E must be in [{self.emin}, {self.emax}]"),
        )
        for bad, why in checks:
            bad = np.asarray(bad, dtype=bool)
            if bad.any():
                idx, where = _locate(bad)
                raise FloatFormatError(f"cannot pack (s={s[idx]}, m={m[idx]}, E={E[idx]}){where} in {self}: {why}")
        if self.wide:
            s, m, E = (x.astype(object) for x in (s, m, E))
            return _out((s << (p + self.e)) | ((E & ((1 << self.e) - 1)) << p) | m)
        s, m, E = (x.astype(np.int64).astype(np.uint64) for x in (s, m, E))
        E &= np.uint64((1 << self.e) - 1)
        return _out((s << np.uint64(p + self.e)) | (E << np.uint64(p)) | m)

    def _python_ints(self, words) -> np.ndarray:
        """Words as an object array of Python ints (the wide formats' array type)."""
        a = _array(words)
        return a.astype(object) if a.dtype == object or not a.size else np.asarray(np.frompyfunc(int, 1, 1)(a),
                                                                                     dtype=object)

    def is_zero(self, words):
        """True where the word reads as zero (m = 0)."""
        return _out(self.fields(words)[1] == 0)

    def to_bits(self, words) -> np.ndarray:
        """(..., width) uint8 bits of valid words, least significant first (the wire order)."""
        w = self.validate(words)
        if self.wide:
            shifts = np.arange(self.width).astype(object)
            return ((w[..., None] >> shifts) & 1).astype(np.uint8)
        return ((w[..., None] >> np.arange(self.width, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)

    def port_bits(self, words_by_port: dict) -> dict[str, np.ndarray]:
        """Simulator inputs from words: each (batch, ...) word array becomes
        (batch, words * width) bits, row-major (a port holds its words in order)."""
        return {name: self.to_bits(w).reshape(np.shape(w)[0], -1) for name, w in words_by_port.items()}

    def from_bits(self, bits):
        """Words from (..., width) bits, least significant first; not validated (a
        circuit's output is checked where it is read: ``validate``, ``decode``)."""
        b = np.asarray(bits)
        if b.shape[-1:] != (self.width,):
            raise FloatFormatError(f"expected bits of shape (..., {self.width}), got {b.shape}")
        if not np.isin(b, (0, 1)).all():
            raise FloatFormatError("bits must be 0 or 1")
        if self.wide:
            weights = np.array([1 << i for i in range(self.width)], dtype=object)
            return _out((b.astype(object) * weights).sum(axis=-1))
        return _out((b.astype(np.uint64) << np.arange(self.width, dtype=np.uint64)).sum(axis=-1, dtype=np.uint64))

    # ---- values ------------------------------------------------------------------

    def encode(self, x):
        """Words of round(x) for float64 values x (-0.0 gives the zero word).

        NaN and +-inf raise FloatFormatError: the format has neither, and
        saturating an infinity would hide an upstream error.
        """
        x = np.asarray(x, dtype=np.float64)
        bad = ~np.isfinite(x)
        if bad.any():
            idx, where = _locate(bad)
            raise FloatFormatError(f"cannot encode {x[idx]}{where}: {self} has no NaN or infinity")
        frac, exp = np.frexp(np.abs(x))  # |x| = frac * 2^exp, frac in [0.5, 1) has <= 53 bits
        n = np.ldexp(frac, 53).astype(np.int64)
        return round_scaled(self, np.signbit(x), n, exp.astype(np.int64) - 53)

    def decode(self, words):
        """float64 values of valid words, correctly rounded to float64.

        A magnitude beyond float64's range raises FloatFormatError (no
        infinities); tiny values round to float64 subnormals or 0.
        """
        w = self.validate(words)
        s, m, E = (np.asarray(f) for f in self.fields(w))
        if self.wide:
            v = np.asarray(np.frompyfunc(_python_float, 2, 1)(m, E), dtype=np.float64)
            over = np.isinf(v)
            if over.any():
                self._reject(w, over, "its magnitude is beyond float64's range")
            return _out(np.where(s == 1, -v, v))
        # m < 2^61 converts with one rounding (only if p > 53, and then e <= 9 keeps
        # the result far inside the normal range, so ldexp is exact); clipping E
        # keeps ldexp's argument small without changing any result
        with np.errstate(over="ignore"):
            v = np.ldexp(m.astype(np.float64), np.clip(E, -2000, 2000).astype(np.int32))
        over = np.isinf(v)
        if over.any():
            self._reject(w, over, "its magnitude is beyond float64's range")
        return _out(np.where(s == 1, -v, v))

    def to_fraction(self, words):
        """Exact values of valid words as Fractions (object array; a Fraction for a scalar)."""
        s, m, E = (np.asarray(f) for f in self.fields(self.validate(words)))
        return _out(np.frompyfunc(lambda *f: _exact_value(*map(int, f)), 3, 1)(s, m, E))

    def round_fraction(self, x):
        """Words of round(x) for exact rationals x (Fraction, int, or array-likes of them)."""
        fr = np.frompyfunc(Fraction, 1, 1)(np.asarray(x, dtype=object))
        num = np.frompyfunc(lambda f: f.numerator, 1, 1)(fr)
        den = np.frompyfunc(lambda f: f.denominator, 1, 1)(fr)
        return round_quotient(self, num < 0, np.abs(num), den, 0)


def _check_int(name: str, v) -> int:
    """v as an int if it is an integer in 2..MAX_FIELD_BITS (bools are not), else FloatFormatError."""
    if not isinstance(v, numbers.Integral) or isinstance(v, (bool, np.bool_)):
        raise FloatFormatError(f"{name} must be an integer, got {v!r}", parameters=(name,))
    if not 2 <= v <= MAX_FIELD_BITS:
        raise FloatFormatError(f"{name} must be in 2..{MAX_FIELD_BITS}, got {v}", parameters=(name,))
    return int(v)


def _python_float(m: int, E: int) -> float:
    """m * 2^E (m >= 0) correctly rounded to float64; inf beyond its range, 0.0 far below it."""
    m, E = int(m), int(E)
    if m == 0 or E + m.bit_length() < -1100:  # below half the smallest subnormal (2^-1075)
        return 0.0
    if E + m.bit_length() > 1025:
        return math.inf
    try:
        return float(Fraction(m << E) if E >= 0 else Fraction(m, 1 << -E))
    except OverflowError:
        return math.inf


def round_scaled(fmt: FloatFormat, sign, n, shift):
    """Words of round((-1)^sign * n * 2^shift) per DESIGN section 3.

    ``n`` are non-negative integers of any size (int arrays, or object arrays
    of Python ints), ``shift`` integer exponents of any size; the three
    arguments broadcast. Ties go to the even significand; the exponent is
    unbounded while rounding; then a rounded magnitude above max saturates to
    +-max and one below the smallest normal flushes to the (canonical) zero.
    """
    sign, n, shift = _common(np.asarray(sign).astype(bool), n, shift)
    if fmt.wide:  # its exponents and significands pass int64
        n, shift = n.astype(object), shift.astype(object)
    shape = n.shape  # work on 1-d arrays: 0-d object arithmetic would decay to numpy scalars
    sign, n, shift = sign.ravel() != 0, n.ravel(), shift.ravel()
    if (n < 0).any():
        raise FloatFormatError("round_scaled needs non-negative n")
    p = fmt.p
    r = _bit_length(n) - p  # bits dropped (negative: zeros appended)
    rr = np.maximum(r, 0)
    q = np.where(r >= 0, n >> rr, n << np.maximum(-r, 0))
    g = np.maximum(rr - 1, 0)  # position of the guard bit
    guard = (r > 0) & (((n >> g) & 1) == 1)
    sticky = (n & ((1 << g) - 1)) != 0
    q = q + (guard & (sticky | ((q & 1) == 1)))
    carry = q >> p  # 1 iff rounding up reached 2^p
    q = q >> carry
    E = shift + r + carry
    zero = (n == 0) | (E < fmt.emin)
    over = ~zero & (E > fmt.emax)
    m = np.where(zero, 0, np.where(over, (1 << p) - 1, q))
    E = np.where(zero, 0, np.where(over, fmt.emax, E))
    return _out(fmt.pack(sign & ~zero, m, E).reshape(shape))


def round_quotient(fmt: FloatFormat, sign, a, b, shift):
    """Words of round((-1)^sign * (a / b) * 2^shift) for integers a >= 0, b > 0.

    The quotient is taken to p + 2 bits or more, plus a sticky bit for a
    non-zero remainder: it lies strictly between the same two rounding
    boundaries as a / b, so ``round_scaled`` of it is the exact rounding.
    """
    sign, a, b, shift = _common(np.asarray(sign).astype(bool), a, b, shift)
    shape = a.shape  # 1-d inside, as in round_scaled
    sign, a, b, shift = (x.ravel() for x in (sign, a, b, shift))
    if (b <= 0).any():
        raise FloatFormatError("round_quotient needs a positive divisor")
    len_a, len_b = _bit_length(a), _bit_length(b)
    k = fmt.p + 2 - len_a + len_b  # a * 2^k / b > 2^(p+1)
    if a.dtype != object and (fmt.wide or fmt.p + 2 + max(len_a.max(initial=0), len_b.max(initial=0)) > 62):
        a, b, shift, k = (x.astype(object) for x in (a, b, shift, k))
    num = a << np.maximum(k, 0)
    den = b << np.maximum(-k, 0)
    q, rem = num // den, num % den
    return _out(round_scaled(fmt, sign, (q << 1) | (rem != 0), shift - k - 1).reshape(shape))
