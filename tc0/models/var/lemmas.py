"""Depth bounds for the VAR modules. Seed 004 analyses VAR's running time
(Appendix D), not its depth, and the TC0 paper on VAR is not among the
seeds, so there is no published per-module depth formula to check: each
bound here is tc0's own composition of the gadget depths along the
module's longest chain of operations (DESIGN section 8's definitions), with
every d_⊕ at the module's longest sum m (d_⊕ does not decrease with m) and
ReLU priced as a d_std. A row is judged against this bound only
(``paper_bound`` is None).

* conv = d_std (products) + d_⊕(9 c) + d_std (bias);
* up-interpolation = d_std + d_⊕(16): FlowAR's Lemma 4.2 (the shared module);
* attention = 3 d_std + 3 d_⊕ + d_exp + d_div (X W, Q K^T, A V; the row sums
  beside A V; then D^-1);
* var-transformer = K attention + (K - 1) up-interpolation;
* var-reconstruct = up + conv + (K - 1) d_std (the maps added left to right);
* vqvae-decoder = conv_in + 2 Res + AttnBlock + Up + conv_out, where Res =
  2 conv + d_std (ReLU) + d_std (residual), AttnBlock = attention + d_std,
  Up = up + conv: 23 d_std + 11 d_⊕ + d_exp + d_div;
* var = var-transformer + var-reconstruct + vqvae-decoder, each part at its
  own m.
"""

from __future__ import annotations

from tc0.models.flowar.lemmas import LEMMAS as FLOWAR_LEMMAS
from tc0.models.lemma import Composition, Lemma, combine
from tc0.models.var.config import VARConfig

_NO_PAPER = "no published depth lemma (seed 004 bounds running time only): tc0's derivation, see tc0.models.var.lemmas"

CONV = {"std": 2, "sum": 1}
UP = {"std": 1, "sum": 1}
ATTENTION = {"std": 3, "sum": 3, "exp": 1, "div": 1}
_RES = combine(CONV, CONV, {"std": 2})
DECODER = combine(CONV, _RES, ATTENTION, {"std": 1}, _RES, UP, CONV, CONV)


def transformer_depth(scales: int) -> dict[str, int]:
    """K attentions in sequence with an up-interpolation between each two."""
    return combine(*[ATTENTION] * scales, *[UP] * (scales - 1))


def reconstruct_depth(scales: int) -> dict[str, int]:
    """An up-interpolation and a conv, then K - 1 rounded adds."""
    return combine(UP, CONV, {"std": scales - 1})


def var_model(cfg: VARConfig) -> Composition:
    """var: the sum of its three stages' bounds, each at its own longest sum
    (transformer: its tokens sum s_k^2; reconstruction: 9c convolution terms;
    decoder: its n^2 pixel tokens or 9c)."""
    tokens = sum(s * s for s in cfg.s)
    parts = [("var-transformer", max(cfg.c, tokens)), ("var-reconstruct", max(16, 9 * cfg.c)),
             ("vqvae-decoder", max(16, 9 * cfg.c, cfg.n * cfg.n))]
    return Composition(parts, tokens, "—", "var-transformer + var-reconstruct + vqvae-decoder", _NO_PAPER,
                       {"scales": cfg.K})


def _derived(module: str, terms) -> Lemma:
    """A bound of tc0's own: ``terms`` (a dict, or cfg -> dict where it depends on K)."""
    if callable(terms):
        return Lemma(module, "derived", note=_NO_PAPER, per_config=terms)
    return Lemma(module, "derived", extra=terms, note=_NO_PAPER)


LEMMAS: dict[str, Lemma] = {
    "conv": _derived("conv", CONV),
    "upsample": FLOWAR_LEMMAS["upsample"],
    "var-transformer": _derived("var-transformer", lambda cfg: transformer_depth(cfg.K)),
    "var-reconstruct": _derived("var-reconstruct", lambda cfg: reconstruct_depth(cfg.K)),
    "vqvae-decoder": _derived("vqvae-decoder", DECODER),
    "var": Lemma("var", "derived", note=_NO_PAPER, compose=var_model),
}
