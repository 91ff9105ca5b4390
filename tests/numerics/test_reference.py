"""The p-bit reference backend against independent oracles.

Correctly rounded operations are checked against MPFR (``Mpfr`` in
tests/float_oracles.py); the sum rule of DESIGN section 3 against a Fraction
implementation written from the rule's text (``sum_rule``, same file); exp,
which is faithful rather than correctly rounded, against MPFR's two
neighbours of the exact value (``Mpfr.exp_neighbours``).
"""

from __future__ import annotations

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
    valid_words,
    value,
)

from tc0.errors import FloatFormatError
from tc0.numerics import FloatFormat
from tc0.numerics import reference as R

BINARY = ("add", "sub", "mul", "div")
RANDOM_FORMATS = [(8, 9), (11, 6), (16, 8)]
#: formats whose intermediates leave int64 (Python-int paths); exponents kept near 0 for MPFR
WIDE_FORMATS = [(31, 20), (40, 20), (60, 3)]


# ---------------------------------------------------------------------------
# (4, 4): exhaustive


@pytest.fixture(scope="module")
def all44():
    """Every valid (4, 4) word (zeros in every spelling), and every ordered pair of them."""
    words = np.array(valid_words(4, 4), dtype=np.uint64)
    a, b = (x.ravel() for x in np.meshgrid(words, words, indexing="ij"))
    return words, a, b


@pytest.mark.parametrize("op", BINARY)
def test_exhaustive_binary_44(all44, op):
    _, a, b = all44
    oracle = Mpfr(4, 4)
    want = [getattr(oracle, op)(x, y) for x, y in zip(a.tolist(), b.tolist())]
    assert_words(getattr(R, op)(FloatFormat(4, 4), a, b), want, a, b, fmt=op)


def test_exhaustive_compare_44(all44):
    words, a, b = all44
    f, pairs = FloatFormat(4, 4), list(zip(a.tolist(), b.tolist()))
    v = {w: value(4, 4, w) for w in words.tolist()}
    assert R.lt(f, a, b).tolist() == [v[x] < v[y] for x, y in pairs]
    assert R.eq(f, a, b).tolist() == [v[x] == v[y] for x, y in pairs]
    assert_words(R.max(f, a, b), [oracle_max(4, 4, x, y) for x, y in pairs], a, b)


def test_exhaustive_unary_44(all44):
    words, _, _ = all44
    f, oracle = FloatFormat(4, 4), Mpfr(4, 4)
    assert_words(R.sqrt(f, words), [oracle.sqrt(w) for w in words.tolist()], words)
    assert_words(R.relu(f, words), [oracle_max(4, 4, w, 0) for w in words.tolist()], words)


def test_exhaustive_prod2_44(all44):
    _, a, b = all44
    oracle = Mpfr(4, 4)
    want = [oracle.mul(x, y) for x, y in zip(a.tolist(), b.tolist())]
    assert_words(R.prod(FloatFormat(4, 4), np.stack([a, b], axis=-1)), want, a, b)


def test_dense_prod3_44(rnd):
    words, oracle = valid_words(4, 4), Mpfr(4, 4)
    terms = [[rnd.choice(words) for _ in range(3)] for _ in range(20000)]
    assert_words(R.prod(FloatFormat(4, 4), terms), [exact_prod(oracle, t) for t in terms])


# ---------------------------------------------------------------------------
# random formats: random pairs and constructed edge cases


@pytest.mark.parametrize("p, e", RANDOM_FORMATS)
@pytest.mark.parametrize("op", BINARY)
def test_random_binary(rnd, p, e, op):
    pairs = edge_pairs(rnd, p, e)
    for _ in range(10000):
        x = random_word(rnd, p, e)
        near = unpack(p, e, x)[2] + rnd.randint(-p - 4, p + 4)  # overlapping operands for add/sub
        pairs.append((x, random_word(rnd, p, e, near if rnd.random() < 0.7 else None)))
    a, b = (np.array(c, dtype=np.uint64) for c in zip(*pairs))
    oracle = Mpfr(p, e)
    want = [getattr(oracle, op)(x, y) for x, y in pairs]
    assert_words(getattr(R, op)(FloatFormat(p, e), a, b), want, a, b, fmt=(p, e, op))


