"""Direct tests of the backend registry ``tc0.models.backends``: the names in
``BACKENDS``, the value backends, and ``value_backend``'s choice of backend
and refusals.

Oracle for the p-bit backend: DESIGN section 3 written here over exact
fractions (round to nearest, ties to even significand, saturation and
flush; the truncated sum rule), applied to a matrix product (Lemma 4.1's
"each product mul-rounded, then the sum") and to X W + b. The float64
backend is checked against numpy's matmul."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from tc0.errors import ModelError
from tc0.models.backend import Backend
from tc0.models.backends import BACKENDS, VALUE_BACKENDS, value_backend
from tc0.models.flowar.config import FlowARConfig
from tc0.models.registry import get_module
from tc0.models.run import run
from tc0.numerics import FloatFormat

# ---------------------------------------------------------------- the registry


def test_backends_registered_by_name():
    assert set(BACKENDS) == {"float64", "pbit", "circuit", "cost", "stream"}
    for name, cls in BACKENDS.items():
        assert issubclass(cls, Backend)
        assert cls.name == name
        assert cls.summary


def test_value_backends_are_those_that_compute_values():
    assert set(VALUE_BACKENDS) == {"float64", "pbit"}
    assert list(VALUE_BACKENDS) == [n for n in BACKENDS if n in VALUE_BACKENDS]  # registry order
    for name, cls in BACKENDS.items():
        assert cls.computes_values == (name in VALUE_BACKENDS)


def test_value_backend_builds_the_named_backend():
    fmt = FloatFormat(6)
    f64 = value_backend("float64")
    assert isinstance(f64, BACKENDS["float64"])
    pbit = value_backend("pbit", fmt)
    assert isinstance(pbit, BACKENDS["pbit"]) and pbit.fmt == fmt


def test_float64_refuses_a_format():
    with pytest.raises(ModelError) as info:
        value_backend("float64", FloatFormat(8))
    assert {"p", "e"} <= set(info.value.parameters)
    assert "pbit" in str(info.value)


def test_pbit_requires_a_format():
    with pytest.raises(ModelError) as info:
        value_backend("pbit")
    assert info.value.parameters == ("backend",)
    assert "pbit" in str(info.value)


@pytest.mark.parametrize("name", ["circuit", "cost", "nope", "", "Float64"])
def test_unknown_or_non_value_backends_refused(name):
    with pytest.raises(ModelError) as info:
        value_backend(name)
    assert info.value.parameters == ("backend",)
    message = str(info.value)
    assert repr(name) in message and "float64" in message and "pbit" in message
    with pytest.raises(ModelError):
        value_backend(name, FloatFormat(8))


# ---------------------------------------------------------------- DESIGN section 3 over fractions


def floor_log2(a: Fraction) -> int:
    k = a.numerator.bit_length() - a.denominator.bit_length()
    while Fraction(2) ** k > a:
        k -= 1
    while Fraction(2) ** (k + 1) <= a:
        k += 1
    return k


def round_half_even(q: Fraction) -> int:
    fl = math.floor(q)
    r = q - fl
    return fl + 1 if r > Fraction(1, 2) else fl if r < Fraction(1, 2) else fl + (fl & 1)


def p_round(p: int, e: int, x: Fraction) -> Fraction:
    """round(x) of DESIGN section 3 for the format (p, e)."""
    if x == 0:
        return Fraction(0)
    sign = -1 if x < 0 else 1
    a = abs(x)
    E = floor_log2(a) - (p - 1)  # a / 2^E in [2^(p-1), 2^p)
    m = round_half_even(a / Fraction(2) ** E)
    if m == 1 << p:
        m, E = 1 << (p - 1), E + 1
    emin, emax = -(1 << (e - 1)), (1 << (e - 1)) - 1
    if E > emax:
        m, E = (1 << p) - 1, emax  # saturate to +-max
    elif E < emin:
        return Fraction(0)  # below the smallest normal
    return sign * m * Fraction(2) ** E


def p_sum(p: int, e: int, terms: list[Fraction]) -> Fraction:
    """DESIGN's baseline sum: truncate each term to a multiple of 2^(T - W), add exactly, round."""
    nonzero = [t for t in terms if t != 0]
    if not nonzero:
        return Fraction(0)
    T = max(floor_log2(abs(t)) + 1 for t in nonzero)  # E_i + p
    W = p + math.ceil(math.log2(len(terms))) + 3
    unit = Fraction(2) ** (T - W)
    total = sum((1 if t > 0 else -1) * math.floor(abs(t) / unit) * unit for t in nonzero)
    return p_round(p, e, total)


