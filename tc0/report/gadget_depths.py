"""The paper's gadget depths measured on real circuits for one float format:
d_std (the deepest of float add, mul and lt, the "standard" operations),
d_⊕(m) (float:sum of m terms), d_⊗(m) (float:prod), d_exp, d_sqrt and d_div.
One measurement (the catalog's ``gadget_stats``, each gadget built once per
process) serves the lemma bounds (``GadgetDepths``) and the ``tc0 gadgets``
table (``gadget_depths``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from tc0.compiler.catalog import (
    D_STD_GADGETS, FLOAT_GADGETS, METHOD_GADGETS, GadgetStats, float_format, gadget_method, gadget_stats,
)
from tc0.errors import GadgetError
from tc0.numerics import FloatFormat
from tc0.report.sweeps import Sweep


@dataclass(frozen=True)
class GadgetDepths:
    """Measured gadget depths of the format ``fmt`` (div, sqrt, exp by its
    method); d_⊕ on demand per m."""

    fmt: FloatFormat

    @property
    def p(self) -> int:
        return self.fmt.p

    @property
    def e(self) -> int:
        return self.fmt.e

    def stats(self, name: str, m: int | None = None) -> GadgetStats:
        """Measures of the catalog float gadget ``name`` (of ``m`` operands)."""
        return gadget_stats(name, None, m, self.p, self.e, self.fmt.method, self.fmt.optimize)

    @functools.cached_property
    def fixed(self) -> dict[str, int]:
        """d_std, d_exp, d_sqrt and d_div."""
        return {
            "std": max(self.stats(name).depth for name in D_STD_GADGETS),
            "exp": self.stats("float:exp").depth,
            "sqrt": self.stats("float:sqrt").depth,
            "div": self.stats("float:div").depth,
        }

    def sum(self, m: int) -> int:
        """d_⊕(m); beyond the catalog's largest m (256) the depth at 256 (constant from m = 4 on)."""
        return self.stats("float:sum", min(max(m, 1), FLOAT_GADGETS["float:sum"].max_m)).depth

    def evaluate(self, terms: dict[str, int], m: int) -> int:
        """A lemma formula (``tc0.models.lemma``) at these depths, d_⊕ taken at m."""
        values = {**self.fixed, "sum": self.sum(m)}
        return sum(coef * values[key] for key, coef in terms.items())


def _powers_of_two(top: int) -> list[int]:
    return [1 << k for k in range(1, top.bit_length())]


def gadget_plan(max_m_sum: int = 256, max_m_prod: int = 32) -> list[tuple[str, str, int | None]]:
    """(quantity, gadget, m) of every circuit ``gadget_depths`` measures."""
    for name, value, spec in (("max_m_sum", max_m_sum, "float:sum"), ("max_m_prod", max_m_prod, "float:prod")):
        top = FLOAT_GADGETS[spec].max_m
        if not isinstance(value, int) or not 2 <= value <= top:
            raise GadgetError(f"{name} must be in 2..{top}, got {value}", parameters=(name,))
    plan = [("d_std", name, None) for name in D_STD_GADGETS]
    plan += [("d_sum", "float:sum", m) for m in _powers_of_two(max_m_sum)]
    plan += [("d_prod", "float:prod", m) for m in _powers_of_two(max_m_prod)]
    plan += [("d_exp", "float:exp", None), ("d_sqrt", "float:sqrt", None), ("d_div", "float:div", None)]
    return plan


def _constant_from(rows: list[dict]) -> int:
    """The smallest measured m from which the depth equals the depth at the
    largest m (that largest m when it still changes there)."""
    sweep = Sweep("", "m", [r["m"] for r in rows], depths=[r["depth"] for r in rows])
    return rows[-1]["m"] if sweep.constant_from is None else sweep.constant_from


def table_format(p: int, e: int | None):
    """The format of the one-p table: 64-bit words, as its products of up to 32
    terms grow with m p (at p = 64 the product of 16 terms is 15.6 M gates);
    the p sweep (``tc0.report.precision_sweep``) measures wider words at small m."""
    fmt = float_format(p, e, modules=True)
    if fmt.wide:
        raise GadgetError(f"p + e + 1 = {fmt.width} > 64: the table for one format takes 64-bit words (its "
                          "products of up to 32 terms grow with the total width); for wider words give several "
                          "values, a sweep: tc0 gadgets --p 8,16,32,64", parameters=("p", "e"))
    return fmt