@pytest.mark.parametrize("p, e", RANDOM_FORMATS + WIDE_FORMATS)
def test_random_unary_and_compare(rnd, p, e):
    f, oracle = FloatFormat(p, e), Mpfr(p, e)
    lo, hi = (-(2 ** (e - 1)), 2 ** (e - 1) - 1) if e <= 9 else (-300, 300)
    words = [0, f.max_word, f.min_normal_word, f.max_word | (1 << (p + e))]
    words += [random_word(rnd, p, e, rnd.randint(lo, hi)) for _ in range(10000)]
    a = np.array(words, dtype=np.uint64)
    assert_words(R.sqrt(f, a), [oracle.sqrt(w) for w in words], a, fmt=f)
    assert_words(R.relu(f, a), [oracle_max(p, e, w, 0) for w in words], a, fmt=f)
    b = np.roll(a, 1)
    b[::3] = a[::3]
    assert R.lt(f, a, b).tolist() == [value(p, e, x) < value(p, e, y) for x, y in zip(words, b.tolist())]
    assert R.eq(f, a, b).tolist() == [value(p, e, x) == value(p, e, y) for x, y in zip(words, b.tolist())]
    assert_words(R.max(f, a, b), [oracle_max(p, e, x, y) for x, y in zip(words, b.tolist())], a, b)


@pytest.mark.parametrize("p, e", WIDE_FORMATS)
@pytest.mark.parametrize("op", BINARY)
def test_wide_formats_binary(rnd, p, e, op):
    """Python-int paths (p >= 30): random pairs with exponents near 0, plus edges."""
    lo, hi = max(-(2 ** (e - 1)), -3 * p), min(2 ** (e - 1) - 1, 2 * p)
    pairs = [tuple(random_word(rnd, p, e, rnd.randint(lo, hi)) for _ in "ab") for _ in range(1500)]
    pairs += edge_pairs(rnd, p, e) if e <= 9 else []
    a, b = (np.array(c, dtype=np.uint64) for c in zip(*pairs))
    oracle = Mpfr(p, e)
    want = [getattr(oracle, op)(x, y) for x, y in pairs]
    assert_words(getattr(R, op)(FloatFormat(p, e), a, b), want, a, b, fmt=(p, e, op))


@pytest.mark.parametrize("p, e", [(31, 32), (2, 61), (20, 40)])
def test_extreme_formats_by_definition(p, e):
    """Formats beyond MPFR's exponent range: results fixed by the rules alone."""
    f = FloatFormat(p, e)
    mx, mn, neg = f.max_word, f.min_normal_word, 1 << (p + e)
    assert R.add(f, mx, mx) == mx and R.mul(f, mx, mx) == mx and R.sub(f, mx | neg, mx) == mx | neg
    assert R.mul(f, mn, mn) == 0 and R.div(f, mn, mx) == 0 and R.div(f, mx, mn) == mx
    assert R.div(f, mx | neg, 0) == mx | neg and R.div(f, 0, 0) == 0
    assert R.prod(f, [mx] * 9) == mx and R.prod(f, [mn] * 9) == 0 and R.prod(f, [mn | neg] * 3 + [mx] * 6) == mx | neg
    assert R.sum(f, [mx] * 9) == mx and R.sum(f, [mx, mx | neg, mn]) == 0  # mn is truncated away
    assert R.lt(f, mn, mx) and R.lt(f, mx | neg, mn | neg) and not R.lt(f, mx, mx)


def test_division_by_zero_and_signed_zeros():
    f = FloatFormat(8, 9)
    x, neg = f.encode(3.0), 1 << 17
    negzero = pack(8, 9, 1, 0, -5)  # a non-canonical zero: reads as 0
    assert R.div(f, x, 0) == f.max_word and R.div(f, x, negzero) == f.max_word
    assert R.div(f, x | neg, 0) == f.max_word | neg and R.div(f, 0, 0) == 0 and R.div(f, negzero, negzero) == 0
    assert R.sqrt(f, x | neg) == 0 and R.sqrt(f, negzero) == 0
    for op in BINARY:  # zero results are the canonical zero word
        assert getattr(R, op)(f, negzero, x) in (0, x, x | neg)
    assert R.sub(f, x, x) == 0 and R.mul(f, negzero, x | neg) == 0
    assert R.max(f, negzero, 0) == 0 and R.relu(f, x | neg) == 0 and R.eq(f, negzero, 0)


