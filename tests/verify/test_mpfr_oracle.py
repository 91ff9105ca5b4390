"""The product's MPFR oracle (``tc0.verify.mpfr_oracle.MpfrOracle``, used by ``tc0 check``)
against the tests' own copy (``Mpfr`` in tests/float_oracles.py).

The two are written separately on purpose (tests must not trust product
code); this file checks that they still say the same thing: every valid
(4, 4) word and pair exhaustively, and a few thousand random words and pairs
(edge pairs included) at (8, 5) and (11, 6), where saturation and flush are
frequent; and check's integer-shift sum rule against the Fraction one
(``sum_rule`` in tests/float_oracles.py) on random rows.
"""

from __future__ import annotations

import random

import pytest
from float_oracles import (
    Mpfr,
    edge_pairs,
    exact_prod,
    pack,
    random_word,
    sum_rows,
    sum_rule,
    valid_words,
)

from tc0.verify.mpfr_oracle import MpfrOracle
from tc0.verify.words import Words

BINARY = ("add", "sub", "mul", "div")
RANDOM_FORMATS = [(8, 5), (11, 6)]


def _oracles(p: int, e: int) -> tuple[MpfrOracle, Mpfr]:
    return MpfrOracle(Words(p, e)), Mpfr(p, e)


def _disagreements(fn_product, fn_tests, cases) -> list:
    """The first few cases (as hex) where the two oracles' results differ."""
    bad = []
    for args in cases:
        got, want = fn_product(*args), fn_tests(*args)
        if got != want:
            bad.append(([hex(a) for a in args], got, want))
            if len(bad) == 5:
                break
    return bad


def _random_words(rnd: random.Random, p: int, e: int, n: int) -> list[int]:
    """n random words: uniform exponents, and some zeros in every spelling."""
    words = [random_word(rnd, p, e) for _ in range(n)]
    words += [0, 1 << (p + e)] + [pack(p, e, rnd.getrandbits(1), 0, rnd.randint(-(2 ** (e - 1)), 2 ** (e - 1) - 1))
                                  for _ in range(20)]
    return words


def _random_pairs(rnd: random.Random, p: int, e: int, n: int) -> list[tuple[int, int]]:
    """n random pairs, half of them with close exponents (cancellation, ties), plus the edge pairs."""
    lo, hi = -(2 ** (e - 1)), 2 ** (e - 1) - 1
    pairs = [(random_word(rnd, p, e), random_word(rnd, p, e)) for _ in range(n // 2)]
    for _ in range(n - n // 2):
        E = rnd.randint(lo, hi)
        pairs.append((random_word(rnd, p, e, E), random_word(rnd, p, e, E + rnd.randint(-p - 2, p + 2))))
    return pairs + edge_pairs(rnd, p, e) + [(0, w) for w in _random_words(rnd, p, e, 20)]


def _exp_agree(ours: MpfrOracle, theirs: Mpfr, words) -> list:
    """Cases where the brackets differ, or the product's nearest is not one of the tests' neighbours."""
    bad = []
    for w in words:
        lower, nearest, upper = ours.exp_bracket(w)
        allowed = theirs.exp_neighbours(w)
        if {lower, upper} != allowed or nearest not in allowed:
            bad.append((hex(w), (lower, nearest, upper), sorted(allowed)))
    return bad[:5]


# ---------------------------------------------------------------------------
# (4, 4): every valid word, every ordered pair


@pytest.fixture(scope="module")
def words44() -> list[int]:
    return valid_words(4, 4)


@pytest.mark.parametrize("op", BINARY)
def test_binary_agree_exhaustive_44(words44, op):
    ours, theirs = _oracles(4, 4)
    pairs = [(a, b) for a in words44 for b in words44]
    assert len(pairs) == 288**2
    assert not _disagreements(getattr(ours, op), getattr(theirs, op), pairs)


def test_sqrt_and_exp_agree_exhaustive_44(words44):
    ours, theirs = _oracles(4, 4)
    assert not _disagreements(ours.sqrt, theirs.sqrt, [(w,) for w in words44])
    assert not _exp_agree(ours, theirs, words44)


def test_prod_agrees_exhaustive_pairs_44(words44):
    """prod (d_times): the exact product of the significands, rounded once (signed rounding, as the sum rule)."""
    ours, theirs = _oracles(4, 4)
    rows = [[a, b] for a in words44 for b in words44]
    assert not _disagreements(lambda *r: ours.prod(r), lambda *r: exact_prod(theirs, r), rows)


# ---------------------------------------------------------------------------
# (8, 5) and (11, 6): random words and pairs


@pytest.mark.parametrize("p, e", RANDOM_FORMATS)
@pytest.mark.parametrize("op", BINARY)
def test_binary_agree_random(rnd, p, e, op):
    ours, theirs = _oracles(p, e)
    assert not _disagreements(getattr(ours, op), getattr(theirs, op), _random_pairs(rnd, p, e, 4000))


@pytest.mark.parametrize("p, e", RANDOM_FORMATS)
def test_sqrt_and_exp_agree_random(rnd, p, e):
    ours, theirs = _oracles(p, e)
    lo, hi = -(2 ** (e - 1)), 2 ** (e - 1) - 1
    words = _random_words(rnd, p, e, 3000)
    # exp: |x| concentrated where exp(x) is in range (|x| < 2^(e-1) ln 2), not only saturated / flushed
    words += [random_word(rnd, p, e, rnd.randint(max(lo, -2 * p), min(hi, e - p))) for _ in range(3000)]
    assert not _disagreements(ours.sqrt, theirs.sqrt, [(w,) for w in words])
    assert not _exp_agree(ours, theirs, words)


@pytest.mark.parametrize("p, e", RANDOM_FORMATS)
def test_prod_agrees_random(rnd, p, e):
    ours, theirs = _oracles(p, e)
    rows = [[random_word(rnd, p, e, rnd.randint(-(2 ** (e - 3)), 2 ** (e - 3))) for _ in range(rnd.randint(1, 5))]
            for _ in range(2000)]
    assert not _disagreements(lambda *r: ours.prod(r), lambda *r: exact_prod(theirs, r), rows)


# ---------------------------------------------------------------------------
# the sum rule


@pytest.mark.parametrize("p, e, m", [(8, 9, 1), (8, 9, 3), (8, 9, 16), (16, 8, 7), (4, 4, 64)])
def test_checking_sum_rule_matches_the_fraction_rule(rnd, p, e, m):
    """check's integer-shift sum rule against the Fraction one of float_oracles."""
    ours, theirs = MpfrOracle(Words(p, e)), Mpfr(p, e)
    rows = sum_rows(rnd, p, e, m, 200) + [[0] * m]
    assert [ours.sum_rule(r) for r in rows] == [sum_rule(theirs, r) for r in rows]
