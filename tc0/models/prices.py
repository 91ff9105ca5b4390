"""The price of one scalar float operation: the size of its gadget in the
compiler's catalog, on variable inputs (an upper bound: constant operands
fold away). The estimate and the streamed backend's slicing both use it."""

from __future__ import annotations

import numpy as np

from tc0.compiler.catalog import gadget_stats
from tc0.numerics import FloatFormat

#: sums with more terms than this are priced by extrapolating a power law (see ``gadget_cost``)
_LARGEST_PRICED_SUM = 256
#: the catalog gadget behind each scalar operation of the backends
_GADGET_OF = {op: f"float:{op}" for op in ("add", "sub", "mul", "div", "exp", "sqrt", "relu", "sum")}


def gadget_cost(fmt: FloatFormat, op: str, m: int = 0) -> tuple[int, int]:
    """(gates, edges) of one float gadget ``op`` of ``fmt`` (its method for
    div, sqrt, exp) on variable inputs (sums: of m terms).

    Sums of more than 256 terms are extrapolated from m = 128 and 256 with a
    power law (their size grows about linearly in m there)."""
    if op == "sum" and m > _LARGEST_PRICED_SUM:
        big, half = gadget_cost(fmt, op, _LARGEST_PRICED_SUM), gadget_cost(fmt, op, _LARGEST_PRICED_SUM // 2)
        return tuple(int(b * (m / _LARGEST_PRICED_SUM) ** np.log2(b / h)) for b, h in zip(big, half))
    stats = gadget_stats(_GADGET_OF[op], None, m if op == "sum" else None, fmt.p, fmt.e, fmt.method,
                         fmt.optimize)
    return stats.size, stats.edges
