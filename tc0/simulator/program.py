"""Stage 5 of a simulation schedule: the program, one int32 instruction
stream per chunk of positions of the evaluation order, naming buffer rows only (no node ids left to look
up while evaluating).

Instructions (``code, out, ...``; every operand is a buffer row):

* ``table op, out, a [, b [, c]]`` (an operation code below
  ``tables.TABLE_OPS``, naming a canonical table and its arity): a small gate
  and the gates inlined into it (``tc0.simulator.fusion``) as one lookup
  table of its distinct non-constant leaves, in the order that makes the
  table canonical; constants are folded into the table, and a cone without
  leaves is a table of row 0;
* ``ALL | ANY, out, n, a_1 .. a_n``: AND / OR of n operands (gates of more
  than three fan-ins, and MAJ gates that reduce to one);
* ``AT_LEAST, out, n, k, a_1 .. a_n``: at least k of n operands, 2 <= k < n:
  a MAJ gate of more than three fan-ins with its constant fan-ins folded into
  k. Its count stays in the scratch rows until the next ``AT_LEAST``;
* ``COMPARE, out, k``: [that count >= k], for a MAJ gate over the same
  variable fan-ins as the last ``AT_LEAST`` of the chunk. Threshold ladders
  ([sum >= k] for k = 1 .. S over one fan-in list, as in a weighted count)
  then cost one count and a comparison per rung, not a count per rung.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.simulator.fusion import CODE, MOST_GATES, MOST_LEAVES, cone, evaluated, is_small, operands
from tc0.simulator.graph import AND, MAJ
from tc0.simulator.order import grown, node_at
from tc0.simulator.tables import ARITY_MASK, LEAF_ORDER, LEAVES, TABLE_OPS, gate_table, table_op

_compiled = njit(cache=True, nogil=True, error_model="numpy")
_inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")

ALL, ANY, AT_LEAST, COMPARE = range(TABLE_OPS, TABLE_OPS + 4)
#: the most int32s an instruction takes beyond its gate's fan-in (a table of three leaves for a NOT)
_MOST_EXTRA = 5


@_inlined
def _majority_form(offsets, fanins, v):
    """``(k, variables)``: MAJ gate ``v`` is [at least k of its ``variables`` non-constant fan-ins]."""
    ones = variables = 0
    for j in range(offsets[v], offsets[v + 1]):
        u = fanins[j]
        if u == 1:
            ones += 1
        elif u != 0:
            variables += 1
    return (offsets[v + 1] - offsets[v]) // 2 + 1 - ones, variables


@_inlined
def _same_variables(offsets, fanins, u, v):
    """Whether gates u and v have the same non-constant fan-ins in the same order."""
    i, j = offsets[u], offsets[v]
    while True:
        while i < offsets[u + 1] and fanins[i] <= 1:
            i += 1
        while j < offsets[v + 1] and fanins[j] <= 1:
            j += 1
        if i == offsets[u + 1] or j == offsets[v + 1]:
            return i == offsets[u + 1] and j == offsets[v + 1]
        if fanins[i] != fanins[j]:
            return False
        i += 1
        j += 1


@_inlined
def _table(op, offsets, fanins, leaves, n_leaves, nodes, n_nodes, tables):
    """The table over ``leaves`` of the cone whose gates are ``nodes`` (parents
    before operands; ``tables``: room for ``MOST_GATES + MOST_LEAVES``)."""
    for i in range(n_nodes - 1, -1, -1):
        start, end = operands(op, offsets, fanins, nodes[i])
        for j in range(start, end):
            u = fanins[j]
            t = 0xFF * u if u <= 1 else -1
            for k in range(n_leaves):
                if leaves[k] == u:
                    t = LEAVES[k]
            for k in range(i + 1, n_nodes):  # an inlined operand, already evaluated
                if nodes[k] == u:
                    t = tables[k]
            tables[MOST_GATES + j - start] = t
        tables[i] = gate_table(op[nodes[i]] & CODE, tables[MOST_GATES:], end - start)
    return tables[0]


@_inlined
def _encode_gate(op, offsets, fanins, row, v, prog, at, counted, leaves, nodes, tables):
    """Write node ``v``'s instruction at ``prog[at:]`` (room for ``_MOST_EXTRA`` + its
    fan-in entries). ``counted`` is the last node encoded as ``AT_LEAST`` (-1: none);
    returns the instruction's length and the new ``counted``."""
    code, start, end = op[v], offsets[v], offsets[v + 1]
    if is_small(op, offsets, fanins, v):
        n, n_nodes = cone(op, offsets, fanins, v, leaves, nodes)
        table = _table(op, offsets, fanins, leaves, n, nodes, n_nodes, tables)
        if n == 0:  # a constant: a table of row 0
            n, leaves[0] = 1, 0
        table &= ARITY_MASK[n]
        prog[at], prog[at + 1] = table_op(n, table), row[v]
        for i in range(n):
            prog[at + 2 + i] = row[leaves[LEAF_ORDER[n, table, i]]]
        return 2 + n, counted
    if code != MAJ:
        prog[at], prog[at + 1], prog[at + 2] = ALL if code == AND else ANY, row[v], end - start
        for j in range(start, end):
            prog[at + 3 + j - start] = row[fanins[j]]
        return 3 + end - start, counted
    k, variables = _majority_form(offsets, fanins, v)
    if 1 < k < variables and counted >= 0 and _same_variables(offsets, fanins, counted, v):
        prog[at], prog[at + 1], prog[at + 2] = COMPARE, row[v], k
        return 3, counted
    if k <= 0 or k > variables:  # a constant: copy row 1 or row 0
        prog[at], prog[at + 1], prog[at + 2], prog[at + 3] = ANY, row[v], 1, 1 if k <= 0 else 0
        return 4, counted
    length = 3 + variables + (k != 1 and k != variables)
    prog[at + 1] = row[v]
    prog[at + 2] = variables
    at += 3
    if k == 1 or k == variables:
        prog[at - 3] = ANY if k == 1 else ALL
    else:
        prog[at - 3], prog[at] = AT_LEAST, k
        at += 1
    for j in range(start, end):
        if fanins[j] > 1:
            prog[at] = row[fanins[j]]
            at += 1
    return length, v if 1 < k < variables else counted


@_compiled
def _encode(op, offsets, fanins, row, order, first, lo, hi):
    prog = np.empty(64, dtype=np.int32)
    leaves = np.empty(MOST_LEAVES, dtype=np.int64)
    nodes = np.empty(MOST_GATES, dtype=np.int64)
    tables = np.empty(MOST_GATES + MOST_LEAVES, dtype=np.int64)
    at, counted = 0, -1
    for t in range(lo, hi):
        v = node_at(order, first, t)
        if evaluated(op[v]):
            prog = grown(prog, at + _MOST_EXTRA + offsets[v + 1] - offsets[v])
            length, counted = _encode_gate(op, offsets, fanins, row, v, prog, at, counted, leaves, nodes, tables)
            at += length
    return prog[:at].copy()


def encode(op: np.ndarray, offsets: np.ndarray, fanins: np.ndarray, row: np.ndarray, order: np.ndarray,
           first: int, lo: int, hi: int) -> np.ndarray:
    """Stage 5: the instruction stream (int32) of positions ``lo .. hi - 1`` of ``order``."""
    return _encode(op, offsets, fanins, row, order, first, lo, hi)
