"""The node schema of a circuit (docs/circuit-format.md): node type codes,
the fixed ids of the constants and the first input, and the helpers that read
the fan-in lists stored as ``offsets``/``fanins`` (CSR) arrays.

* node 0 is the constant 0, node 1 the constant 1 (sources, not gates);
* nodes ``2 .. 2+I-1`` are the input bits, port by port in port order, each
  port least significant bit first;
* every later node is a gate, in topological order: every fan-in id of a gate
  is smaller than the gate's own id.
"""

from __future__ import annotations

import enum

import numpy as np


class Kind(enum.IntEnum):
    """Node type codes stored in ``Circuit.kind``."""

    CONST0 = 0
    CONST1 = 1
    INPUT = 2
    AND = 3
    OR = 4
    NOT = 5
    MAJ = 6


GATE_KINDS = (Kind.AND, Kind.OR, Kind.NOT, Kind.MAJ)
ZERO, ONE = 0, 1  # node ids of the two constants
FIRST_INPUT = 2
#: the most nodes a circuit can have: node ids (and so fan-in ids) are int32
MAX_NODES = 2**31 - 1


def majority_threshold(fanin_count, ones):
    """MAJ over ``fanin_count`` fan-ins (strict majority), ``ones`` of them the
    constant 1: the gate is 1 iff at least this many of the others are 1
    (<= 0: always; above their number: never). Works elementwise on arrays."""
    return fanin_count // 2 + 1 - ones


def ragged_rows(offsets: np.ndarray, fanins: np.ndarray, nodes: np.ndarray):
    """Return (row index per edge, edge ids) of the fan-ins of ``nodes``."""
    starts = offsets[nodes]
    counts = offsets[nodes + 1] - starts
    row = np.repeat(np.arange(len(nodes)), counts)
    shift = starts - (np.cumsum(counts) - counts)  # edge id minus its position in the output
    edges = np.arange(len(row)) + shift[row]
    return row, edges
