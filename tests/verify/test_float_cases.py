"""The inputs of a float gadget check (tc0.verify.float_cases): the edge
cases cover the specials (zeros in every spelling, +-max, +-smallest normal,
+-1, x and -x), and the random cases are mostly neither saturated nor
flushed, so they exercise the in-range results, not just the extremes."""

from __future__ import annotations

import numpy as np
from float_case_reference import reference
from float_oracles import pack

from tc0.numerics import FloatFormat
from tc0.verify.float_cases import float_cases


def test_random_cases_are_not_all_saturated_or_flushed():
    """The random inputs exercise the in-range results, not just the extremes."""
    p, e = 8, 9
    fmt = FloatFormat(p, e)
    for op, m in (("add", None), ("mul", None), ("div", None), ("exp", None), ("sum", 16), ("prod", 3), ("dot", 4)):
        cases, n_edge = float_cases(op, p, e, m, samples=4000, seed=1)
        out = reference(fmt, op, cases[n_edge:])
        _, mant, _ = fmt.fields(out)
        special = (mant == 0) | ((out & np.uint64((1 << (p + e)) - 1)) == fmt.max_word)
        assert special.mean() < 0.5, (op, special.mean())


def test_edge_cases_cover_the_specials():
    p, e = 8, 9
    fmt = FloatFormat(p, e)
    cases, n_edge = float_cases("add", p, e, samples=0)
    edge = set(cases[:n_edge].ravel().tolist())
    neg = 1 << (p + e)
    one = pack(p, e, 0, 128, -7)
    for w in (0, neg, fmt.max_word, fmt.max_word | neg, fmt.min_normal_word, fmt.min_normal_word | neg, one, one | neg):
        assert w in edge, hex(w)
    assert any(w & ((1 << p) - 1) == 0 and w != 0 for w in edge)  # a zero with sign/exponent bits set
    pairs = {tuple(c) for c in cases[:n_edge].tolist()}
    assert (fmt.max_word, fmt.max_word) in pairs and (fmt.min_normal_word, fmt.min_normal_word) in pairs
    assert any(a == b ^ neg and a & 0xFF for a, b in pairs)  # x and -x
    results = reference(fmt, "add", cases[:n_edge])
    assert (results == 0).any() and (results == fmt.max_word).any()
