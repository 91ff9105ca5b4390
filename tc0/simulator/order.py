"""Stage 3 of a simulation schedule: the evaluation order.

Gates are evaluated in depth-first post-order from the outputs (each gate
right after the last of its operands' sub-circuits), which keeps the live
width, and so the buffer, small: a value is made shortly before it is read.
Node order (as the builder made them) is often the opposite: a bulk builder
call makes one gate for every row of a tensor, so whole layers are live at
once (attention at n = 4, c = 5: 552,319 rows in node order, 22,983 in
post-order). The order costs 4 bytes per gate; a schedule that cannot
afford it evaluates in node order, given as an empty order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.simulator.fusion import evaluated, operands

_compiled = njit(cache=True, nogil=True, error_model="numpy")
_inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")
NODE_ORDER = np.zeros(0, dtype=np.int32)  # the empty order: node order


@_inlined
def node_at(order, first, t):
    """The node evaluated at position ``t`` (in node order: ``first + t``, possibly not evaluated)."""
    return order[t] if len(order) else first + t


def positions(order: np.ndarray, first: int, n_nodes: int) -> int:
    """The number of positions of ``order``."""
    return len(order) if len(order) else n_nodes - first


@_inlined
def grown(a, n):
    """``a`` with room for one more than ``n`` entries (a copy at least twice as long when full)."""
    if n < len(a):
        return a
    b = np.empty(max(2 * len(a), n + 1), dtype=a.dtype)
    b[: len(a)] = a
    return b


@_compiled
def _post_order(op, offsets, fanins, first, outputs):
    n = len(op)
    done = np.zeros(n, dtype=np.uint8)
    done[:first] = 1
    count = 0
    for v in range(first, n):
        count += evaluated(op[v])
    order = np.empty(count, dtype=np.int32)
    stack = np.empty(64, dtype=np.int32)  # nodes on the path, the next operand of each and its end
    at = np.empty(64, dtype=np.int64)
    end = np.empty(64, dtype=np.int64)
    k = 0
    for root in outputs:
        if done[root]:
            continue
        done[root] = 1
        depth = 1
        stack[0] = root
        at[0], end[0] = operands(op, offsets, fanins, root)
        while depth:
            top = depth - 1
            if at[top] < end[top]:
                u = fanins[at[top]]
                at[top] += 1
                if not done[u]:
                    done[u] = 1
                    stack, at, end = grown(stack, depth), grown(at, depth), grown(end, depth)
                    stack[depth] = u
                    at[depth], end[depth] = operands(op, offsets, fanins, u)
                    depth += 1
            else:
                if evaluated(op[stack[top]]):  # an inlined gate is evaluated by its reader
                    order[k] = stack[top]
                    k += 1
                depth -= 1
    return order


def post_order(op: np.ndarray, offsets: np.ndarray, fanins: np.ndarray, first: int,
               outputs: np.ndarray) -> np.ndarray:
    """Stage 3: the evaluated gates (int32) in depth-first post-order from the outputs."""
    return _post_order(op, offsets, fanins, first, outputs)
