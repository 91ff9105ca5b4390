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
        """Depth of every node: sources 0, a gate 1 + the max over its fan-ins.

        Kahn's algorithm by wavefronts: each round settles every gate whose
        gate fan-ins are all settled, so the loop runs ``depth`` times, each
        round vectorized over its frontier.
        """
        level = np.zeros(self.n_nodes, dtype=np.int32)
        if self.size == 0:
            return level
        edge_gate = np.repeat(np.arange(self.n_nodes), self.fanin_counts())
        from_gate = self.fanins >= self.first_gate
        pending = np.bincount(edge_gate[from_gate], minlength=self.n_nodes)
        fanout_src = self.fanins[from_gate]
        order = np.argsort(fanout_src, kind="stable")
        fanout_dst = edge_gate[from_gate][order]
        fanout_off = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(fanout_src, minlength=self.n_nodes), out=fanout_off[1:])
        gates = np.arange(self.first_gate, self.n_nodes)
        frontier = gates[pending[gates] == 0]
        depth = 0
        while len(frontier):
            depth += 1
            level[frontier] = depth
            _, edges = ragged_rows(fanout_off, fanout_dst, frontier)
            dst = fanout_dst[edges]
            np.subtract.at(pending, dst, 1)
            frontier = np.unique(dst[pending[dst] == 0])
        return level

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
