"""Stage 4 of a simulation schedule: the program, one int32 instruction
stream per chunk of positions of the evaluation order, naming buffer rows only (no node ids left to look
up while evaluating).

Instructions (``code, out, ...``; every operand is a buffer row):

* ``AND2 | OR2 | XOR2, out, a, b`` and ``NOT1, out, a``;
* ``MAJ3, out, a, b, c``: a MAJ gate of three fan-ins (constants are rows
  like any other);
* ``ALL | ANY, out, n, a_1 .. a_n``: AND / OR of n >= 1 operands (a copy when
  n = 1: a gate folded to a constant copies row 0 or 1);
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

from tc0.simulator.graph import AND, MAJ, NOT, OR, SKIP, XOR0, XOR1
from tc0.simulator.order import grown, node_at

_compiled = njit(cache=True, nogil=True, error_model="numpy")
_inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")

AND2, OR2, XOR2, NOT1, MAJ3, ALL, ANY, AT_LEAST, COMPARE = range(1, 10)


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
def _encode_gate(op, offsets, fanins, row, v, prog, at, counted):
    """Write node ``v``'s instruction at ``prog[at:]`` (room for 5 + its
    fan-in entries). ``counted`` is the last node encoded as ``AT_LEAST``
    (-1: none); returns the instruction's length and the new ``counted``."""
    code, start, end = op[v], offsets[v], offsets[v + 1]
    if code == XOR0 or code == XOR1:
        o = offsets[fanins[start + code - XOR0]]
        prog[at], prog[at + 1] = XOR2, row[v]
        prog[at + 2], prog[at + 3] = row[fanins[o]], row[fanins[o + 1]]
        return 4, counted
    if code == NOT:
        prog[at], prog[at + 1], prog[at + 2] = NOT1, row[v], row[fanins[start]]
        return 3, counted
    if code == MAJ and end - start == 3:
        prog[at], prog[at + 1] = MAJ3, row[v]
        for j in range(3):
            prog[at + 2 + j] = row[fanins[start + j]]
        return 5, counted
    if (code == AND or code == OR) and end - start == 2:
        prog[at], prog[at + 1] = AND2 if code == AND else OR2, row[v]
        prog[at + 2], prog[at + 3] = row[fanins[start]], row[fanins[start + 1]]
        return 4, counted
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
    at, counted = 0, -1
    for t in range(lo, hi):
        v = node_at(order, first, t)
        if op[v] != SKIP:
            prog = grown(prog, at + 4 + offsets[v + 1] - offsets[v])  # an instruction takes at most 5 + fan-in
            length, counted = _encode_gate(op, offsets, fanins, row, v, prog, at, counted)
            at += length
    return prog[:at].copy()


def encode(op: np.ndarray, offsets: np.ndarray, fanins: np.ndarray, row: np.ndarray, order: np.ndarray,
           first: int, lo: int, hi: int) -> np.ndarray:
    """Stage 4: the instruction stream (int32) of positions ``lo .. hi - 1`` of ``order``."""
    return _encode(op, offsets, fanins, row, order, first, lo, hi)
