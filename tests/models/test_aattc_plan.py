"""The polynomial plan of fast attention (tc0.models.layers.aattc_plan): the
fitted exp polynomial meets delta, with the smallest degree that does (its
error measured on a grid of its own), and the score bound is a guarantee."""

from __future__ import annotations

import numpy as np
import pytest

from tc0.models.layers import aattc_plan


@pytest.mark.parametrize("bound", [0.05, 0.5, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("delta", [0.1, 1e-2, 1e-4])
def test_fit_meets_delta(bound, delta):
    plan = aattc_plan.plan(bound, delta, c=2)
    grid = np.linspace(-bound, bound, 10_007)
    rel = np.abs(np.polynomial.polynomial.polyval(grid, plan.coefficients) - np.exp(grid)) / np.exp(grid)
    eps = rel.max()
    assert 2 * eps / (1 - eps) <= delta * 1.001, (plan.degree, eps)
    if plan.degree > 0:  # the smallest such degree
        _, smaller = aattc_plan.fit_exp(plan.degree - 1, bound)
        assert 2 * smaller / (1 - smaller) > delta


def test_score_bound_is_a_guarantee():
    rng = np.random.default_rng(3)
    w_q, w_k = rng.uniform(-1, 1, (3, 3)), rng.uniform(-1, 1, (3, 3))
    bound = aattc_plan.score_bound(0.7, w_q, w_k)
    x = rng.choice([-0.7, 0.7], size=(4000, 3))  # corners reach the extremes
    scores = (x @ w_q) @ (x @ w_k).T
    assert np.abs(scores).max() <= bound + 1e-12
