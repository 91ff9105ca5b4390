"""The p-bit reference backend: exact emulation of DESIGN section 3 on words.

Every function takes a ``FloatFormat`` and word arrays (validated; they
broadcast) and returns words, except ``lt``/``eq`` which return booleans.
Each result is the exact value of its rule handed to ``round_scaled`` (or
``round_quotient`` for a quotient), the one implementation of round():

* ``add``, ``sub``, ``mul``, ``div``, ``sqrt``: round(exact result); x/0 is
  +-max with the sign of x (zero has no sign), 0/0 = 0; sqrt(x < 0) = 0.
* ``lt``, ``eq``, ``max``, ``relu``: exact comparisons; zeros are equal.
* ``sum`` (d_plus): DESIGN's baseline truncate-then-round rule, over the last axis.
* ``prod`` (d_times): round(exact product), a single rounding.
* ``dot``: each product mul-rounded, then ``sum``.

Intermediates are int64 numpy arrays where their bit bound provably fits,
else object arrays of Python ints (always for a wide format, whose fields
are Python ints: every operation works at any p and e). A new operation (e.g. ``exp``) is another
function here that computes its exact value, or bracket of it, and rounds it
with ``round_scaled``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from tc0.errors import FloatFormatError
from tc0.numerics.exp_algorithm import exp_reference
from tc0.numerics.format import FloatFormat, _out, round_quotient, round_scaled

__all__ = ["add", "sub", "mul", "div", "sqrt", "lt", "eq", "max", "relu", "sum", "prod", "dot", "round_scaled"]


def _exact(x: np.ndarray, bits: int) -> np.ndarray:
    """x as int64 if every intermediate's magnitude is below 2^bits with bits <= 62, else as Python ints."""
    return x.astype(np.int64 if bits <= 62 else object)


def _on_fields(reduce: bool = False):
    """Decorator: ``op(fmt, *words)`` validates and broadcasts the word arrays
    and hands their (s, m, E) int64 fields to the body, flattened to 1-d, or
    to 2-d (rows, m) if ``reduce`` (the body reduces the last axis); the
    result gets the leading shape back. Flat arrays keep object (Python-int)
    arithmetic exact: on 0-d arrays it would decay to numpy scalars."""

    def wrap(body):
        @functools.wraps(body)
        def op(fmt: FloatFormat, *words):
            ws = np.broadcast_arrays(*(fmt.validate(w) for w in words))
            shape = ws[0].shape
            if reduce and not shape:
                raise FloatFormatError(f"{body.__name__} needs word arrays of shape (..., m)")
            flat = (math.prod(shape[:-1]), shape[-1]) if reduce else (-1,)
            out = body(fmt, *(fmt.fields(w.reshape(flat)) for w in ws))
            return _out(np.reshape(out, shape[:-1] if reduce else shape))

        return op

    return wrap


@_on_fields()
def add(fmt: FloatFormat, x, y):
    """round(a + b)."""
    return _add(fmt, x, y)


@_on_fields()
def sub(fmt: FloatFormat, x, y):
    """round(a - b)."""
    s, m, E = y
    return _add(fmt, x, (1 - s, m, E))


def _add(fmt: FloatFormat, x, y):
    """round(x + y) on fields. The operand with the smaller exponent is aligned
    to the larger one's; an exponent gap d is clamped to p + 2: below a quarter
    of the larger operand's ulp, any non-zero addend rounds the same way."""
    (s1, m1, E1), (s2, m2, E2) = x, y
    p = fmt.p
    E1 = np.where(m1 == 0, E2, E1)  # a zero takes the other exponent: it only adds 0
    E2 = np.where(m2 == 0, E1, E2)
    hi = E1 >= E2
    d = np.minimum(np.abs(E1 - E2), p + 2)
    bits = 2 * p + 3  # |(m_hi << d) +- m_lo| < 2^(2p+3)
    m_hi, m_lo = _exact(np.where(hi, m1, m2), bits), _exact(np.where(hi, m2, m1), bits)
    s_hi, s_lo = np.where(hi, s1, s2), np.where(hi, s2, s1)
    total = np.where(s_hi == 1, -1, 1) * (m_hi << d) + np.where(s_lo == 1, -1, 1) * m_lo
    return round_scaled(fmt, total < 0, np.abs(total), np.maximum(E1, E2) - d)


@_on_fields()
def mul(fmt: FloatFormat, x, y):
    """round(a * b)."""
    (s1, m1, E1), (s2, m2, E2) = x, y
    return round_scaled(fmt, s1 ^ s2, _exact(m1, 2 * fmt.p) * m2, E1 + E2)


