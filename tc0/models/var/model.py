"""The VAR model of DESIGN section 8 (Ke et al., seed 004, section 3),
written once against the ``Backend`` interface from the shared layers: the
VAR transformer (Def. 3.5), the feature-map reconstruction (stage 2) and the
VQ-VAE decoder (stage 3). docs/modules.md states each definition and where
it resolves the paper's text.

Token maps are s x s x d images; a sequence of maps is one flat (tokens x d)
sequence, scale by scale, row-major within a map. ``attend`` is the
attention used throughout (``fast_attention`` for the fast variants).
"""

from __future__ import annotations

from tc0.models.backend import Backend, scoped
from tc0.models.layers.attention import attention
from tc0.models.layers.conv import conv3x3
from tc0.models.layers.resampling import upsample_to
from tc0.models.module import weights_under


def cut_maps(B: Backend, sequence, sizes) -> list:
    """The flat sequence (sum of s^2 tokens, d) cut into s x s x d maps, one per size."""
    d = B.shape(sequence)[-1]
    maps, start = [], 0
    for s in sizes:
        maps.append(B.reshape(sequence[start : start + s * s], (s, s, d)))
        start += s * s
    return maps


def _flat(B: Backend, image):
    h, w, d = B.shape(image)
    return B.reshape(image, (h * w, d))


def _attend(B: Backend, tokens, weights: dict, prefix: str, attend):
    return attend(B, tokens, weights[f"{prefix}W_Q"], weights[f"{prefix}W_K"], weights[f"{prefix}W_V"])


@scoped("var_transformer")
def var_transformer(B: Backend, x_init, sizes, weights: dict, attend=attention):
    """TF(X_init) (Def. 3.5): Z_0 = X_init; for k = 1 .. K-1, A_k =
    Attn_k(Z_(k-1)) cut into maps X_1 .. X_k and Z_k = Concat(X_init,
    up(X_1 -> s_2), ..., up(X_k -> s_(k+1))); returns Attn_K(Z_(K-1)), the
    flat sequence of sum s_k^2 tokens. Weights ``attn{k}.W_Q|W_K|W_V``."""
    z = _flat(B, x_init)
    for k in range(1, len(sizes)):
        with B.scope(f"scale{k}"):
            maps = cut_maps(B, _attend(B, z, weights, f"attn{k}.", attend), sizes[:k])
            ups = [_flat(B, upsample_to(B, x, sizes[r + 1])) for r, x in enumerate(maps)]
            z = B.concat([_flat(B, x_init), *ups], axis=0)
    with B.scope(f"scale{len(sizes)}"):
        return _attend(B, z, weights, f"attn{len(sizes)}.", attend)


@scoped("reconstruct")
def reconstruct(B: Backend, maps: list, weights: dict):
    """F = sum_k conv_k(up(r_k -> n)) (stage 2), up the identity for the last
    map, added left to right with rounded adds. Weights ``conv{k}.K|b``."""
    n = B.shape(maps[-1])[0]
    total = None
    for k, r in enumerate(maps, start=1):
        with B.scope(f"scale{k}"):
            up = r if k == len(maps) else upsample_to(B, r, n)
            term = conv3x3(B, up, weights[f"conv{k}.K"], weights[f"conv{k}.b"])
        total = term if total is None else B.add(total, term)
    return total


def _conv(B: Backend, x, weights: dict, name: str):
    return conv3x3(B, x, weights[f"{name}.K"], weights[f"{name}.b"])


def _resnet(B: Backend, x, weights: dict, name: str):
    """Res(X) = X + conv_b(ReLU(conv_a(X)))."""
    with B.scope(name):
        return B.add(x, _conv(B, B.relu(_conv(B, x, weights, f"{name}.conv_a")), weights, f"{name}.conv_b"))


@scoped("vqvae_decoder")
def vqvae_decoder(B: Backend, f, weights: dict, attend=attention):
    """D(F) = conv_out(Up(Res_2(AttnBlock(Res_1(conv_in(F)))))) (stage 3):
    AttnBlock(X) = X + Attn(X) over the h w pixel tokens, Up(X) =
    conv_up(up(X -> 2h)); output 2h x 2w x 3."""
    h, w, d = B.shape(f)
    x = _resnet(B, _conv(B, f, weights, "conv_in"), weights, "res1")
    with B.scope("attn_block"):
        x = B.add(x, B.reshape(_attend(B, _flat(B, x), weights, "attn.", attend), (h, w, d)))
    x = _resnet(B, x, weights, "res2")
    with B.scope("up"):
        x = _conv(B, upsample_to(B, x, 2 * h), weights, "up.conv")
    return _conv(B, x, weights, "conv_out")


def var(B: Backend, x_init, sizes, weights: dict, attend=attention):
    """The full model: X_init -> transformer -> token maps r_1 .. r_K ->
    reconstruction -> decoder (2n x 2n x 3). Weights ``tf.``, ``rec.``, ``dec.``."""
    tokens = var_transformer(B, x_init, sizes, weights_under(weights, "tf."), attend)
    feature_map = reconstruct(B, cut_maps(B, tokens, sizes), weights_under(weights, "rec."))
    return vqvae_decoder(B, feature_map, weights_under(weights, "dec."), attend)
