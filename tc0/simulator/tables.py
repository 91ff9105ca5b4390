"""Truth tables of at most three inputs: what a cone of small gates
computes, as one operation code of the program.

A table of arity k has 2^k bits: bit i is the output when leaf j takes the
value of bit j of i. ``LEAVES`` are the leaves' own tables over three
leaves; a function of fewer leaves is the same 8-bit table taken on its low
2^k bits (``table & ARITY_MASK[k]``). The program names a table of arity k
by the operation code ``OP_BASE[k] + table``: codes below ``TABLE_OPS``.
"""

from __future__ import annotations

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


def table_op(k: int, table: int) -> int:
    """The operation code of ``table`` of arity ``k`` (``row_kernels.apply_tableK``)."""
    return OP_BASE[k] + table
