"""Compiled sweeps over a circuit's arrays (numba), front to back or back to
front in node order: liveness (``live_nodes``), depth (``node_levels``), and
the renumbering into the node schema that ``Builder.build`` finishes with
(``renumber``, ``compact_ids``). The builder, ``Circuit`` and the simulator
share them."""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.ir.schema import Kind

_AND = int(Kind.AND)
#: the sweeps allocate their results, so they keep numba's reference counting
_compiled = njit(cache=True, nogil=True, error_model="numpy")


@_compiled
def live_nodes(n_nodes, offsets, fanins, outputs):
    """Nodes some output depends on: one sweep from the last node down."""
    live = np.zeros(n_nodes, dtype=np.bool_)
    for v in outputs:
        live[v] = True
    for v in range(n_nodes - 1, -1, -1):
        if live[v]:
            for j in range(offsets[v], offsets[v + 1]):
                live[fanins[j]] = True
    return live


@_compiled
def renumber(n_nodes, live, inputs, kinds, offsets, fanins, run_start, run_scope, kind, new_offsets):
    """Renumber into the circuit's node order: the constants, the ``inputs``
    (in port order), then the live gates in id order.

    Writes the new node arrays ``kind`` and ``new_offsets`` (which may be the
    old arrays themselves when the inputs already come first: every node then
    moves down or stays) and moves the kept fan-in lists, renumbered, to the
    front of ``fanins`` in place (a gate's list never moves up, as sources
    have none). Node scopes come as runs: nodes from ``run_start[i]`` (rising,
    ``run_start[0] = 0``) on were built in scope ``run_scope[i]``.

    Returns ``(remap, nodes, scope)``: ``remap`` maps old ids to new (-1 for
    dropped nodes), ``scope`` the new nodes' scope ids.
    """
    remap = np.full(n_nodes, -1, dtype=np.int32)
    remap[0], remap[1] = 0, 1
    at = 2
    for v in inputs:
        remap[v] = at
        at += 1
    first_gate = at
    for v in range(n_nodes):
        if live[v] and kinds[v] >= _AND:
            remap[v] = at
            at += 1
    for v in inputs:  # before the gates overwrite anything
        kind[remap[v]] = kinds[v]
    kind[0], kind[1] = kinds[0], kinds[1]
    scope = np.zeros(at, dtype=np.int32)
    new_offsets[: first_gate + 1] = 0
    edge = 0
    end = offsets[0]
    run = 0
    for v in range(n_nodes):
        start, end = end, offsets[v + 1]  # read before node v's own entries are overwritten
        w = remap[v]
        if w < first_gate:
            continue
        while run + 1 < len(run_start) and run_start[run + 1] <= v:
            run += 1
        kind[w], scope[w] = kinds[v], run_scope[run]
        for j in range(start, end):
            fanins[edge] = remap[fanins[j]]
            edge += 1
        new_offsets[w + 1] = edge
    return remap, at, scope


@_compiled
def node_levels(offsets, fanins, source_level):
    """Depth of every node of the DAG ``(offsets, fanins)`` whose nodes from
    ``len(source_level)`` on are gates in topological order: a source at its
    ``source_level`` (int32; zeros in a whole circuit), a gate 1 + the max
    over its fan-ins."""
    level = np.zeros(len(offsets) - 1, dtype=np.int32)
    level[: len(source_level)] = source_level
    for v in range(len(source_level), len(offsets) - 1):
        deepest = 0
        for j in range(offsets[v], offsets[v + 1]):
            deepest = max(deepest, level[fanins[j]])
        level[v] = deepest + 1
    return level


@_compiled
def compact_ids(ids, count):
    """Renumber ``ids`` (values in ``[0, count)``) in place to ``0, 1, ...`` in value
    order, skipping values that do not occur; returns which values occur."""
    used = np.zeros(count, dtype=np.bool_)
    for i in ids:
        used[i] = True
    new = np.cumsum(used.astype(np.int32)) - 1
    for j in range(len(ids)):
        ids[j] = new[ids[j]]
    return used