def test_ops_validate_and_broadcast():
    f = FloatFormat(4, 4)
    bad = 0b0011  # m = 3: leading bit clear
    for op in (R.add, R.mul, R.lt, R.max):
        with pytest.raises(FloatFormatError, match=f"{bad:#x}"):
            op(f, [0, bad], 0)
    with pytest.raises(FloatFormatError, match=f"{bad:#x}"):
        R.sum(f, [[0, bad]])
    one = f.encode(1.0)
    assert R.add(f, [[one], [one]], [one, 0, one]).shape == (2, 3)
    assert isinstance(R.add(f, one, one), np.uint64) and isinstance(R.lt(f, one, one), np.bool_)
    assert R.sum(f, np.zeros((2, 0, 3), np.uint64)).shape == (2, 0) and R.prod(f, [[one] * 3] * 4).shape == (4,)
    with pytest.raises(FloatFormatError, match="shape"):
        R.sum(f, one)


def test_exp_validates_words():
    """exp rejects invalid words like the other ops, naming the word; arrays keep their shape."""
    f = FloatFormat(4, 4)
    bad, too_wide = 0b0011, 1 << f.width  # m = 3: leading bit clear; beyond the 9-bit word
    for words in (bad, [0, bad], np.array([[0], [bad]], dtype=np.uint64)):
        with pytest.raises(FloatFormatError, match=f"word {bad:#x}"):
            R.exp(f, words)
    with pytest.raises(FloatFormatError, match=f"word {too_wide:#x}"):
        R.exp(f, [0, too_wide])
    with pytest.raises(FloatFormatError, match="word -1"):
        R.exp(f, -1)
    with pytest.raises(FloatFormatError, match="integers"):
        R.exp(f, [0.5])
    one = f.encode(1.0)
    words = np.array([[0, one, one | 1 << (f.width - 1)]] * 2, dtype=np.uint64)
    got = R.exp(f, words)
    assert got.shape == (2, 3) and got[0, 0] == f.encode(1.0) and (got[0] == got[1]).all()
    assert R.exp(f, one) == got[0, 1] and R.exp(f, [one])[0] == got[0, 1]


@pytest.mark.parametrize("p, e", WIDE_FORMATS)
def test_scalar_operands_take_the_same_paths(rnd, p, e):
    """0-d operands (Python-int intermediates included) give the array results."""
    f = FloatFormat(p, e)
    a, b = (random_word(rnd, p, e, rnd.randint(-p, 0)) for _ in range(2))
    for op in (R.add, R.sub, R.mul, R.div, R.lt, R.eq, R.max):
        assert op(f, a, b) == op(f, [a], [b])[0]
    for op in (R.sqrt, R.relu):
        assert op(f, a) == op(f, [a])[0]
    for op in (R.sum, R.prod):
        assert op(f, [a, b, a]) == op(f, [[a, b, a]])[0]
    assert R.dot(f, [a, b], [b, a]) == R.dot(f, [[a, b]], [[b, a]])[0]


# ---------------------------------------------------------------------------
# sum (d_plus), prod (d_times), dot: the rules of DESIGN section 3


@pytest.mark.parametrize("p, e", [(4, 4), (8, 9), (11, 6), (16, 8), (40, 20), (60, 3)])
@pytest.mark.parametrize("m", [1, 2, 3, 7, 16, 64])
def test_sum_rule(rnd, p, e, m):
    oracle = Mpfr(p, e)
    rows = sum_rows(rnd, p, e, m, 120 if m < 64 else 40)
    rows += [[0] * m, [pack(p, e, 1, 0, 3)] * m]  # all zero, in any spelling
    assert_words(R.sum(FloatFormat(p, e), rows), [sum_rule(oracle, r) for r in rows], fmt=(p, e, m))


def test_sum_truncation_is_visible():
    """A case where the baseline sum differs from the exact rounded sum."""
    p, e = 8, 9
    f, oracle = FloatFormat(p, e), Mpfr(p, e)
    one, tiny = f.encode(1.0), f.encode(2.0**-20)
    half_ulp = f.encode(2.0**-8)  # exactly half an ulp of 1.0 (ulp 2^-7)
    row = [one, half_ulp, tiny]  # exact: just above the tie, rounds up; the rule drops tiny: tie, to even 1.0
    assert R.sum(f, row) == one == sum_rule(oracle, row)
    assert oracle.round(sum(value(p, e, int(w)) for w in row)) != one


