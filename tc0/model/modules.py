"""The FlowAR modules of DESIGN section 4, each written once against the
``Backend`` interface (so float64, p-bit and circuit share one definition and
one order of operations). docs/modules.md states each definition and where it
resolves the paper's text.

Tensors are h x w x c images (h = w = n) or flat (tokens x c) sequences; a
module's image input is flattened row-major to tokens where the paper works on
sequences. Every function takes the backend ``B``, the input and weight
tensors, and plain configuration values.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from tc0.model import fast
from tc0.model.backends import Backend

KEYS_A = -0.75  # the bicubic (Keys) kernel parameter, as PyTorch


def _scoped(name: str):
    """Run a module function inside ``B.scope(name)`` (circuit gates record it)."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(B: Backend, *args, **kwargs):
            with B.scope(name):
                return fn(B, *args, **kwargs)

        return inner

    return wrap


# ------------------------------------------------------------------ basics
def linear(B: Backend, x, w, bias=None):
    """x W (+ b): a matrix product, then one rounded add of the bias."""
    y = B.matmul(x, w)
    return y if bias is None else B.add(y, bias)


@_scoped("mlp")
def mlp(B: Backend, x, w, bias):
    """MLP(X, c, d) = X W + b (Def. B.6) on a token sequence (N, c)."""
    return linear(B, x, w, bias)


@_scoped("ffn")
def ffn(B: Backend, x, w1, b1, w2, b2):
    """FFN(X) = X + (ReLU(X W1 + b1) W2 + b2) (Def. B.7)."""
    hidden = B.relu(linear(B, x, w1, b1))
    return B.add(x, linear(B, hidden, w2, b2))


@_scoped("attention")
def attention(B: Backend, x, w_q, w_k, w_v, last_rows: int | None = None):
    """Attn(X) = D^-1 A V with A = exp(Q K^T), Q = X W_Q, K = X W_K, V = X W_V,
    D = diag(A 1) (Def. B.5): single head, no scaling, no mask. The row sums
    divide the product A V entrywise. With ``last_rows``, only the last that
    many rows of the result (each row needs only its own query)."""
    q, k, v = B.matmul(_last(x, last_rows), w_q), B.matmul(x, w_k), B.matmul(x, w_v)
    scores = B.exp(B.matmul(q, B.swap_last(k)))
    weighted = B.matmul(scores, v)
    row_sums = B.sum(scores, axis=-1)
    return B.div(weighted, B.expand(row_sums, -1))


def _last(x, rows: int | None):
    """The last ``rows`` rows of a token sequence (all of them for None)."""
    return x if rows is None else x[-rows:]


def monomials(B: Backend, x, alphas: list[tuple[int, ...]]):
    """(N, r) monomials x^alpha of the rows of x (N, c), one per multi-index
    (``fast.multi_indices`` order, degree 0 first). A degree-d monomial is the
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


@_scoped("fast_attention")
def fast_attention(B: Backend, x, w_q, w_k, w_v, poly: fast.PolyPlan, last_rows: int | None = None):
    """AAttC(X) = diag(U (V^T 1))^-1 U (V^T V_val) (Defs. 5.1, 5.3) with
    U = phi(X W_Q), V = psi(X W_K), V_val = X W_V (see ``tc0.model.fast``);
    the N x N matrix is never formed. ``last_rows`` as in ``attention``."""
    q, k, v = B.matmul(_last(x, last_rows), w_q), B.matmul(x, w_k), B.matmul(x, w_v)
    alphas = fast.multi_indices(B.shape(x)[-1], poly.degree)
    coef = np.array([poly.coefficients[sum(a)] * fast.multinomial(a) for a in alphas])
    u = B.mul(monomials(B, q, alphas), B.constant(coef))
    key_features = B.swap_last(monomials(B, k, alphas))  # (r, N)
    normaliser = B.matmul(u, B.expand(B.sum(key_features, axis=-1), -1))  # U (V^T 1), (N, 1)
    B.require_positive(normaliser, "the AAttC normaliser U (V^T 1)")
    return B.div(B.matmul(u, B.matmul(key_features, v)), normaliser)


@_scoped("layernorm")
def layernorm(B: Backend, x):
    """LN(x) per token: (x - mu) / sqrt(sigma^2), mu and sigma^2 means over the
    channels, no epsilon (Def. B.8)."""
    mu = B.expand(B.mean(x, axis=-1), -1)
    centred = B.sub(x, mu)
    var = B.expand(B.mean(B.mul(centred, centred), axis=-1), -1)
    return B.div(centred, B.sqrt(var))


# ------------------------------------------------------------------ resampling
def keys_kernel(x: float, a: float = KEYS_A) -> float:
    """The cubic convolution kernel W(x) of Keys (1981), a = -0.75."""
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


def bicubic_taps(size: int, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output coordinate: the 4 clamped source indices and their weights,
    as PyTorch's bicubic with align_corners=False (half-pixel centres)."""
    out = size * factor
    idx = np.empty((out, 4), dtype=np.int64)
    wts = np.empty((out, 4))
    for i in range(out):
        src = (i + 0.5) / factor - 0.5
        base = math.floor(src)
        frac = src - base
        for s in range(4):
            idx[i, s] = min(max(base - 1 + s, 0), size - 1)
            wts[i, s] = keys_kernel(s - 1 - frac)
    return idx, wts


