"""Stage 1 of a simulation schedule: the evaluation graph. Each node gets an
operation code: XOR patterns recovered, gates no output needs skipped.

The graph is not a new circuit: it is one byte per node beside the
circuit's own arrays (read, never copied), so that compiling a schedule for a
circuit of 10^8 gates costs a fraction of the circuit's memory.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.ir.circuit import Circuit
from tc0.ir.schema import Kind

_compiled = njit(cache=True, nogil=True, error_model="numpy")
_inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")

#: operation codes of the evaluation graph (gates keep their ``Kind`` code)
SKIP = 0  # a source, or a gate no output needs
AND, OR, NOT, MAJ = int(Kind.AND), int(Kind.OR), int(Kind.NOT), int(Kind.MAJ)
#: ``(a OR b) AND NOT(a AND b)`` evaluated as ``a XOR b``: the AND's fan-in at
#: position 0 (``XOR0``) or 1 (``XOR1``) is the OR, whose two fan-ins are a, b
XOR0, XOR1 = 7, 8
_NEEDED = 1  # transient mark of the backward sweep


@_inlined
def _pair(offsets, fanins, v):
    a, b = fanins[offsets[v]], fanins[offsets[v] + 1]
    return min(a, b), max(a, b)


@_inlined
def _xor_position(kind, offsets, fanins, v):
    """The position of the OR in AND gate ``v`` if it is an XOR pattern, else -1."""
    if offsets[v + 1] - offsets[v] != 2:
        return -1
    pos = 0
    p, q = fanins[offsets[v]], fanins[offsets[v] + 1]
    if kind[p] == NOT:
        p, q, pos = q, p, 1
    if kind[p] != OR or offsets[p + 1] - offsets[p] != 2 or kind[q] != NOT:
        return -1
    r = fanins[offsets[q]]
    if kind[r] != AND or offsets[r + 1] - offsets[r] != 2:
        return -1
    if _pair(offsets, fanins, p) != _pair(offsets, fanins, r):
        return -1
    return pos


@_inlined
def operand_span(op, offsets, fanins, v):
    """``(start, end)`` of node ``v``'s operands in ``fanins`` under its code ``op``."""
    if op == XOR0 or op == XOR1:
        o = fanins[offsets[v] + op - XOR0]
        return offsets[o], offsets[o] + 2
    return offsets[v], offsets[v + 1]


@_compiled
def _evaluation_ops(kind, offsets, fanins, first, outputs):
    n = len(kind)
    op = np.zeros(n, dtype=np.uint8)
    for v in outputs:
        op[v] = _NEEDED
    for v in range(n - 1, first - 1, -1):
        if op[v] == SKIP:
            continue
        code = kind[v]
        if code == AND:
            pos = _xor_position(kind, offsets, fanins, v)
            if pos >= 0:
                code = XOR0 + pos
        op[v] = code
        start, end = operand_span(code, offsets, fanins, v)
        for j in range(start, end):
            if op[fanins[j]] == SKIP:
                op[fanins[j]] = _NEEDED
    op[:first] = SKIP
    return op


def evaluation_ops(circuit: Circuit) -> np.ndarray:
    """Stage 1: one operation code per node (uint8; ``SKIP`` for sources and
    for gates no output needs). Operands: ``operand_span``."""
    return _evaluation_ops(circuit.kind, circuit.offsets, circuit.fanins, circuit.first_gate,
                           circuit.output_ids().astype(np.int64))
