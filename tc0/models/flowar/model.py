"""The FlowAR model of DESIGN section 4, written once against the ``Backend``
interface from the shared layers: the flow-matching layer (Def. B.12), the
autoregressive transformer (Def. B.9) and multi-scale inference (Def. B.13).
docs/modules.md states each definition and where it resolves the paper's
text.

Tensors are h x w x c images (h = w = n) or flat (tokens x c) sequences.
Every function takes the backend ``B``, the input and weight tensors, and
plain configuration values.
"""

from __future__ import annotations

from dataclasses import dataclass

from tc0.models.backend import Backend, scoped
from tc0.models.layers.attention import attention
from tc0.models.layers.layernorm import layernorm
from tc0.models.layers.linear import ffn, mlp
from tc0.models.layers.resampling import upsample
from tc0.models.module import weights_under


@scoped("interpolate")
def interpolate(B: Backend, y_hat, noise, t: float):
    """F^t = t Y_hat + (1 - t) F^0 (Def. B.10)."""
    return B.add(B.mul(B.constant(t), y_hat), B.mul(B.constant(1.0 - t), noise))


@scoped("flow_matching")
def flow_matching(B: Backend, y_hat, f_t, t: float, weights: dict, attend=attention):
    """NN(Y_hat, F, t) (Def. B.12) on token sequences (N, c):
    [a1, a2, b1, b2, g1, g2] = chunks of MLP(Y_hat + t, c, 6c);
    F' = Attn(g1 * LN(F) + b1) * a1; out = MLP(g2 * LN(F') + b2, c, c) * a2."""
    c = B.shape(y_hat)[-1]
    cond = mlp(B, B.add(y_hat, B.constant(t)), weights["mlp_in.W"], weights["mlp_in.b"])
    a1, a2, b1, b2, g1, g2 = (B.slice_last(cond, k * c, (k + 1) * c) for k in range(6))
    modulated = B.add(B.mul(g1, layernorm(B, f_t)), b1)
    f_prime = B.mul(attend(B, modulated, weights["attn.W_Q"], weights["attn.W_K"], weights["attn.W_V"]), a1)
    inner = B.add(B.mul(g2, layernorm(B, f_prime)), b2)
    return B.mul(mlp(B, inner, weights["mlp_out.W"], weights["mlp_out.b"]), a2)


@scoped("transformer")
def transformer(B: Backend, z, weights: dict, attend=attention, last_rows: int | None = None):
    """TF(Z) = FFN(Attn(Z)) on the flat sequence (Def. B.9); with ``last_rows``,
    only the last that many tokens of it (FFN works token by token)."""
    a = attend(B, z, weights["attn.W_Q"], weights["attn.W_K"], weights["attn.W_V"], last_rows=last_rows)
    return ffn(B, a, weights["ffn.W1"], weights["ffn.b1"], weights["ffn.W2"], weights["ffn.b2"])


@dataclass(frozen=True)
class Scales:
    """The multi-scale geometry of FlowAR: K scales, factor a, final side n."""

    n: int
    K: int
    a: int

    def side(self, i: int) -> int:
        """Side of scale i (1-based): n / a^(K - i)."""
        return self.n // self.a ** (self.K - i)


def flowar(B: Backend, z_init, noises: list, times: list[float], weights: dict, scales: Scales, attend=attention):
    """FlowAR inference (Def. B.13, index typos fixed): Y_hat_1 = TF_1(Z_init),
    Y~_i = NN_i(Y_hat_i, F^t_i, t_i); for i >= 2 the transformer reads
    Concat(Z_init, up(Y~_1), ..., up(Y~_(i-1))) and Y_hat_i is its last
    (n/r_i)^2 tokens. Returns Y~_K (n x n x c). ``attend`` is the attention
    used throughout (``fast_attention`` for the fast variant, Def. 5.4)."""
    c = B.shape(z_init)[-1]
    pieces = [B.reshape(z_init, (-1, c))]
    refined = None
    for i in range(1, scales.K + 1):
        with B.scope(f"scale{i}"):
            refined = _flowar_scale(B, i, pieces, refined, noises[i - 1], times[i - 1], weights, scales, attend)
    return refined


def _flowar_scale(B: Backend, i: int, pieces: list, refined, noise, t: float, weights: dict, scales: Scales,
                  attend):
    """Scale i of ``flowar``: appends up(Y~_(i-1)) to ``pieces`` (the token
    sequence so far) and returns Y~_i."""
    c = B.shape(pieces[0])[-1]
    side = scales.side(i)
    if i > 1:
        pieces.append(B.reshape(upsample(B, refined, scales.a), (-1, c)))
    # Y_hat_i is the transformer's last side^2 tokens: no other token is computed
    y_hat = transformer(B, B.concat(pieces, axis=0), weights_under(weights, f"scale{i}.tf."), attend,
                        last_rows=side * side)
    f_t = interpolate(B, y_hat, B.reshape(noise, (side * side, c)), t)
    refined = flow_matching(B, y_hat, f_t, t, weights_under(weights, f"scale{i}.fm."), attend)
    return B.reshape(refined, (side, side, c))
