"""A lemma row of the report: one built module's measured depth and size set
against its paper's depth formula and the corrected one, each evaluated on
the measured gadget depths (``GadgetDepths``)."""

from __future__ import annotations

from tc0.models.config import ModelConfig
from tc0.models.lemma import Lemma, formula_text
from tc0.report.gadget_depths import GadgetDepths


def _row(cfg: ModelConfig, depths: GadgetDepths, size: int, depth: int, paper_bound: int | None, bound: int,
         **fields) -> dict:
    """A lemma row: the point, its measures, both bounds and a verdict against
    each (``ok_paper``: depth <= the paper's bound, None where the paper
    states none; ``ok_corrected``: depth <= the corrected bound)."""
    return {"n": cfg.n, "c": cfg.c, "p": depths.p, "e": depths.e, **fields, "size": size, "depth": depth,
            "paper_bound": paper_bound, "bound": bound,
            "ok_paper": None if paper_bound is None else depth <= paper_bound, "ok_corrected": depth <= bound}


def lemma_row(lemmas: dict[str, Lemma], module: str, cfg: ModelConfig, depths: GadgetDepths, size: int, depth: int,
              m: int) -> dict:
    """The row of one built ``module`` (its family's ``lemmas``) whose longest
    iterated sum has m terms (``Estimate.largest_sum``). A composite module's
    theorem sums the bounds of its parts, each at its own m."""
    lem = lemmas[module]
    if lem.compose is not None:
        comp = lem.compose(cfg)
        parts = [(lemmas[part], part_m) for part, part_m in comp.parts]
        paper = (None if any(not part.paper for part, _ in parts)
                 else sum(depths.evaluate(part.paper, part_m) for part, part_m in parts))
        bound = sum(depths.evaluate(part.bound_terms(cfg), part_m) for part, part_m in parts)
        return _row(cfg, depths, size, depth, paper, bound, module=module, lemma=lem.lemma, m=comp.m, **comp.fields,
                    paper_formula=comp.paper_formula, formula=comp.formula, omits=comp.omits)
    paper = depths.evaluate(lem.paper, m) if lem.paper else None
    return _row(cfg, depths, size, depth, paper, depths.evaluate(lem.bound_terms(cfg), m),
                module=module, lemma=lem.lemma, m=m, paper_formula=formula_text(lem.paper) if lem.paper else "—",
                formula=formula_text(lem.bound_terms(cfg)), omits=lem.note)
