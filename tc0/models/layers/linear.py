"""Linear layers (DESIGN section 4): x W + b, MLP (Def. B.6) and FFN (Def. B.7)."""

from __future__ import annotations

from tc0.models.backend import Backend, scoped


def linear(B: Backend, x, w, bias=None):
    """x W (+ b): a matrix product, then one rounded add of the bias."""
    y = B.matmul(x, w)
    return y if bias is None else B.add(y, bias)


@scoped("mlp")
def mlp(B: Backend, x, w, bias):
    """MLP(X, c, d) = X W + b (Def. B.6) on a token sequence (N, c)."""
    return linear(B, x, w, bias)


@scoped("ffn")
def ffn(B: Backend, x, w1, b1, w2, b2):
    """FFN(X) = X + (ReLU(X W1 + b1) W2 + b2) (Def. B.7)."""
    hidden = B.relu(linear(B, x, w1, b1))
    return B.add(x, linear(B, hidden, w2, b2))
