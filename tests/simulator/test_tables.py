"""The truth table of a small gate (``tc0.simulator.tables.gate_table``)
against a per-assignment Python evaluation of the gate (AND = all, OR = any,
XOR = odd parity of two, NOT = not, MAJ = more than half), over constant,
leaf and random operand tables.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tc0.simulator.graph import AND, MAJ, NOT, OR, XOR0, XOR1
from tc0.simulator.tables import gate_table


def expected_gate(code: int, tables: tuple[int, ...]) -> int:
    """The gate's table over 3 leaves, one assignment (bit i) at a time."""
    out = 0
    for i in range(8):
        x = [bool((t >> i) & 1) for t in tables]
        if code == AND:
            bit = all(x)
        elif code == OR:
            bit = any(x)
        elif code in (XOR0, XOR1):
            assert len(x) == 2
            bit = x[0] != x[1]
        elif code == NOT:
            assert len(x) == 1
            bit = not x[0]
        else:
            bit = 2 * sum(x) > len(x)
        out |= int(bit) << i
    return out


LEAF_TABLES = (0x00, 0xFF, 0xAA, 0xCC, 0xF0)  # constants and the three leaves


@pytest.mark.parametrize(
    "code, n",
    [(AND, 1), (AND, 2), (AND, 3), (OR, 1), (OR, 2), (OR, 3), (XOR0, 2), (XOR1, 2), (NOT, 1),
     (MAJ, 1), (MAJ, 2), (MAJ, 3)],
)
def test_gate_table(code, n):
    """Every combination of constant and leaf operand tables, then random 8-bit ones."""
    rng = np.random.default_rng(code * 10 + n)
    cases = list(itertools.product(LEAF_TABLES, repeat=n))
    cases += [tuple(int(t) for t in rng.integers(0, 256, size=n)) for _ in range(300)]
    for tables in cases:
        got = gate_table(code, np.array(tables, dtype=np.int64), n)
        assert got == expected_gate(code, tables), (code, n, [hex(t) for t in tables])
