"""Layer norm (Def. B.8): per token (x - mu) / sqrt(sigma^2), no epsilon."""

from __future__ import annotations

from tc0.models.backend import Backend, scoped


@scoped("layernorm")
def layernorm(B: Backend, x):
    """LN(x) per token: (x - mu) / sqrt(sigma^2), mu and sigma^2 means over the
    channels, no epsilon (Def. B.8)."""
    mu = B.expand(B.mean(x, axis=-1), -1)
    centred = B.sub(x, mu)
    var = B.expand(B.mean(B.mul(centred, centred), axis=-1), -1)
    return B.div(centred, B.sqrt(var))