def p_matmul(p, e, x, w):
    """x (N, k) @ w (k, M): each product rounded, then the truncated sum of k terms."""
    n, k = len(x), len(w)
    return [[p_sum(p, e, [p_round(p, e, x[i][j] * w[j][col]) for j in range(k)]) for col in range(len(w[0]))]
            for i in range(n)]


def as_fractions(arr, p, e):
    """float64 values rounded to the format, as nested lists of Fractions."""
    return np.vectorize(lambda v: p_round(p, e, Fraction(float(v))), otypes=[object])(np.asarray(arr)).tolist()


FORMATS = [(8, 9), (4, 5), (5, 6), (4, 4), (11, 6)]


@pytest.mark.parametrize("p, e", FORMATS)
@pytest.mark.parametrize("n, c, scale", [(2, 4, 1.0), (2, 3, 1.0), (1, 5, 1.0), (2, 3, 40.0)])
def test_pbit_matmul_is_design_section_3(p, e, n, c, scale):
    """``scale`` 40 pushes products past the largest value of the small
    formats (saturation); p = 4 with e = 4 flushes small products to 0."""
    spec = get_module("matmul")
    cfg = FlowARConfig(n=n, c=c)
    rng = np.random.default_rng(p * 1000 + e * 100 + n * 10 + c)
    inputs = {"X": rng.uniform(-scale, scale, size=(n, n, c))}
    weights = {"W": rng.uniform(-scale, scale, size=(c, c))}
    B = value_backend("pbit", FloatFormat(p, e))
    got = B.values(run(spec, cfg, B, inputs, weights))
    assert got.shape == (n, n, c)
    x = as_fractions(inputs["X"].reshape(n * n, c), p, e)
    w = as_fractions(weights["W"], p, e)
    want = np.array([[float(v) for v in row] for row in p_matmul(p, e, x, w)]).reshape(n, n, c)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("p, e", FORMATS[:3])
def test_pbit_mlp_adds_the_bias_with_one_rounding(p, e):
    spec = get_module("mlp")
    n, c = 2, 3
    cfg = FlowARConfig(n=n, c=c)
    rng = np.random.default_rng(p)
    inputs = {"X": rng.uniform(-1, 1, size=(n, n, c))}
    weights = {"W": rng.uniform(-1, 1, size=(c, c)), "b": rng.uniform(-1, 1, size=c)}
    B = value_backend("pbit", FloatFormat(p, e))
    got = B.values(run(spec, cfg, B, inputs, weights))
    x = as_fractions(inputs["X"].reshape(n * n, c), p, e)
    y = p_matmul(p, e, x, as_fractions(weights["W"], p, e))
    bias = as_fractions(weights["b"], p, e)
    want = np.array([[float(p_round(p, e, v + bias[j])) for j, v in enumerate(row)] for row in y])
    np.testing.assert_array_equal(got, want.reshape(n, n, c))


def test_pbit_sum_rule_differs_from_exact_rounding_somewhere():
    """The oracle above is the truncated sum, not the correctly rounded one:
    a case where they differ, and the backend follows the truncation."""
    p, e = 4, 5
    fmt = FloatFormat(p, e)
    # 8 terms: T = 4, W = 4 + 3 + 3, unit 2^-6 > 15/1024, so the six small terms
    # vanish and 14.5 ties to even (14); the exact 14.588 rounds to 15
    terms = [Fraction(14), Fraction(1, 2)] + [Fraction(15, 1024)] * 6
    assert p_sum(p, e, terms) == 14 and p_round(p, e, sum(terms)) == 15
    B = value_backend("pbit", fmt)
    words = B.constant(np.array([float(t) for t in terms]))
    assert float(B.values(B.sum(words, axis=0))) == float(p_sum(p, e, terms))


def test_float64_matmul_is_numpy():
    spec = get_module("matmul")
    n, c = 2, 3
    cfg = FlowARConfig(n=n, c=c)
    rng = np.random.default_rng(3)
    inputs = {"X": rng.normal(size=(n, n, c))}
    weights = {"W": rng.normal(size=(c, c))}
    B = value_backend("float64")
    got = B.values(run(spec, cfg, B, inputs, weights))
    want = (inputs["X"].reshape(n * n, c) @ weights["W"]).reshape(n, n, c)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
