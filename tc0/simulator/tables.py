"""Truth tables of at most three inputs: what a cone of small gates
computes, as one operation code of the program.

A table of arity k has 2^k bits: bit i is the output when leaf j takes the
value of bit j of i. ``LEAVES`` are the leaves' own tables over three
leaves; a function of fewer leaves is the same 8-bit table taken on its low
2^k bits (``table & ARITY_MASK[k]``). The program names a table of arity k
by the operation code ``OP_BASE[k] + table``: codes below ``TABLE_OPS``.

Tables are kept canonical under a reordering of their leaves: of the
orderings of a cone's leaves, the program uses the one whose table is least
(``CANONICAL``, ``LEAF_ORDER``), so 80 tables of three leaves (of 256), 12
of two and 4 of one cover every cone, and the compiled kernel has a loop
for each of those only.
"""

from __future__ import annotations

import itertools

import numpy as np
from numba import njit

from tc0.simulator.graph import AND, NOT, OR, XOR0, XOR1

_inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")

#: the tables of leaves 0, 1 and 2 over three leaves
LEAVES = (0xAA, 0xCC, 0xF0)
#: the bits of a table of arity k
ARITY_MASK = (0x1, 0x3, 0xF, 0xFF)
#: the operation codes of the tables of arity 1, 2, 3 start at ``OP_BASE[k]``; ``TABLE_OPS`` codes in all
OP_BASE = (0, 0, 4, 20)
TABLE_OPS = 276


def _canonical_forms() -> tuple[np.ndarray, np.ndarray]:
    """For each arity k and table: the least table over a reordering of the
    leaves, and that reordering (new leaf j is old leaf ``order[j]``)."""
    canonical = np.zeros((4, 256), dtype=np.int64)
    leaf_order = np.zeros((4, 256, 3), dtype=np.int64)
    for k in (1, 2, 3):
        for table in range(ARITY_MASK[k] + 1):
            best = None
            for order in itertools.permutations(range(k)):
                moved = 0
                for i in range(1 << k):  # assignment i of the new leaves is assignment old of the old ones
                    old = sum(((i >> j) & 1) << order[j] for j in range(k))
                    moved |= ((table >> old) & 1) << i
                if best is None or moved < best[0]:
                    best = moved, order
            canonical[k, table] = best[0]
            leaf_order[k, table, :k] = best[1]
    return canonical, leaf_order


#: ``CANONICAL[k, table]``: the least table of arity k equal to ``table`` over reordered leaves,
#: ``LEAF_ORDER[k, table, j]``: the old leaf that becomes leaf j
CANONICAL, LEAF_ORDER = _canonical_forms()


@_inlined
def gate_table(code, tables, n):
    """The table of a gate with operation code ``code`` (of the evaluation
    graph: AND, OR, XOR, NOT, MAJ) over its ``n`` (at most 3) operands' ``tables``."""
    x = tables[0]
    y = tables[1] if n > 1 else x
    z = tables[2] if n > 2 else y
    if code == AND:
        return x & y & z
    if code == OR:
        return x | y | z
    if code == XOR0 or code == XOR1:
        return x ^ y
    if code == NOT:
        return ~x & 0xFF
    if n == 3:  # MAJ: the majority of three; of one or two (strictly more than half), their AND
        return (x & y) | (z & (x | y))
    return x & y


@_inlined
def table_op(k, table):
    """The operation code of ``table`` of arity ``k``: its canonical table's
    (``row_kernels.apply_tableK``), over the leaves in ``LEAF_ORDER[k, table]``."""
    return OP_BASE[k] + CANONICAL[k, table]
