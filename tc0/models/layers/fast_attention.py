"""AAttC, the fast low-rank attention (Defs. 5.1, 5.3): monomial features of
queries and keys, and the attention built from them without the N x N matrix.
The polynomial it uses is planned in ``aattc_plan``."""

from __future__ import annotations

import functools

import numpy as np

from tc0.models.backend import Backend, scoped
from tc0.models.layers import aattc_plan
from tc0.models.layers.attention import last_rows_of


def monomials(B: Backend, x, alphas: list[tuple[int, ...]]):
    """(N, r) monomials x^alpha of the rows of x (N, c), one per multi-index
    (``aattc_plan.multi_indices`` order, degree 0 first). A degree-d monomial is the
    degree-(d-1) one without its first variable, times that variable, so
    degree g takes g rounded products in sequence."""
    n = B.shape(x)[0]
    position = {alpha: i for i, alpha in enumerate(alphas)}
    columns = B.constant(np.ones((n, 1)))
    for d in range(1, max(sum(a) for a in alphas) + 1):
        level = [a for a in alphas if sum(a) == d]
        first = [next(i for i, v in enumerate(a) if v) for a in level]
        parents = [position[tuple(v - (j == i) for j, v in enumerate(a))] for a, i in zip(level, first)]
        new = B.mul(B.take_last(columns, np.array(parents)), B.take_last(x, np.array(first)))
        columns = B.concat([columns, new], axis=-1)
    return columns


@scoped("fast_attention")
def fast_attention(B: Backend, x, w_q, w_k, w_v, poly: aattc_plan.PolyPlan, last_rows: int | None = None):
    """AAttC(X) = diag(U (V^T 1))^-1 U (V^T V_val) (Defs. 5.1, 5.3) with
    U = phi(X W_Q), V = psi(X W_K), V_val = X W_V (see ``tc0.models.layers.aattc_plan``);
    the N x N matrix is never formed. ``last_rows`` as in ``attention``."""
    q, k, v = B.matmul(last_rows_of(x, last_rows), w_q), B.matmul(x, w_k), B.matmul(x, w_v)
    alphas = aattc_plan.multi_indices(B.shape(x)[-1], poly.degree)
    coef = np.array([poly.coefficients[sum(a)] * aattc_plan.multinomial(a) for a in alphas])
    u = B.mul(monomials(B, q, alphas), B.constant(coef))
    key_features = B.swap_last(monomials(B, k, alphas))  # (r, N)
    normaliser = B.matmul(u, B.expand(B.sum(key_features, axis=-1), -1))  # U (V^T 1), (N, 1)
    B.require_positive(normaliser, "the AAttC normaliser U (V^T 1)")
    return B.div(B.matmul(u, B.matmul(key_features, v)), normaliser)


def planned_attention(poly: aattc_plan.PolyPlan):
    """``fast_attention`` with the plan ``poly``, as the ``attend`` a composite model takes."""
    return functools.partial(fast_attention, poly=poly)
