"""Layer norm (Def. B.8): per token (x - mu) / sqrt(sigma^2), no epsilon."""

from __future__ import annotations

from tc0.models.backend import Backend, scoped


@scoped("layernorm")
def layernorm(B: Backend, x):
    """LN(x) per token: (x - mu) / sqrt(sigma^2), mu and sigma^2 means over the
    channels, no epsilon (Def. B.8). Over c < 3 channels it does not depend
    on the values of x (c = 1: 0; c = 2: +-(1, -1) or 0), which it records
    as a warning on ``B``."""
    c = B.shape(x)[-1]
    if c < 3:
        B.warn(f"layer norm over c = {c} channel(s) does not depend on the values of its input "
               f"(it is {'0' if c == 1 else '+-(1, -1) or 0'}); use c >= 3", where=False)
    mu = B.expand(B.mean(x, axis=-1), -1)
    centred = B.sub(x, mu)
    var = B.expand(B.mean(B.mul(centred, centred), axis=-1), -1)
    return B.div(centred, B.sqrt(var))