@_scoped("upsample")
def upsample(B: Backend, image, factor: int):
    """phi_up(X, r) (Def. B.1), bicubic: output pixel (i, j) is the sum of 16
    products of a constant weight W(s - f) W(t - g) (rounded once to p bits)
    with the clamped source pixel."""
    h, w, c = B.shape(image)
    rows, row_w = bicubic_taps(h, factor)
    cols, col_w = bicubic_taps(w, factor)
    taps = image[rows[:, None, :, None], cols[None, :, None, :]]  # (H, W, 4, 4, c) scalars
    weights = row_w[:, None, :, None] * col_w[None, :, None, :]  # (H, W, 4, 4)
    products = B.mul(taps, B.constant(weights[..., None]))
    flat = B.reshape(products, (h * factor, w * factor, 16, c))
    return B.sum(flat, axis=-2)


def area_matrix(size: int, factor: int) -> np.ndarray:
    """Phi_down: the (size/r)^2 x size^2 matrix of r x r area averages (row-major pixels)."""
    small = size // factor
    phi = np.zeros((small * small, size * size))
    for i in range(size):
        for j in range(size):
            phi[(i // factor) * small + j // factor, i * size + j] = 1.0 / (factor * factor)
    return phi


@_scoped("downsample")
def downsample(B: Backend, image, factor: int, matrix=None):
    """phi_down(X, r) = Phi_down X (Def. B.2): a matrix product with the area
    matrix (or ``matrix``) over the flattened pixels."""
    h, w, c = B.shape(image)
    phi = area_matrix(h, factor) if matrix is None else np.asarray(matrix, dtype=np.float64)
    out = B.matmul(B.constant(phi), B.reshape(image, (h * w, c)))
    return B.reshape(out, (h // factor, w // factor, c))


# ------------------------------------------------------------------ flow matching
@_scoped("interpolate")
def interpolate(B: Backend, y_hat, noise, t: float):
    """F^t = t Y_hat + (1 - t) F^0 (Def. B.10)."""
    return B.add(B.mul(B.constant(t), y_hat), B.mul(B.constant(1.0 - t), noise))


@_scoped("flow_matching")
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


@_scoped("transformer")
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
    y_hat = transformer(B, B.concat(pieces, axis=0), _weights_under(weights, f"scale{i}.tf."), attend,
                        last_rows=side * side)
    f_t = interpolate(B, y_hat, B.reshape(noise, (side * side, c)), t)
    refined = flow_matching(B, y_hat, f_t, t, _weights_under(weights, f"scale{i}.fm."), attend)
    return B.reshape(refined, (side, side, c))


def _weights_under(weights: dict, prefix: str) -> dict:
    """The weights named ``prefix``+name, keyed by name."""
    return {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}
