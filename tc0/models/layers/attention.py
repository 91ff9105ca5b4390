"""Attention (Def. B.5): D^-1 exp(Q K^T) V, single head, no scaling, no mask."""

from __future__ import annotations

from tc0.models.backend import Backend, scoped


@scoped("attention")
def attention(B: Backend, x, w_q, w_k, w_v, last_rows: int | None = None):
    """Attn(X) = D^-1 A V with A = exp(Q K^T), Q = X W_Q, K = X W_K, V = X W_V,
    D = diag(A 1) (Def. B.5): single head, no scaling, no mask. The row sums
    divide the product A V entrywise. With ``last_rows``, only the last that
    many rows of the result (each row needs only its own query)."""
    q, k, v = B.matmul(last_rows_of(x, last_rows), w_q), B.matmul(x, w_k), B.matmul(x, w_v)
    scores = B.exp(B.matmul(q, B.swap_last(k)))
    weighted = B.matmul(scores, v)
    row_sums = B.sum(scores, axis=-1)
    return B.div(weighted, B.expand(row_sums, -1))


def last_rows_of(x, rows: int | None):
    """The last ``rows`` rows of a token sequence (all of them for None)."""
    return x if rows is None else x[-rows:]
