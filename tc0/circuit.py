"""The circuit IR: a strict AND/OR/NOT/MAJ DAG stored as flat numpy arrays.

Node schema (see docs/circuit-format.md):

* node 0 is the constant 0, node 1 the constant 1 (sources, not gates);
* nodes ``2 .. 2+I-1`` are the input bits, port by port in port order, each
  port least significant bit first;
* every later node is a gate. Nodes are in topological order: every fan-in id
  of a gate is smaller than the gate's own id, which makes the DAG acyclic by
  construction and lets every pass run front to back.

Arrays: ``kind`` (uint8, one of the ``Kind`` codes), ``offsets`` (int64,
``n_nodes + 1``; the fan-ins of node ``v`` are ``fanins[offsets[v]:offsets[v+1]]``),
``fanins`` (int32), ``scope`` (int32 index into ``scopes``, the module/gadget
path that built the gate). Output ports map a name to an array of node ids
(any node, sources included), least significant bit first.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

import numpy as np

from tc0.errors import CircuitError


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


@dataclass(frozen=True, eq=False)
class Circuit:
    """An immutable strict threshold circuit. Build one with ``tc0.Builder``."""

    kind: np.ndarray
    offsets: np.ndarray
    fanins: np.ndarray
    scope: np.ndarray
    scopes: tuple[str, ...]
    inputs: dict[str, int]  # port name -> width, in port order
    outputs: dict[str, np.ndarray]  # port name -> node ids, LSB first

    # ----------------------------------------------------------------- sizes
    @property
    def n_nodes(self) -> int:
        return len(self.kind)

    @property
    def n_inputs(self) -> int:
        return sum(self.inputs.values())

    @property
    def first_gate(self) -> int:
        return FIRST_INPUT + self.n_inputs

    @property
    def size(self) -> int:
        """Number of gates (sources are not gates)."""
        return self.n_nodes - self.first_gate

    @property
    def edges(self) -> int:
        """Sum of gate fan-ins."""
        return int(self.offsets[-1])

    @property
    def n_outputs(self) -> int:
        return sum(len(v) for v in self.outputs.values())

    def input_ids(self, name: str) -> np.ndarray:
        """Node ids of input port ``name``, least significant bit first."""
        start = FIRST_INPUT
        for port, width in self.inputs.items():
            if port == name:
                return np.arange(start, start + width)
            start += width
        raise CircuitError(f"no input port named {name!r}")

    def fanin_counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def fanin_of(self, node: int) -> np.ndarray:
        return self.fanins[self.offsets[node] : self.offsets[node + 1]]

    # ----------------------------------------------------------------- depth
    @functools.cached_property
    def level(self) -> np.ndarray:
        """Depth of every node: sources 0, a gate 1 + the max over its fan-ins."""
        from tc0.builder_kernels import node_levels  # the kernels import this module

        return node_levels(self.offsets, self.fanins, self.first_gate)

    @property
    def depth(self) -> int:
        """Longest source-to-output path, every gate counting 1."""
        ids = self.output_ids()
        return int(self.level[ids].max()) if len(ids) else 0

    def save(self, path) -> None:
        """Write this circuit to ``path`` in the native format (atomically)."""
        from tc0.storage import save

        save(self, path)

    def output_ids(self) -> np.ndarray:
        if not self.outputs:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([np.asarray(v, dtype=np.int64) for v in self.outputs.values()])