@pytest.mark.parametrize("p, e", [(8, 9), (11, 6), (16, 8)])
def test_sum_of_two_equal_exponents_is_add(rnd, p, e):
    pairs = []
    for _ in range(3000):
        x = random_word(rnd, p, e)
        pairs.append((x, random_word(rnd, p, e, unpack(p, e, x)[2])))
    a, b = (np.array(c, dtype=np.uint64) for c in zip(*pairs))
    oracle = Mpfr(p, e)
    assert_words(R.sum(FloatFormat(p, e), np.stack([a, b], -1)), [oracle.add(x, y) for x, y in pairs], a, b)


def test_sum_and_prod_of_no_terms():
    f = FloatFormat(8)
    assert R.sum(f, np.zeros((3, 0), np.uint64)).tolist() == [0, 0, 0]
    assert f.decode(R.prod(f, np.zeros((0,), np.uint64))) == 1.0


@pytest.mark.parametrize("p, e", [(8, 9), (11, 6), (16, 8), (31, 20)])
def test_prod(rnd, p, e):
    oracle, f = Mpfr(p, e), FloatFormat(p, e)
    emin, emax = -(2 ** (e - 1)), 2 ** (e - 1) - 1
    mx, mn, neg = f.max_word, f.min_normal_word, 1 << (p + e)
    for m in range(2, 9):
        rows = []
        for _ in range(300):
            spread = emax // m if rnd.random() < 0.5 else p  # often in range, sometimes overflowing
            rows.append([random_word(rnd, p, e, rnd.randint(-spread, spread) - p + 1) for _ in range(m)])
        rows += [[mx] * m, [mn] * m, [mn | neg] + [mx] * (m - 1), [0] + [mx] * (m - 1), [mx | neg] * (m - 1) + [0]]
        rows += [[random_word(rnd, p, e, emin)] + [random_word(rnd, p, e, -p)] * (m - 1)]  # underflow boundary
        assert_words(R.prod(f, rows), [exact_prod(oracle, r) for r in rows], fmt=(p, e, m))


@pytest.mark.parametrize("p, e", [(4, 4), (8, 9), (16, 8)])
@pytest.mark.parametrize("m", [1, 3, 8, 33])
def test_dot(rnd, p, e, m):
    """Each product mul-rounded (MPFR), then the sum rule (Fractions)."""
    oracle = Mpfr(p, e)
    span = min(2 ** (e - 2), 40)
    a = [[random_word(rnd, p, e, rnd.randint(-span, span)) for _ in range(m)] for _ in range(150)]
    b = [[random_word(rnd, p, e, rnd.randint(-span, span)) if rnd.random() < 0.9 else 0 for _ in a[0]] for _ in a]
    want = [sum_rule(oracle, [oracle.mul(x, y) for x, y in zip(r, s)]) for r, s in zip(a, b)]
    assert_words(R.dot(FloatFormat(p, e), a, b), want, fmt=(p, e, m))


# ---------------------------------------------------------------------------
# exp is faithful


@pytest.mark.parametrize("p, e", [(4, 4), *RANDOM_FORMATS, (24, 12)])
def test_reference_exp_is_faithful(rnd, p, e):
    oracle, fmt = Mpfr(p, e), FloatFormat(p, e)
    lo, hi = -(2 ** (e - 1)), 2 ** (e - 1) - 1
    words = valid_words(p, e) if (p, e) == (4, 4) else []
    # |x| from tiny to beyond the overflow threshold (2^(e-1) ln 2 ~ 2^(e-1.5)), and anywhere
    words += [random_word(rnd, p, e, rnd.randint(lo, hi)) for _ in range(2000)]
    words += [random_word(rnd, p, e, rnd.randint(max(lo, -3 * p - 8), min(hi, e + 2 - p))) for _ in range(8000)]
    got = R.exp(fmt, np.array(words, dtype=np.uint64)).tolist()
    bad = [(w, g) for w, g in zip(words, got) if g not in oracle.exp_neighbours(w)]
    assert not bad, [(hex(w), hex(g), sorted(map(hex, oracle.exp_neighbours(w)))) for w, g in bad[:5]]
    assert sum(g not in (0, fmt.max_word) for g in got) > 3000  # mostly in range
