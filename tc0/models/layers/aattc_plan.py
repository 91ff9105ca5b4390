"""AAttC: the polynomial-method approximation of attention (Alman & Song
2023) that the fast model variants use (Defs. 5.1, 5.3, 5.4;
DESIGN section 4, last item).

exp on the score range [-B, B] is replaced by a degree-g polynomial
P(s) = sum_d a_d s^d, fitted by Chebyshev interpolation and re-expanded in
monomials. Since <q, k>^d = sum_{|alpha| = d} multinomial(d; alpha) q^alpha
k^alpha, P(<q, k>) = <phi(q), psi(k)> with phi(q)_alpha = a_|alpha|
multinomial(alpha) q^alpha and psi(k)_alpha = k^alpha over the
r = C(c + g, g) multi-indices of degree <= g. With U = phi(Q), V = psi(K):

    AAttC(X) = diag(U (V^T 1))^-1  U (V^T V_val),

never forming the N x N matrix: O(N r c) work instead of O(N^2 c).

Error: if |P(s) - e^s| <= eps e^s on [-B, B], every output entry is within
2 eps / (1 - eps) max|V_val| of exact attention. ``plan`` picks the smallest g
whose measured relative error eps meets 2 eps / (1 - eps) <= delta, so the
output error is at most delta * max|V_val| while all scores lie in [-B, B].
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from tc0.errors import FastAttentionError

#: largest polynomial degree and rank (number of monomials) a plan may use
MAX_DEGREE = 24
MAX_RANK = 20_000
#: points of the grid on which the fit's relative error is measured
_GRID = 4001


@dataclass(frozen=True)
class PolyPlan:
    """The degree-g fit of exp on [-score_bound, score_bound] and its monomials."""

    degree: int
    score_bound: float
    delta: float
    rel_error: float  # measured max |P - exp| / exp on the range
    coefficients: tuple[float, ...]  # a_0 .. a_g, monomial basis

    def rank(self, c: int) -> int:
        """Number of monomials of degree <= g in c variables: C(c + g, g)."""
        return math.comb(c + self.degree, self.degree)


def fit_exp(degree: int, score_bound: float) -> tuple[np.ndarray, float]:
    """Monomial coefficients of the degree-g Chebyshev interpolant of exp on
    [-B, B], and its measured max relative error there."""
    lo, hi = -score_bound, score_bound
    if score_bound == 0:
        lo, hi = -1e-9, 1e-9
    cheb = np.polynomial.Chebyshev.interpolate(np.exp, degree, domain=[lo, hi])
    coefs = cheb.convert(kind=np.polynomial.Polynomial, domain=[lo, hi], window=[lo, hi]).coef
    coefs = np.pad(coefs, (0, degree + 1 - len(coefs)))
    grid = np.linspace(lo, hi, _GRID)
    rel = np.max(np.abs(np.polynomial.polynomial.polyval(grid, coefs) - np.exp(grid)) / np.exp(grid))
    return coefs, float(rel)


def plan(score_bound: float, delta: float, c: int, degree: int | None = None) -> PolyPlan:
    """The smallest degree meeting ``delta`` on [-score_bound, score_bound]
    (or the given ``degree``), refusing degrees above MAX_DEGREE and ranks
    C(c + g, g) above MAX_RANK."""
    if not (isinstance(delta, (int, float)) and math.isfinite(delta) and delta > 0):
        raise FastAttentionError(f"delta must be a positive number, got {delta}", parameters=("delta",))
    if not (math.isfinite(score_bound) and score_bound >= 0):
        raise FastAttentionError(f"score bound must be finite and >= 0, got {score_bound}; lower r_bound (or the "
                                 "weights)", parameters=("r_bound",))
    if degree is not None:
        if not 0 <= degree <= MAX_DEGREE:
            raise FastAttentionError(f"degree must be in 0..{MAX_DEGREE}, got {degree}", parameters=("degree",))
        candidates = [degree]
    else:
        candidates = range(0, MAX_DEGREE + 1)
    eps_needed = delta / (2 + delta)  # 2 eps / (1 - eps) <= delta
    for g in candidates:
        coefs, rel = fit_exp(g, score_bound)
        if rel <= eps_needed or degree is not None:
            result = PolyPlan(g, float(score_bound), float(delta), rel, tuple(float(a) for a in coefs))
            if result.rank(c) > MAX_RANK:
                raise FastAttentionError(
                    f"AAttC needs degree {g} and rank C({c}+{g}, {g}) = {result.rank(c):,} > limit {MAX_RANK:,} "
                    f"for delta {delta} on scores in [-{score_bound:.3g}, {score_bound:.3g}]; "
                    "raise delta or bound the entries more tightly (r_bound)", parameters=("delta", "r_bound"),
                )
            if rel >= 1:
                raise FastAttentionError(
                    f"degree {g} fits exp on [-{score_bound:.3g}, {score_bound:.3g}] with relative error {rel:.3g} >= 1: "
                    "the normalisers could be non-positive; raise degree", parameters=("degree",),
                )
            return result
    raise FastAttentionError(
        f"no degree <= {MAX_DEGREE} approximates exp within relative error {eps_needed:.3g} on "
        f"[-{score_bound:.3g}, {score_bound:.3g}] (delta {delta}); raise delta or lower r_bound",
        parameters=("delta", "r_bound"),
    )


def multi_indices(c: int, degree: int) -> list[tuple[int, ...]]:
    """Exponent vectors alpha of c variables with |alpha| <= degree, by degree, then lexicographic (descending)."""
    out = []
    for d in range(degree + 1):
        for combo in itertools.combinations_with_replacement(range(c), d):
            alpha = [0] * c
            for i in combo:
                alpha[i] += 1
            out.append(tuple(alpha))
    return out


def multinomial(alpha: tuple[int, ...]) -> int:
    """|alpha|! / prod(alpha_i!)."""
    out = math.factorial(sum(alpha))
    for a in alpha:
        out //= math.factorial(a)
    return out


def score_bound(x_bound: float, w_q: np.ndarray, w_k: np.ndarray) -> float:
    """max |<q_i, k_j>| when every entry of X is at most ``x_bound`` in
    magnitude: |q_l| <= x_bound sum_m |W_Q[m, l]|, the same for k."""
    a = np.abs(np.asarray(w_q, dtype=np.float64)).sum(axis=0)
    b = np.abs(np.asarray(w_k, dtype=np.float64)).sum(axis=0)
    return float(x_bound * x_bound * np.dot(a, b))
