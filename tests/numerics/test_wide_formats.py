"""Formats wider than 64 bits (DESIGN section 10): p + e + 1 of any width,
words and fields as Python integers. The codec against the word packing of
tests/float_oracles.py (Python ints, written apart from tc0.numerics); every
reference operation against MPFR (correctly rounded ops), the sum rule in
Fractions and the exact product, at 85- to 130-bit words; results fixed by
the rules alone where the exponents pass MPFR's range (e = 65: |E| up to
2^64, MPFR's limit is 2^62)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from float_oracles import (
    Mpfr,
    assert_words,
    edge_pairs,
    exact_prod,
    oracle_max,
    pack,
    random_word,
    sum_rows,
    sum_rule,
    unpack,
    value,
)

from tc0.errors import FloatFormatError
from tc0.numerics import FloatFormat
from tc0.numerics import reference as R

#: (p, e) with words of 85 to 130 bits; e = 65 is the paper's e = p + 1 at p = 64
WIDE = [(64, 65), (64, 20), (113, 15), (100, 3)]
#: those whose exponent range MPFR holds (edge cases at emin/emax included)
IN_MPFR = [(64, 20), (113, 15), (100, 3)]
BINARY = ("add", "sub", "mul", "div")


def _words(ws) -> np.ndarray:
    return np.array([int(w) for w in ws], dtype=object)


def _near_zero(rnd, p, e, count):
    """Random words with exponents near 0 (inside MPFR's range whatever e)."""
    lo, hi = max(-(2 ** (e - 1)), -3 * p), min(2 ** (e - 1) - 1, 2 * p)
    return [random_word(rnd, p, e, rnd.randint(lo, hi)) for _ in range(count)]


# ---------------------------------------------------------------------------
# the codec


@pytest.mark.parametrize("p, e", WIDE)
def test_fields_pack_and_bits_round_trip(rnd, p, e):
    f = FloatFormat(p, e)
    assert f.wide and f.width == p + e + 1
    words = [0, f.max_word, f.min_normal_word] + [random_word(rnd, p, e) for _ in range(300)]
    a = f.validate(words)
    assert a.dtype == object
    s, m, E = f.fields(a)
    assert [(int(x), int(y), int(z)) for x, y, z in zip(s, m, E)] == [unpack(p, e, w) for w in words]
    assert_words(f.pack(s, m, E), words)
    bits = f.to_bits(a)
    assert bits.shape == (len(words), p + e + 1) and bits.dtype == np.uint8
    assert [sum(int(b) << i for i, b in enumerate(row)) for row in bits] == words
    assert_words(f.from_bits(bits), words)
    assert f.max_word == pack(p, e, 0, 2**p - 1, 2 ** (e - 1) - 1)


@pytest.mark.parametrize("p, e", WIDE)
def test_invalid_words_are_named(p, e):
    f = FloatFormat(p, e)
    with pytest.raises(FloatFormatError, match=f"not an unsigned {p + e + 1}-bit integer"):
        f.validate([1 << (p + e + 1)])
    with pytest.raises(FloatFormatError, match="leading bit"):
        f.validate([0, 1 << (p - 2)])
    with pytest.raises(FloatFormatError, match="must be integers"):
        f.validate([0.5])


@pytest.mark.parametrize("p, e", WIDE)
def test_encode_decode_against_python_floats(rnd, p, e):
    """p >= 64 holds every double exactly where the exponents reach: decode(encode(x)) == x."""
    f = FloatFormat(p, e)
    # doubles 2^k * [0.5, 1) with the format's values 2^(emin + p - 1) .. 2^(emax + p) and normal doubles
    lo, hi = max(-(2 ** (e - 1)) + p, -1020), min(2 ** (e - 1) - 1 + p, 1024)
    xs = [0.0] + [math.ldexp((rnd.random() + 1) / 2, rnd.randint(lo, hi)) * rnd.choice((1, -1)) for _ in range(500)]
    xs += [x for x in (1.0, -2.5, 1 / 3, 1.7e308, -5e-308) if lo <= math.frexp(x)[1] <= hi]
    words = f.encode(np.array(xs))
    assert words.dtype == object
    assert f.decode(words).tolist() == xs
    assert [value(p, e, int(w)) for w in words] == [value(p, e, int(w)) for w in f.round_fraction(xs)]


def test_decode_refuses_what_float64_cannot_hold():
    f = FloatFormat(64, 65)
    with pytest.raises(FloatFormatError, match="beyond float64's range"):
        f.decode(f.max_word)
    assert f.decode(f.min_normal_word) == 0.0  # 2^(2^64 ...) below every subnormal: 0.0


@pytest.mark.parametrize("bad", [1, 4097, 2.0, True])
def test_field_widths_are_bounded(bad):
    with pytest.raises(FloatFormatError, match="p must be"):
        FloatFormat(bad, 8)


# ---------------------------------------------------------------------------
# the reference operations


@pytest.mark.parametrize("p, e", WIDE)
@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_against_mpfr(rnd, p, e, op):
    pairs = list(zip(_near_zero(rnd, p, e, 1500), _near_zero(rnd, p, e, 1500)))
    for x, _ in pairs[:300]:  # overlapping exponents: cancellation in add and sub
        s, m, E = unpack(p, e, x)
        pairs.append((x, pack(p, e, 1 - s, m ^ 1 if m > 2 ** (p - 1) else m, E)))
    pairs += edge_pairs(rnd, p, e) if (p, e) in IN_MPFR else []
    a, b = (_words(c) for c in zip(*pairs))
    oracle = Mpfr(p, e)
    want = [getattr(oracle, op)(x, y) for x, y in pairs]
    assert_words(getattr(R, op)(FloatFormat(p, e), a, b), want, a, b, fmt=(p, e, op))


@pytest.mark.parametrize("p, e", WIDE)
def test_unary_and_compare(rnd, p, e):
    f, oracle = FloatFormat(p, e), Mpfr(p, e)
    words = _near_zero(rnd, p, e, 2000) + ([f.min_normal_word, f.max_word] if (p, e) in IN_MPFR else [])
    a = _words(words)
    assert_words(R.sqrt(f, a), [oracle.sqrt(w) for w in words], a, fmt=f)
    b = np.roll(a, 1)
    b[::3] = a[::3]
    assert R.lt(f, a, b).tolist() == [value(p, e, x) < value(p, e, int(y)) for x, y in zip(words, b)]
    assert R.eq(f, a, b).tolist() == [value(p, e, x) == value(p, e, int(y)) for x, y in zip(words, b)]
    assert_words(R.max(f, a, b), [oracle_max(p, e, x, int(y)) for x, y in zip(words, b)], a, b)


@pytest.mark.parametrize("p, e", WIDE)
@pytest.mark.parametrize("m", [3, 16])
def test_sum_rule(rnd, p, e, m):
    oracle = Mpfr(p, e)
    rows = sum_rows(rnd, p, e, m, 60) + [[0] * m]
    assert_words(R.sum(FloatFormat(p, e), np.array(rows, dtype=object)), [sum_rule(oracle, r) for r in rows],
                 fmt=(p, e, m))


@pytest.mark.parametrize("p, e", WIDE)
def test_prod_and_dot(rnd, p, e):
    oracle, f = Mpfr(p, e), FloatFormat(p, e)
    rows = [_near_zero(rnd, p, e, 5) for _ in range(100)]
    assert_words(R.prod(f, np.array(rows, dtype=object)), [exact_prod(oracle, r) for r in rows])
    a, b = rows[:50], rows[50:]
    want = [sum_rule(oracle, [oracle.mul(x, y) for x, y in zip(r, s)]) for r, s in zip(a, b)]
    assert_words(R.dot(f, np.array(a, dtype=object), np.array(b, dtype=object)), want)


@pytest.mark.parametrize("p, e", [(64, 65), (200, 300)])
def test_extremes_beyond_mpfr_by_definition(p, e):
    """Exponents up to 2^(e-1), beyond MPFR: results fixed by the rules alone."""
    f = FloatFormat(p, e)
    mx, mn, neg = f.max_word, f.min_normal_word, 1 << (p + e)
    assert R.add(f, mx, mx) == mx and R.mul(f, mx, mx) == mx and R.sub(f, mx | neg, mx) == mx | neg
    assert R.mul(f, mn, mn) == 0 and R.div(f, mn, mx) == 0 and R.div(f, mx, mn) == mx
    assert R.div(f, mx | neg, 0) == mx | neg and R.div(f, 0, 0) == 0
    assert R.add(f, mx, mn) == mx and R.add(f, mn, mn) == pack(p, e, 0, 2 ** (p - 1), -(2 ** (e - 1)) + 1)
    assert R.prod(f, _words([mx] * 5)) == mx and R.prod(f, _words([mn] * 5)) == 0
    assert R.sum(f, _words([mx] * 9)) == mx and R.sum(f, _words([mx, mx | neg, mn])) == 0
    assert R.lt(f, mn, mx) and R.lt(f, mx | neg, mn | neg) and not R.lt(f, mx, mx)
    one = pack(p, e, 0, 2 ** (p - 1), 1 - p)
    assert R.sqrt(f, one) == one and R.div(f, mx, mx) == one
