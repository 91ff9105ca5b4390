"""Stage 4 of a simulation schedule: buffer rows. Each gate, in evaluation
order (``order``), gets a row of the value buffer, and a row is reused once
its value has been read for the last time. The buffer then grows with the
circuit's live width in that order, not with its size.

Rows 0 and 1 hold the constants and rows ``2 .. first_gate - 1`` the input
bits (refilled at the start of every block of samples); output values keep
their rows to the end. A gate's row is taken before its operands' rows are
freed, so a gate never writes a row it reads. The sweep keeps one int32 per
node (its last use, as a position in the order, then its row) and nothing
else per node.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.simulator.fusion import MOST_GATES, MOST_LEAVES, cone, evaluated, is_small, operands
from tc0.simulator.order import grown, node_at

_compiled = njit(cache=True, nogil=True, error_model="numpy")
_NEVER = -1  # last use of a value no gate reads
_KEEP = 2**31 - 1  # last use of an output value: never freed


@_compiled
def _last_uses(op, offsets, fanins, first, outputs, order, n_positions):
    last = np.full(len(op), _NEVER, dtype=np.int32)
    leaves = np.empty(MOST_LEAVES, dtype=np.int64)
    nodes = np.empty(MOST_GATES, dtype=np.int64)
    for t in range(n_positions):
        v = node_at(order, first, t)
        if not evaluated(op[v]):
            continue
        if is_small(op, offsets, fanins, v):  # its cone's leaves are read at t
            for i in range(cone(op, offsets, fanins, v, leaves, nodes)[0]):
                last[leaves[i]] = t
        else:
            start, end = operands(op, offsets, fanins, v)
            for j in range(start, end):
                last[fanins[j]] = t
    for v in outputs:
        last[v] = _KEEP
    return last


@_compiled
def _assign(op, first, row, order, n_positions):
    """Rows in evaluation order; ``row`` holds each node's last use on entry.

    Live rows wait in a min-heap keyed by their value's last use; before
    position t takes a row, the rows of values last read before t are freed
    (onto a stack, so the most recently used row is reused first). The heap
    and the stack hold live values only: nothing beyond ``row`` is kept per node.
    """
    death = np.empty(64, dtype=np.int32)  # the heap: last use, and the row it frees
    held = np.empty(64, dtype=np.int32)
    free = np.empty(64, dtype=np.int32)
    n_heap = n_free = 0
    n_rows = first
    for t in range(-first, n_positions):  # the sources first, at positions before 0
        v = t + first if t < 0 else node_at(order, first, t)
        last = row[v]
        if t >= 0 and not evaluated(op[v]):
            continue
        while n_heap and death[0] < t:  # pop the root, sift the last entry down
            free = grown(free, n_free)
            free[n_free] = held[0]
            n_free += 1
            n_heap -= 1
            d, h = death[n_heap], held[n_heap]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= n_heap:
                    break
                if c + 1 < n_heap and death[c + 1] < death[c]:
                    c += 1
                if death[c] >= d:
                    break
                death[i], held[i] = death[c], held[c]
                i = c
            death[i], held[i] = d, h
        if t < 0:
            r = v
        elif n_free:
            n_free -= 1
            r = free[n_free]
        else:
            r = n_rows
            n_rows += 1
        row[v] = r
        if v >= 2 and last != _NEVER and last != _KEEP:  # the constants' rows are never reused
            death, held = grown(death, n_heap), grown(held, n_heap)
            i = n_heap  # push, sift up
            n_heap += 1
            while i and death[(i - 1) // 2] > last:
                death[i], held[i] = death[(i - 1) // 2], held[(i - 1) // 2]
                i = (i - 1) // 2
            death[i], held[i] = last, r
    return n_rows


def assign_rows(op: np.ndarray, offsets: np.ndarray, fanins: np.ndarray, first: int, outputs: np.ndarray,
                order: np.ndarray, n_positions: int) -> tuple[np.ndarray, int]:
    """Stage 4: ``(row, n_rows)``, each evaluated node's buffer row (int32;
    meaningless for nodes not evaluated) and the rows the buffer needs, for
    evaluation in ``order`` (``n_positions`` positions)."""
    row = _last_uses(op, offsets, fanins, first, outputs, order, n_positions)
    return row, int(_assign(op, first, row, order, n_positions))