@_on_fields()
def div(fmt: FloatFormat, x, y):
    """round(a / b); a / 0 = +-max with a's sign for a != 0, 0 / 0 = 0."""
    (s1, m1, E1), (s2, m2, E2) = x, y
    by_zero = m2 == 0
    q = round_quotient(fmt, s1 ^ s2, m1, np.where(by_zero, 1, m2), E1 - E2)
    nonzero = m1 != 0
    saturate = nonzero.astype(object)  # Python ints: (2^p - 1) and emax may pass int64
    overflow = fmt.pack(s1 & nonzero, saturate * ((1 << fmt.p) - 1), saturate * fmt.emax)
    return np.where(by_zero, overflow, q)


@_on_fields()
def sqrt(fmt: FloatFormat, x):
    """round(sqrt(a)); sqrt(a) = 0 for a < 0.

    With E made even, sqrt(m * 2^E) = isqrt(m * 2^(2k)) * 2^(E/2 - k) plus a
    sticky bit for a non-zero remainder; k = p + 2 gives p + 2 or more bits,
    so the rounding is exact. Python ints (math.isqrt), one per element.
    """
    s, m, E = x
    odd = E & 1
    k = fmt.p + 2
    radicand = _exact(m << odd, 3 * fmt.p + 5) << (2 * k)
    root = np.frompyfunc(math.isqrt, 1, 1)(radicand)
    sticky = root * root != radicand
    n = np.where(s == 1, 0, (root << 1) | sticky)
    return round_scaled(fmt, 0, n, ((E - odd) >> 1) - k - 1)


def _key(fmt: FloatFormat, s, m, E):
    """Keys ordered like the values: 0 for zero, +-((E - emin) * 2^p + m) else
    (< 2^(e+p): int64 for a 64-bit word, Python ints for a wide one)."""
    mag = np.where(m == 0, 0, ((E - fmt.emin) << fmt.p) + m)
    return np.where(s == 1, -mag, mag)


@_on_fields()
def lt(fmt: FloatFormat, x, y):
    """a < b, exactly."""
    return _key(fmt, *x) < _key(fmt, *y)


@_on_fields()
def eq(fmt: FloatFormat, x, y):
    """a == b, exactly (every zero word equals every other)."""
    return _key(fmt, *x) == _key(fmt, *y)


@_on_fields()
def max(fmt: FloatFormat, x, y):  # noqa: A001 - the op's name in the backend interface
    """The larger of a and b (either if equal; a zero as the canonical zero word)."""
    take_y = _key(fmt, *y) > _key(fmt, *x)
    s, m, E = (np.where(take_y, fy, fx) for fx, fy in zip(x, y))
    zero = m == 0
    return fmt.pack(np.where(zero, 0, s), m, np.where(zero, 0, E))


def relu(fmt: FloatFormat, a):
    """max(a, 0)."""
    return max(fmt, a, 0)


@_on_fields(reduce=True)
def sum(fmt: FloatFormat, x):  # noqa: A001 - the op's name in the backend interface
    """d_plus of words (..., m) over the last axis, DESIGN's baseline rule.

    T = max over non-zero terms of E_i + p, W = p + ceil(log2 m) + 3; each
    term's magnitude is truncated toward zero to a multiple of 2^(T - W), the
    signed truncated terms are added exactly, and the total is rounded.
    All-zero (or no) terms give 0.
    """
    s, m, E = x
    p, count = fmt.p, m.shape[-1]
    lg = (count - 1).bit_length() if count else 0  # ceil(log2 m)
    W = p + lg + 3
    nonzero = m != 0
    below = fmt.emin - 1  # below every E + p: the T of a row of zeros
    T = np.where(nonzero, E + p, below).max(axis=-1, initial=below)
    T = np.where(T == below, 0, T)  # rows of zeros: any T, every term is 0
    base = T - W  # the unit 2^(T - W)
    d = np.where(nonzero, E - base[..., None], 0)  # <= W - p; a term is m * 2^d units
    units = _exact(m, W + lg)  # each < 2^W, m of them
    units = np.where(d >= 0, units << np.maximum(d, 0), units >> np.minimum(np.maximum(-d, 0), p))
    total = np.where(s == 1, -units, units).sum(axis=-1)
    return round_scaled(fmt, total < 0, np.abs(total), base)


@_on_fields(reduce=True)
def prod(fmt: FloatFormat, x):
    """d_times of words (..., m) over the last axis: round(exact product), one rounding."""
    s, m, E = x
    count = m.shape[-1]
    n = _exact(m, count * fmt.p).prod(axis=-1)
    shift = _exact(E, fmt.e - 1 + count.bit_length()).sum(axis=-1)  # |sum| <= m * 2^(e-1)
    return round_scaled(fmt, s.sum(axis=-1) & 1, n, shift)


def dot(fmt: FloatFormat, a, b):
    """Dot products over the last axis: each product mul-rounded, then ``sum``."""
    return sum(fmt, mul(fmt, a, b))


def exp(fmt: FloatFormat, x):
    """exp(x), faithfully rounded by the algorithm in ``tc0.numerics.exp_algorithm``
    (which the circuit implements to the bit); the words are validated there."""
    return exp_reference(fmt, x)
