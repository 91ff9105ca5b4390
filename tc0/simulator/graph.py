"""Stage 1 of a simulation schedule: the evaluation graph (XOR patterns
recovered, gates no output needs dropped)."""

from __future__ import annotations

import numpy as np

from tc0.ir.circuit import Circuit
from tc0.ir.schema import Kind
from tc0.ir.sweeps import live_nodes, node_levels

#: gate code of the evaluation graph (beside Kind's) for a recovered XOR
XOR_GATE = 7


def evaluation_graph(circuit: Circuit):
    """Stage 1: ``(kind, fanins, order, bounds)`` of the graph to evaluate.

    XOR patterns become ``XOR_GATE`` gates over (a, b) in place of the outer
    AND (same fan-in count, so ``circuit.offsets`` still applies). ``order``
    lists the gates some output needs, by level; level L is
    ``order[bounds[L-1]:bounds[L]]``. Without an XOR pattern ``kind`` and
    ``fanins`` are the circuit's own arrays (not copies: read them only) and
    the levels are the circuit's cached ``level``.
    """
    kind, offsets, fanins = circuit.kind, circuit.offsets, circuit.fanins
    count = np.diff(offsets)
    last = max(len(fanins) - 1, 0)

    def pair(x):
        a, b = fanins[offsets[x]], fanins[np.minimum(offsets[x] + 1, last)]
        return np.minimum(a, b), np.maximum(a, b)

    g = np.flatnonzero((kind == Kind.AND) & (count == 2))
    p, q = fanins[offsets[g]], fanins[offsets[g] + 1]
    swap = kind[p] == Kind.NOT
    p, q = np.where(swap, q, p), np.where(swap, p, q)
    r = fanins[np.minimum(offsets[q], last)]
    (pa, pb), (ra, rb) = pair(p), pair(r)
    ok = (kind[p] == Kind.OR) & (count[p] == 2) & (kind[q] == Kind.NOT)
    ok &= (kind[r] == Kind.AND) & (count[r] == 2) & (pa == ra) & (pb == rb)
    g = g[ok]

    first = circuit.first_gate
    if len(g):  # the levels change: XOR(a, b) is one level above a and b, not three
        kind, fanins = kind.copy(), fanins.copy()
        kind[g] = XOR_GATE
        fanins[offsets[g]], fanins[offsets[g] + 1] = pa[ok], pb[ok]
        level = node_levels(offsets, fanins, np.zeros(first, dtype=np.int32))
    else:
        level = circuit.level
    level = level[first:]
    order = np.argsort(level, kind="stable") + first
    bounds = np.searchsorted(level[order - first], np.arange(int(level.max(initial=0)) + 1), side="right")
    keep = live_nodes(circuit.n_nodes, offsets, fanins, circuit.output_ids())[order]
    return kind, fanins, order[keep], np.concatenate([[0], np.cumsum(keep)])[bounds]