def gadget_depths(p: int, e: int | None = None, max_m_sum: int = 256, max_m_prod: int = 32,
                  progress=None, method: str | None = None, both: bool = True) -> dict:
    """Measure the gadgets behind the paper's d_std, d_⊕(m), d_⊗(m), d_exp,
    d_sqrt (and div) for format (p, e): d_std is the largest depth among float
    add, mul and lt; d_sum and d_prod are lists over m = 2, 4, ..., up to the
    given maxima. ``progress`` (a tqdm bar, optional) is advanced per circuit.
    ``method``: of div, sqrt and exp ("auto": per gadget, the smaller).
    Every row is built for size (its depth, size, edges); with ``both``, also
    for depth (``by_depth``: the same measures with negations pushed to the
    sources, ``Builder(optimize="depth")``)."""
    fmt = table_format(p, e)
    methods = {name: gadget_method(name, method, fmt.p, fmt.e) for name in METHOD_GADGETS}
    rows = []
    for quantity, name, m in gadget_plan(max_m_sum, max_m_prod):
        if progress is not None:
            progress.set_postfix_str(f"{name}" + (f" m={m}" if m else ""), refresh=False)
        stats = gadget_stats(name, None, m, fmt.p, fmt.e, methods.get(name))
        rows.append({"quantity": quantity, "gadget": name, "m": m, "depth": stats.depth, "size": stats.size,
                     "edges": stats.edges, "seconds": round(stats.seconds, 2),
                     **({"method": methods[name]} if name in methods else {})})
        if both:
            deep = gadget_stats(name, None, m, fmt.p, fmt.e, methods.get(name), "depth")
            rows[-1]["by_depth"] = {"depth": deep.depth, "size": deep.size, "edges": deep.edges,
                                    "seconds": round(deep.seconds, 2)}
        if progress is not None:
            progress.update(1)
    std = [r for r in rows if r["quantity"] == "d_std"]
    top = max(std, key=lambda r: r["depth"])
    sums = [r for r in rows if r["quantity"] == "d_sum"]
    prods = [r for r in rows if r["quantity"] == "d_prod"]
    single = {q: next(r for r in rows if r["quantity"] == q) for q in ("d_exp", "d_sqrt", "d_div")}
    strip = lambda r: {k: r[k] for k in ("gadget", "m", "method", "depth", "size", "edges", "seconds", "by_depth")  # noqa: E731
                       if k in r}
    return {
        "p": fmt.p,
        "e": fmt.e,
        "d_std": {"depth": top["depth"], "attained_by": top["gadget"],
                  "definition": f"max depth of {', '.join(D_STD_GADGETS)}", "components": [strip(r) for r in std]},
        "d_sum": [strip(r) for r in sums],
        "d_sum_constant_from_m": _constant_from(sums),
        "d_prod": [strip(r) for r in prods],
        "d_prod_constant_from_m": _constant_from(prods),
        **{q: strip(r) for q, r in single.items()},
        "note": "depth and size against p: tc0 gadgets --p 8,16,32,64 (both methods; table in the README)",
    }


def depth_table(result: dict) -> str:
    """``gadget_depths``'s result as a text table."""
    lines = [f"Gadget depths for p = {result['p']}, e = {result['e']} "
             "(depth = longest path, every gate counting 1)", ""]
    both = "by_depth" in result["d_std"]["components"][0]
    lines.append(f"{'quantity':<12} {'gadget':<11} {'m':>4} {'depth':>6} {'size':>10} {'edges':>11} {'build s':>8}"
                 + (f" {'depth*':>7} {'size*':>10}" if both else ""))

    def row(label, r):
        m = "" if r["m"] is None else str(r["m"])
        deep = f" {r['by_depth']['depth']:>7} {r['by_depth']['size']:>10}" if both else ""
        lines.append(f"{label:<12} {r['gadget']:<11} {m:>4} {r['depth']:>6} {r['size']:>10} {r['edges']:>11} "
                     f"{r['seconds']:>8.2f}{deep}")

    std = result["d_std"]
    for r in std["components"]:
        row("d_std part", r)
    for r in result["d_sum"]:
        row(f"d_⊕({r['m']})", r)
    for r in result["d_prod"]:
        row(f"d_⊗({r['m']})", r)
    for key in ("d_exp", "d_sqrt", "d_div"):
        row(f"{key} ({result[key]['method']})", result[key])
    parts = ", ".join(f"{r['gadget'].split(':')[1]} {r['depth']}" for r in std["components"])
    lines += ["", f"d_std = {std['depth']}: the largest depth of float add, mul and lt ({parts}); "
              f"attained by {std['attained_by']}."]
    for key, sym in (("d_sum", "d_⊕"), ("d_prod", "d_⊗")):
        rows = result[key]
        m0 = result[f"{key}_constant_from_m"]
        depth = rows[-1]["depth"]
        if m0 == rows[-1]["m"] and len(rows) > 1:
            lines.append(f"{sym}(m): the depth still changes at the largest measured m = {m0} ({depth}).")
        else:
            lines.append(f"{sym}(m) = {depth} for every measured m from {m0} to {rows[-1]['m']}: "
                         f"the depth no longer changes from m = {m0} on.")
    if both:
        lines.append(_by_depth_line(result))
        lines.append("depth*, size*: built with --optimize depth (negations as twins: NOT MAJ(x) = MAJ(NOT x), "
                     "De Morgan; rounding by position; candidates picked inside the rounding), the same "
                     "function; the default, --optimize size, keeps one NOT gate per negation and normalises "
                     "before rounding (docs/gadgets.md).")
    lines += ["", "Note: " + result["note"]]
    return "\n".join(lines)


def _by_depth_line(result: dict) -> str:
    """One line: the quantities of ``depth_table`` built for depth."""
    deep = lambda r: r["by_depth"]["depth"]  # noqa: E731
    std = result["d_std"]["components"]
    parts = [f"d_std = {max(deep(r) for r in std)} ("
             + ", ".join(f"{r['gadget'].split(':')[1]} {deep(r)}" for r in std) + ")"]
    for key, sym in (("d_sum", "d_⊕"), ("d_prod", "d_⊗")):
        rows = [r for r in result[key] if r["m"] >= 4]
        if rows:
            lo, hi = min(deep(r) for r in rows), max(deep(r) for r in rows)
            span = str(lo) if lo == hi else f"{lo}–{hi}"
            parts.append(f"{sym}(m) = {span} for m from 4 to {rows[-1]['m']}")
    parts.append(", ".join(f"{key} {deep(result[key])}" for key in ("d_exp", "d_sqrt", "d_div")))
    return "Built for depth (depth*): " + "; ".join(parts) + "."
