"""A lemma row of the report: one built module's measured depth and size set
against its paper's depth formula and the corrected one, each evaluated on
the measured gadget depths (``GadgetDepths``)."""

from __future__ import annotations

from tc0.models.config import ModelConfig
from tc0.models.lemma import Lemma, formula_text
from tc0.report.gadget_depths import GadgetDepths


def _row(cfg: ModelConfig, depths: GadgetDepths, size: int, depth: int, paper_bound: int, bound: int,
         **fields) -> dict:
    """A lemma row: the point, its measures, both bounds and a verdict against
    each (``ok_paper``: depth <= the paper's bound; ``ok_corrected``: depth <=
    the corrected bound)."""
    return {"n": cfg.n, "c": cfg.c, "p": depths.p, "e": depths.e, **fields, "size": size, "depth": depth,
            "paper_bound": paper_bound, "bound": bound,
            "ok_paper": depth <= paper_bound, "ok_corrected": depth <= bound}


def lemma_row(lemmas: dict[str, Lemma], module: str, cfg: ModelConfig, depths: GadgetDepths, size: int, depth: int,
              m: int) -> dict:
    """The row of one built ``module`` (its family's ``lemmas``) whose longest
    iterated sum has m terms (``Estimate.largest_sum``). A composite module's
    theorem sums the bounds of its parts, each at its own m."""
    lem = lemmas[module]
    if lem.compose is not None:
        comp = lem.compose(cfg)
        paper = sum(depths.evaluate(lemmas[part].paper, part_m) for part, part_m in comp.parts)
        bound = sum(depths.evaluate(lemmas[part].corrected, part_m) for part, part_m in comp.parts)
        return _row(cfg, depths, size, depth, paper, bound, module=module, lemma=lem.lemma, m=comp.m, **comp.fields,
                    paper_formula=comp.paper_formula, formula=comp.formula, omits=comp.omits)
    return _row(cfg, depths, size, depth, depths.evaluate(lem.paper, m), depths.evaluate(lem.corrected, m),
                module=module, lemma=lem.lemma, m=m, paper_formula=formula_text(lem.paper),
                formula=formula_text(lem.corrected), omits=lem.note)
