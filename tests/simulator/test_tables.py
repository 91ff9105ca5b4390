"""The simulator's truth tables (``tc0.simulator.tables``) against plain Python:

* ``gate_table``: the table of a small gate against a per-assignment
  evaluation of the gate (AND = all, OR = any, XOR = odd parity of two, NOT
  = not, MAJ = more than half), over constant, leaf and random operand tables;
* ``CANONICAL`` / ``LEAF_ORDER``: for every table of every arity, the
  canonical table over the reordered leaves computes the table over the
  leaves, on every assignment; it is the least such table; and there are 4,
  12 and 80 canonical tables of one, two and three leaves (the classes of
  Boolean functions under permutation of their inputs).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tc0.simulator.graph import AND, MAJ, NOT, OR, XOR0, XOR1
from tc0.simulator.tables import CANONICAL, LEAF_ORDER, gate_table


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


def value(table: int, bits: tuple[int, ...]) -> int:
    """The table's output when leaf j has value ``bits[j]``."""
    return (table >> sum(b << j for j, b in enumerate(bits))) & 1


def reordered(table: int, k: int, order: tuple[int, ...]) -> int:
    """The table over the leaves reordered so that new leaf j is old leaf ``order[j]``."""
    out = 0
    for i in range(1 << k):
        new = [(i >> j) & 1 for j in range(k)]
        old = [0] * k
        for j in range(k):
            old[order[j]] = new[j]
        out |= value(table, tuple(old)) << i
    return out


@pytest.mark.parametrize("k", [1, 2, 3])
def test_canonical_tables(k):
    """The canonical table over the reordered leaves is the table; no reordering gives a lesser one."""
    for table in range(1 << (1 << k)):
        canonical, order = int(CANONICAL[k, table]), tuple(int(j) for j in LEAF_ORDER[k, table, :k])
        assert sorted(order) == list(range(k)), table
        for bits in itertools.product((0, 1), repeat=k):  # old leaf values
            assert value(canonical, tuple(bits[order[j]] for j in range(k))) == value(table, bits), (table, bits)
        assert canonical == min(reordered(table, k, p) for p in itertools.permutations(range(k))), table


@pytest.mark.parametrize("k, count", [(1, 4), (2, 12), (3, 80)])
def test_canonical_table_count(k, count):
    assert len(set(CANONICAL[k, : 1 << (1 << k)].tolist())) == count
