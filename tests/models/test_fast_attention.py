"""Fast attention (AAttC, tc0/models/layers/fast_attention.py) and the fast
modules.

Oracles: exact softmax attention written here in numpy; the polynomial
identity P(<q, k>) = <phi(q), psi(k)> checked against numpy.polyval.
Circuits must equal the p-bit reference bit for bit (fast-attention,
fast-flow-matching, fast-flowar), and the counted size grows like n^2 where
exact attention's grows like n^4. The polynomial plan (aattc_plan.py) is
checked in tests/models/test_aattc_plan.py, the fast modules' command line in
tests/cli/test_cli_modules.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tc0.models import registry
from tc0.models.backends import Float64Backend
from tc0.models.estimate import estimate
from tc0.models.flowar.config import FlowARConfig
from tc0.models.layers import aattc_plan
from tc0.models.layers.fast_attention import monomials
from tc0.models.module import random_inputs, random_weights
from tc0.models.run import run as run_module
from tc0.numerics import FloatFormat
from tc0.verify.module_check import check_module


def softmax_attention(x, w_q, w_k, w_v):
    """Exact attention, no scaling (DESIGN 4), on tokens (N, c)."""
    s = (x @ w_q) @ (x @ w_k).T
    a = np.exp(s - s.max(axis=1, keepdims=True))
    return (a / a.sum(axis=1, keepdims=True)) @ (x @ w_v)


@pytest.mark.parametrize("c,degree", [(1, 3), (2, 4), (3, 2), (4, 3)])
def test_features_reproduce_the_polynomial(c, degree):
    """<phi(q), psi(k)> = P(<q, k>) with phi, psi from ``monomials``."""
    rng = np.random.default_rng(c * 10 + degree)
    coefs = rng.uniform(0.5, 1.5, degree + 1)
    alphas = aattc_plan.multi_indices(c, degree)
    assert len(alphas) == math.comb(c + degree, degree)
    q, k = rng.uniform(-1, 1, (5, c)), rng.uniform(-1, 1, (7, c))
    B = Float64Backend()
    weight = np.array([coefs[sum(a)] * aattc_plan.multinomial(a) for a in alphas])
    got = (monomials(B, q, alphas) * weight) @ monomials(B, k, alphas).T
    np.testing.assert_allclose(got, np.polynomial.polynomial.polyval(q @ k.T, coefs), rtol=1e-12)


@pytest.mark.parametrize("n,c,r_bound", [(2, 1, 1.0), (4, 2, 1.0), (8, 2, 0.5), (8, 4, 0.5), (16, 3, 0.4)])
@pytest.mark.parametrize("delta", [0.05, 1e-3])
def test_float64_fast_attention_within_delta(n, c, r_bound, delta):
    spec = registry.get_module("fast-attention")
    cfg = FlowARConfig(n=n, c=c, delta=delta, r_bound=r_bound)
    for seed in range(3):
        w = random_weights(spec, cfg, seed=seed)
        x = random_inputs(spec, cfg, seed=100 + seed)
        assert np.abs(x["X"]).max() <= r_bound
        got = run_module(spec, cfg, Float64Backend(), x, w).reshape(-1, c)
        tokens = x["X"].reshape(-1, c)
        exact = softmax_attention(tokens, w["W_Q"], w["W_K"], w["W_V"])
        v_max = np.abs(tokens @ w["W_V"]).max()
        assert np.abs(got - exact).max() <= delta * v_max, (seed, np.abs(got - exact).max(), delta * v_max)


@pytest.mark.parametrize(
    "module,n,c,K",
    [("fast-attention", 1, 1, 1), ("fast-attention", 2, 2, 1), ("fast-attention", 1, 3, 1),
     ("fast-flow-matching", 1, 2, 1)],
)
def test_fast_circuits_bit_exact(module, n, c, K):
    spec = registry.get_module(module)
    cfg = FlowARConfig(n=n, c=c, scales=K, delta=0.05)
    weights = random_weights(spec, cfg, seed=7)
    result = check_module(spec, cfg, FloatFormat(8), weights, samples=2)
    assert result["bit_exact"] and result["mismatches"] == 0, result
    assert result["degree"] >= 1 and result["rank"] == math.comb(c + result["degree"], result["degree"])


@pytest.mark.slow
@pytest.mark.parametrize("module,n,c,K", [("fast-attention", 4, 2, 1), ("fast-flowar", 4, 1, 2)])
def test_fast_circuits_bit_exact_large(module, n, c, K):
    test_fast_circuits_bit_exact(module, n, c, K)


def _fitted_exponent(module, ns, c=2):
    spec = registry.get_module(module)
    sizes = []
    for n in ns:
        cfg = FlowARConfig(n=n, c=c, delta=0.05, degree=2)
        sizes.append(estimate(spec, cfg, FloatFormat(8), random_weights(spec, cfg)).gates)
    return np.polyfit(np.log(ns), np.log(sizes), 1)[0]


def test_fast_attention_size_grows_like_n2_exact_like_n4():
    """Counted operations (no gates built) at a fixed degree: n^2 against n^4."""
    ns = [8, 16, 32]
    fast_exp, exact_exp = _fitted_exponent("fast-attention", ns), _fitted_exponent("attention", ns)
    assert 1.9 < fast_exp < 2.3, fast_exp
    assert 3.7 < exact_exp < 4.3, exact_exp
