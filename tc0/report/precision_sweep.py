"""The p sweep of DESIGN section 10: every float gadget's depth and size as
p grows (e = p + 1, words past 64 bits), by method for div, sqrt and exp.

A TC0 family needs depth constant and size polynomial in p once p may grow
with n (p <= poly(n)). Per gadget and method the sweep gives the depth at
each p, the least-squares exponent of size against p on log-log axes (a
polynomial's degree), and the slope on log-linear axes as "bits of p per
doubling" (the growth of an exponential such as the table method's ROM of
~2^(p/3) entries). Whether a method is polynomial in p is stated from its
construction (``POLYNOMIAL``); the fits show it."""

from __future__ import annotations

import math

import numpy as np

from tc0.compiler.catalog import METHOD_GADGETS, gadget_stats, module_format
from tc0.errors import GadgetError
from tc0.numerics.format import METHODS
from tc0.report.sweeps import fitted_exponent

#: (gadget, m) the sweep measures; sums and products at a fixed small m
SWEPT = [("float:add", None), ("float:mul", None), ("float:lt", None), ("float:sum", 8), ("float:prod", 4),
         ("float:dot", 4), ("float:div", None), ("float:sqrt", None), ("float:exp", None)]
#: why each kind of gadget is, or is not, polynomial in p
POLYNOMIAL = {
    "table": (False, "a ROM of ~2^(p/3) entries"),
    "series": (True, "a ROM of <= 16p entries and a Chinese-remainder series of O(p^2 / log p) bits"),
    None: (True, "fixed stages of integer gadgets on O(p)-bit numbers"),
}


def doubling_bits(ps, sizes) -> float:
    """Bits of p per doubling of the size: 1 / slope of log2(size) against p (inf if flat)."""
    if len(ps) < 2:
        return math.nan
    slope = float(np.polyfit(np.asarray(ps, float), np.log2(np.asarray(sizes, float)), 1)[0])
    return math.inf if slope <= 0 else 1 / slope


def precision_sweep(p_values, progress=None) -> dict:
    """Measure every ``SWEPT`` gadget (both methods for div, sqrt, exp) at
    each p (e = p + 1). A method that refuses a p (the table's ROM limit) is
    left out there and said so."""
    p_values = sorted(set(p_values))
    for p in p_values:
        module_format(p, None)  # bad p before any work
    rows = []
    for name, m in SWEPT:
        for method in METHODS if name in METHOD_GADGETS else (None,):
            points, refused = [], []
            for p in p_values:
                try:
                    stats = gadget_stats(name, None, m, p, p + 1, method)
                except GadgetError:
                    refused.append(p)
                else:
                    points.append({"p": p, "size": stats.size, "edges": stats.edges, "depth": stats.depth})
                if progress is not None:
                    progress.update(1)
            ps, sizes = [pt["p"] for pt in points], [pt["size"] for pt in points]
            polynomial, why = POLYNOMIAL[method]
            rows.append({
                "gadget": name, "m": m, "method": method or "-", "points": points, "refused_p": refused,
                "depth_flat": len({pt["depth"] for pt in points}) == 1,
                "size_exponent": fitted_exponent(ps, sizes), "doubling_bits": doubling_bits(ps, sizes),
                "polynomial_in_p": polynomial, "why": why,
            })
    return {"p_values": p_values, "e": "p + 1", "rows": rows}


def sweep_points(p_values) -> int:
    """How many circuits ``precision_sweep`` builds (for a progress bar)."""
    return len(set(p_values)) * sum(len(METHODS) if name in METHOD_GADGETS else 1 for name, _ in SWEPT)


def sweep_table(result: dict) -> str:
    """The sweep as a markdown table: depth and size per p, the fits, the verdict."""
    ps = result["p_values"]
    head = ["gadget", "method", *(f"depth p={p}" for p in ps), *(f"size p={p}" for p in ps),
            "size ~ p^k: k", "bits of p per doubling", "polynomial in p"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result["rows"]:
        by_p = {pt["p"]: pt for pt in row["points"]}
        cells = [row["gadget"] + (f" m={row['m']}" if row["m"] else ""), row["method"]]
        cells += [str(by_p[p]["depth"]) if p in by_p else "refused" for p in ps]
        cells += [f"{by_p[p]['size']:,}" if p in by_p else "refused" for p in ps]
        cells += [f"{row['size_exponent']:.2f}", f"{row['doubling_bits']:.1f}",
                  ("yes" if row["polynomial_in_p"] else "no") + f" ({row['why']})"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
