"""A paper's depth lemma for one module: its formula as a linear combination
of gadget depths, ``d_std`` (the deepest of float add, mul, lt), ``d_sum``
(d_⊕ of the module's own m: its longest iterated sum), ``d_exp``, ``d_sqrt``
and ``d_div``. Where the paper's formula leaves out or under-prices an
operation the module needs, the lemma carries a correction (``extra``) and a
note naming it; the bound is then the corrected formula, shown beside the
paper's. A theorem over a composite module lists its parts instead (``parts``:
the lemmas of the modules it is made of, each with its own m). A family whose
paper has no depth lemma (VAR) gives tc0's own derived bound with an empty
``paper``: its rows have no paper bound.

The measured gadget depths the formulas are evaluated on are
``tc0.report.gadget_depths``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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


def combine(*terms: dict[str, int]) -> dict[str, int]:
    """The sum of linear combinations of gadget depths."""
    out: dict[str, int] = {}
    for t in terms:
        for key, coef in t.items():
            out[key] = out.get(key, 0) + coef
    return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Composition:
    """A theorem's bound at one configuration: the (module, m) parts whose
    lemmas it sums, the m it reports, both sums in words and the extra fields
    of its row."""

    parts: list[tuple[str, int]]
    m: int
    paper_formula: str
    formula: str
    omits: str
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Lemma:
    """One module's depth formula from the paper, and its correction; or, for
    a theorem over a composite module, ``compose(cfg)``: the parts it sums."""

    module: str
    lemma: str
    paper: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)  # added to the paper's terms
    note: str = ""  # the operation the paper's formula leaves out or under-prices
    compose: Callable[..., Composition] | None = None  # composite modules: cfg -> Composition
    per_config: Callable[..., dict[str, int]] | None = None  # a bound that depends on the config: cfg -> terms

    @property
    def corrected(self) -> dict[str, int]:
        return combine(self.paper, self.extra)

    def bound_terms(self, cfg) -> dict[str, int]:
        """The corrected formula at configuration ``cfg``."""
        return self.per_config(cfg) if self.per_config is not None else self.corrected
