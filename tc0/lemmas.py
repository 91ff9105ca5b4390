"""The FlowAR paper's depth formulas (Lemmas 4.1-4.8, Theorem 4.9) and their
evaluation on measured gadget depths.

A formula is a linear combination of gadget depths: ``d_std`` (the deepest of
float add, mul, lt), ``d_sum`` (d_⊕ of the module's own m: its longest
iterated sum), ``d_exp``, ``d_sqrt`` and ``d_div``. Where the paper's formula
leaves out or under-prices an operation the module needs, the lemma carries a
correction (``extra``) and a note naming it; the row's bound is then the
corrected formula, shown beside the paper's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from tc0.model.modules import Scales
from tc0.model.registry import ModelConfig

SYMBOLS = {"std": "d_std", "sum": "d_⊕", "exp": "d_exp", "sqrt": "d_sqrt", "div": "d_div"}


def formula_text(terms: dict[str, int]) -> str:
    """``{"std": 2, "sum": 1}`` -> ``2d_std + d_⊕`` (negative terms subtract)."""
    parts = []
    for key, coef in terms.items():
        if coef == 0:
            continue
        sign = " - " if coef < 0 else " + "
        mag = abs(coef)
        parts.append(f"{sign}{'' if mag == 1 else mag}{SYMBOLS[key]}")
    text = "".join(parts)
    return text[3:] if text.startswith(" + ") else "-" + text[3:] if text else "0"


def _combine(*terms: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in terms:
        for key, coef in t.items():
            out[key] = out.get(key, 0) + coef
    return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Lemma:
    """One module's depth formula from the paper, and its correction."""

    module: str
    lemma: str
    paper: dict[str, int]
    extra: dict[str, int] = field(default_factory=dict)  # added to the paper's terms
    note: str = ""  # the operation the paper's formula leaves out or under-prices

    @property
    def corrected(self) -> dict[str, int]:
        return _combine(self.paper, self.extra)


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
    )
}


@dataclass(frozen=True)
class GadgetDepths:
    """Measured gadget depths of one float format; d_⊕ on demand per m."""

    p: int
    e: int

    @functools.cached_property
    def fixed(self) -> dict[str, int]:
        from tc0.gadgets.catalog import D_STD_GADGETS, gadget_stats

        depth = lambda name: gadget_stats(name, None, None, self.p, self.e)[2]  # noqa: E731
        return {
            "std": max(depth(name) for name in D_STD_GADGETS),
            "exp": depth("float:exp"),
            "sqrt": depth("float:sqrt"),
            "div": depth("float:div"),
        }

    def sum(self, m: int) -> int:
        """d_⊕(m); beyond the catalog's largest m (256) the depth at 256 (constant from m = 4 on)."""
        from tc0.gadgets.catalog import FLOAT_GADGETS, gadget_stats

        return gadget_stats("float:sum", None, min(max(m, 1), FLOAT_GADGETS["float:sum"].max_m), self.p, self.e)[2]

    def evaluate(self, terms: dict[str, int], m: int) -> int:
        values = {**self.fixed, "sum": self.sum(m)}
        return sum(coef * values[key] for key, coef in terms.items())


def _row(cfg: ModelConfig, depths: GadgetDepths, size: int, depth: int, paper_bound: int, bound: int,
         **fields) -> dict:
    """A lemma row: the point, its measures, both bounds and the verdicts."""
    return {"n": cfg.n, "c": cfg.c, "p": depths.p, "e": depths.e, **fields, "size": size, "depth": depth,
            "paper_bound": paper_bound, "bound": bound, "ok": depth <= bound, "within_paper_bound": depth <= paper_bound}


def lemma_row(module: str, cfg: ModelConfig, depths: GadgetDepths, size: int, depth: int, m: int) -> dict:
    """The lemma row of one built module whose longest iterated sum has m
    terms (``Estimate.largest_sum``): formulas, bounds, measured depth and size."""
    if module == "flowar":
        return flowar_row(cfg, depths, size, depth)
    lem = LEMMAS[module]
    return _row(cfg, depths, size, depth, depths.evaluate(lem.paper, m), depths.evaluate(lem.corrected, m),
                module=module, lemma=lem.lemma, m=m, paper_formula=formula_text(lem.paper),
                formula=formula_text(lem.corrected), omits=lem.note)


def flowar_row(cfg: ModelConfig, depths: GadgetDepths, size: int, depth: int) -> dict:
    """Theorem 4.9: the full model's depth against the sum over scales of the
    per-scale bounds: transformer (4.5 + 4.6, m = the tokens so far), flow
    matching (4.8, m = the scale's tokens) and, from scale 2 on, up-sampling
    (4.2, m = 16)."""
    scales = Scales(cfg.n, cfg.scales, cfg.factor)
    paper = bound = 0
    tokens = 0
    for i in range(1, cfg.scales + 1):
        side = scales.side(i)
        tokens += side * side
        parts = [("transformer", max(cfg.c, cfg.m, tokens)), ("flow-matching", max(cfg.c, side * side))]
        if i > 1:
            parts.append(("upsample", 16))
        for module, m in parts:
            paper += depths.evaluate(LEMMAS[module].paper, m)
            bound += depths.evaluate(LEMMAS[module].corrected, m)
    return _row(cfg, depths, size, depth, paper, bound, module="flowar", lemma="Thm 4.9", m=tokens,
                scales=cfg.scales, paper_formula=f"sum over {cfg.scales} scales of (4.5 + 4.6 + 4.8) + (K-1) x 4.2",
                formula="the same with the corrected 4.6 and 4.8", omits="as its parts (divisions)")
