"""Stage 2 of a simulation schedule: small gates evaluated inside their
only reader.

A *small* gate has at most three operands (AND or OR of up to three, NOT,
XOR, MAJ of three). A small gate read once by one other small gate, and not
an output, is *inlined*: its reader becomes one lookup table of at most
three leaves (``tc0.simulator.tables``), so the value is never stored (on
sha256 2.8 gates an instruction, on aes_128 1.4). A reader tries its
operands in turn, then theirs, keeping each that leaves the cone at most
three distinct non-constant leaves and ``MOST_GATES`` gates; an operand that
would pass that bound is not tried again, even if later ones would bring
the leaves back down.

The mark is a flag on the gate's operation code (``INLINE``): no memory
beyond a transient byte per node for the reader counts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.simulator.graph import SKIP, operand_span

_compiled = njit(cache=True, nogil=True, error_model="numpy")
_inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")

#: flag of an inlined gate's operation code
INLINE = 0x80
#: the operation code without the flag
CODE = 0x7F
#: most leaves of a cone (the tables' arity) and most gates in it
MOST_LEAVES, MOST_GATES = 3, 16


@_inlined
def evaluated(code):
    """Whether a node with this operation code gets an instruction of its own."""
    return code != SKIP and (code & INLINE) == 0


@_inlined
def operands(op, offsets, fanins, v):
    """``(start, end)`` of node ``v``'s operands in ``fanins`` (flag ignored)."""
    return operand_span(op[v] & CODE, offsets, fanins, v)


@_inlined
def is_small(op, offsets, fanins, v):
    """Whether gate ``v`` has at most three operands."""
    start, end = operands(op, offsets, fanins, v)
    return op[v] != SKIP and end - start <= MOST_LEAVES


@_inlined
def _add_leaf(leaves, n, u):
    """``leaves[:n]`` with ``u`` added if it is new and not a constant; returns the new
    count (past ``MOST_LEAVES``: too many, the rest not kept)."""
    if u <= 1:
        return n
    for i in range(min(n, MOST_LEAVES)):
        if leaves[i] == u:
            return n
    if n < MOST_LEAVES:
        leaves[n] = u
    return n + 1


@_inlined
def cone(op, offsets, fanins, v, leaves, nodes):
    """Walk gate ``v``'s cone: ``v`` and the inlined gates under it into
    ``nodes`` (parents before their operands), its distinct non-constant
    leaves into ``leaves``; returns ``(n_leaves, n_nodes)``. Past
    ``MOST_LEAVES`` leaves or ``MOST_GATES`` gates the walk stops (not a cone)."""
    n_leaves, n_nodes = 0, 1
    nodes[0] = v
    at = 0
    while at < n_nodes and n_leaves <= MOST_LEAVES:
        start, end = operands(op, offsets, fanins, nodes[at])
        at += 1
        for j in range(start, end):
            u = fanins[j]
            if op[u] & INLINE:
                if n_nodes == MOST_GATES:
                    return n_leaves, MOST_GATES + 1
                nodes[n_nodes] = u
                n_nodes += 1
            else:
                n_leaves = _add_leaf(leaves, n_leaves, u)
    return n_leaves, n_nodes


@_compiled
def _fuse(op, offsets, fanins, first, outputs):
    n = len(op)
    readers = np.zeros(n, dtype=np.uint8)  # 0, 1, or 2 for two or more
    for v in range(first, n):
        if op[v] != SKIP:
            start, end = operands(op, offsets, fanins, v)
            for j in range(start, end):
                u = fanins[j]
                readers[u] = min(2, readers[u] + 1)
    for v in outputs:
        readers[v] = 2
    leaves = np.empty(MOST_LEAVES, dtype=np.int64)
    nodes = np.empty(MOST_GATES, dtype=np.int64)
    for v in range(n - 1, first - 1, -1):
        if not evaluated(op[v]) or not is_small(op, offsets, fanins, v):
            continue
        tried = 0  # the cone's gates whose operands were tried, in the order of ``nodes``
        n_nodes = 1
        nodes[0] = v
        while tried < n_nodes:
            start, end = operands(op, offsets, fanins, nodes[tried])
            tried += 1
            for j in range(start, end):
                u = fanins[j]
                if u < first or readers[u] != 1 or not is_small(op, offsets, fanins, u):
                    continue
                op[u] |= INLINE
                n_leaves, n_nodes = cone(op, offsets, fanins, v, leaves, nodes)
                if n_leaves > MOST_LEAVES or n_nodes > MOST_GATES:
                    op[u] &= CODE
                    n_nodes = cone(op, offsets, fanins, v, leaves, nodes)[1]
    return op


def fuse(op: np.ndarray, offsets: np.ndarray, fanins: np.ndarray, first: int, outputs: np.ndarray) -> np.ndarray:
    """Stage 2: mark (in place) the small gates evaluated inside their only reader; returns ``op``."""
    return _fuse(op, offsets, fanins, first, outputs)
