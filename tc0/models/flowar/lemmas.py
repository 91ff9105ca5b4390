"""The FlowAR paper's depth lemmas (4.1-4.8, C.1-C.4) per module, with the
corrections where its formula leaves out or under-prices an operation, and
Theorem 4.9 for the whole model as the sum of its parts."""

from __future__ import annotations

from tc0.models.flowar.config import FlowARConfig
from tc0.models.flowar.model import Scales
from tc0.models.lemma import Composition, Lemma


def theorem_4_9(cfg: FlowARConfig) -> Composition:
    """Theorem 4.9: the full model's depth against the sum over scales of the
    per-scale bounds: transformer (4.5 + 4.6, m = the tokens so far), flow
    matching (4.8, m = the scale's tokens) and, from scale 2 on, up-sampling
    (4.2, m = 16)."""
    scales = Scales(cfg.n, cfg.scales, cfg.factor)
    parts, tokens = [], 0
    for i in range(1, cfg.scales + 1):
        side = scales.side(i)
        tokens += side * side
        parts += [("transformer", max(cfg.c, cfg.m, tokens)), ("flow-matching", max(cfg.c, side * side))]
        if i > 1:
            parts.append(("upsample", 16))
    return Composition(parts, tokens, f"sum over {cfg.scales} scales of (4.5 + 4.6 + 4.8) + (K-1) x 4.2",
                       "the same with the corrected 4.6 and 4.8", "as its parts (divisions)", {"scales": cfg.scales})


#: the division is priced at d_std by the paper (a "standard" operation); ours is deeper
_DIV_AT_STD = "division priced at d_div, not d_std"
LEMMAS: dict[str, Lemma] = {
    lem.module: lem
    for lem in (
        Lemma("matmul", "4.1", {"std": 1, "sum": 1}),
        Lemma("upsample", "4.2", {"std": 2, "sum": 1}),
        Lemma("downsample", "4.3", {"std": 1, "sum": 1}),
        Lemma("mlp", "4.4/C.1", {"std": 2, "sum": 1}),
        Lemma("ffn", "4.5/C.2", {"std": 6, "sum": 2}),
        Lemma("attention", "4.6/C.3", {"std": 6, "sum": 6, "exp": 1}, {"div": 1},
              "the division D^-1 (A V) by the row sums is not in the formula: + d_div"),
        Lemma("layernorm", "4.7/C.4", {"std": 5, "sum": 2, "sqrt": 1}, {"std": -3, "div": 3},
              f"its 3 divisions (mean, variance, normalisation): {_DIV_AT_STD}"),
        Lemma("flow-matching", "4.8", {"std": 26, "sum": 12, "sqrt": 2, "exp": 1}, {"std": -6, "div": 7},
              f"the 6 layer-norm divisions ({_DIV_AT_STD}) and attention's D^-1 (+ d_div)"),
        Lemma("transformer", "4.5+4.6 (Def. B.9)", {"std": 12, "sum": 8, "exp": 1}, {"div": 1},
              "attention's D^-1: + d_div"),
        Lemma("flowar", "Thm 4.9", compose=theorem_4_9),
    )
}
