"""The circuit IR: a strict AND/OR/NOT/MAJ DAG stored as flat numpy arrays.

Node schema: ``tc0.ir.schema`` (and docs/circuit-format.md). Arrays: ``kind``
(uint8, one of the ``Kind`` codes), ``offsets`` (int64, ``n_nodes + 1``; the
fan-ins of node ``v`` are ``fanins[offsets[v]:offsets[v+1]]``), ``fanins``
(int32), ``scope`` (int32 index into ``scopes``, the module/gadget path that
built the gate). Output ports map a name to an array of node ids (any node,
sources included), least significant bit first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from tc0.errors import CircuitError
from tc0.ir import native
from tc0.ir.schema import FIRST_INPUT
from tc0.ir.sweeps import node_levels


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

    def output_ids(self) -> np.ndarray:
        if not self.outputs:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([np.asarray(v, dtype=np.int64) for v in self.outputs.values()])

    # ----------------------------------------------------------------- depth
    @functools.cached_property
    def level(self) -> np.ndarray:
        """Depth of every node: sources 0, a gate 1 + the max over its fan-ins."""
        return node_levels(self.offsets, self.fanins, np.zeros(self.first_gate, dtype=np.int32))

    @property
    def depth(self) -> int:
        """Longest source-to-output path, every gate counting 1."""
        ids = self.output_ids()
        return int(self.level[ids].max()) if len(ids) else 0

    # ----------------------------------------------------------------- files
    def save(self, path) -> None:
        """Write this circuit to ``path`` in the native format (atomically)."""
        native.write(self, path)

    @classmethod
    def load(cls, path) -> Circuit:
        """Read and validate a circuit written by ``save``."""
        return cls(**native.read(path))
