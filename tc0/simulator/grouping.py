"""Stage 2 of a simulation schedule: constant folding, level by level, and
the groups and pieces of gates evaluated by one set of calls."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from tc0.ir.circuit import Circuit
from tc0.ir.schema import ONE, ZERO, Kind, majority_threshold, ragged_rows
from tc0.simulator.graph import XOR_GATE, evaluation_graph

#: operand rows per step: bounds the scratch area
STEP_ROWS = 1 << 12


@dataclass
class Piece:
    """Gates evaluated by one set of calls, writing virtual rows ``out .. out + r``."""

    op: int  # Kind.AND, OR, NOT, MAJ or XOR_GATE
    fanins: np.ndarray  # (r, f) virtual rows of the fan-ins
    out: int
    k: np.ndarray | None = None  # MAJ: gate i is 1 iff at least k[i] of its fan-ins are


class Grouper:
    """Stage 2: constant folding, groups and pieces, level by level.

    ``virtual[v]`` is node v's virtual row: sources keep their ids, computed
    gates are numbered in program order, folded gates alias a constant or
    their source. ``steps`` lists the pieces of each step.
    """

    def __init__(self, circuit: Circuit):
        self.circuit = circuit
        self.kind, self.fanins, order, bounds = evaluation_graph(circuit)
        first = circuit.first_gate
        self.virtual = np.empty(circuit.n_nodes, dtype=np.int64)
        self.virtual[:first] = np.arange(first)
        self.n_virtual = first
        self.steps: list[list[Piece]] = [[]]
        self._step_rows = 0
        for lo, hi in pairwise(bounds):
            if hi > lo:
                self._level(order[lo:hi])
                self._close_step()
        if not self.steps[-1]:
            self.steps.pop()

    def _level(self, nodes: np.ndarray) -> None:
        offsets, virtual = self.circuit.offsets, self.virtual
        n = len(nodes)
        op = self.kind[nodes].astype(np.int64)
        row, edges = ragged_rows(offsets, self.fanins, nodes)
        src = virtual[self.fanins[edges]]
        total = offsets[nodes + 1] - offsets[nodes]
        constant = src <= ONE
        if constant.any():
            zeros = np.bincount(row[src == ZERO], minlength=n)
            ones = np.bincount(row[constant], minlength=n) - zeros
        else:
            zeros = ones = np.zeros(n, dtype=np.int64)
        var = total - zeros - ones
        # constant folding: const >= 0 is the constant row a gate folds to
        const = np.full(n, -1, dtype=np.int64)
        is_and, is_or, is_not, is_maj = (op == Kind.AND), (op == Kind.OR), (op == Kind.NOT), (op == Kind.MAJ)
        const[is_and & (var == 0)] = ONE
        const[is_and & (zeros > 0)] = ZERO
        const[is_or & (var == 0)] = ZERO
        const[is_or & (ones > 0)] = ONE
        const[is_not & (ones > 0)] = ZERO
        const[is_not & (zeros > 0)] = ONE
        k = np.where(is_maj, majority_threshold(total, ones), 0)  # MAJ: at least k of the variable fan-ins
        const[is_maj & (k <= 0)] = ONE
        const[is_maj & (k > var)] = ZERO
        live = const < 0
        op[live & is_maj & (k == 1)] = Kind.OR
        op[live & is_maj & (k == var) & (k > 1)] = Kind.AND
        k[op != Kind.MAJ] = 0
        is_xor = op == XOR_GATE  # XOR keeps constant fan-ins: they are rows like any other
        var[is_xor] = 2
        var[~live] = 0
        if constant.any():  # without constant fan-ins only gates with no fan-ins fold: they have no rows
            keep = live[row] & (~constant | is_xor[row])
            row, src = row[keep], src[keep]
        starts = np.cumsum(var) - var  # of each gate's kept fan-ins in src
        # a single variable fan-in left: the gate is a copy of it (unless a NOT)
        copy = (var == 1) & ~is_not
        virtual[nodes[~live]] = const[~live]
        virtual[nodes[copy]] = src[starts[copy]]
        todo = np.flatnonzero(live & ~copy)
        f = _bucket(var)
        todo = todo[np.lexsort((f[todo], op[todo]))]
        key = np.stack([op[todo], f[todo]], axis=1)
        cut = np.flatnonzero(np.any(key[1:] != key[:-1], axis=1)) + 1
        for group in np.split(todo, cut) if len(todo) else []:
            g = group[0]
            mat = _fanin_matrix(src, starts[group], var[group], int(f[g]), ONE if op[g] == Kind.AND else ZERO)
            self._place(nodes[group], int(op[g]), mat, k[group])

    def _place(self, gids: np.ndarray, op: int, mat: np.ndarray, k: np.ndarray) -> None:
        """Give a group's gates consecutive virtual rows and split it into pieces.

        Rows are sorted by their (sorted) fan-ins, so MAJ gates over the same
        fan-ins are adjacent and a piece counts them once.
        """
        if op != Kind.NOT:
            mat.sort(axis=1)
        rank = _row_order(mat)
        mat, k = mat[rank], k[rank]
        out = self.n_virtual
        self.n_virtual += len(mat)
        self.virtual[gids[rank]] = np.arange(out, self.n_virtual)
        f = mat.shape[1]
        if op == Kind.MAJ:
            # scratch rows per gate: its fan-in planes and adders if its fan-ins are new, its count otherwise
            new = np.ones(len(mat), dtype=bool)
            new[1:] = np.any(mat[1:] != mat[:-1], axis=1)
            cost = np.where(new, 4 * f, 2 * f.bit_length())
            cuts = np.flatnonzero(np.diff(np.cumsum(cost) // (4 * STEP_ROWS))) + 1
            for lo, hi in zip([0, *cuts], [*cuts, len(mat)]):  # its work planes follow its operands: own step
                self._close_step()
                self.steps[-1].append(Piece(op, mat[lo:hi], out + lo, k[lo:hi]))
                self._close_step()
            return
        piece = max(1, STEP_ROWS // f)
        for lo in range(0, len(mat), piece):
            self.steps[-1].append(Piece(op, mat[lo : lo + piece], out + lo))
            self._step_rows += self.steps[-1][-1].fanins.size
            if self._step_rows >= STEP_ROWS:
                self._close_step()

    def _close_step(self) -> None:
        if self.steps[-1]:
            self.steps.append([])
        self._step_rows = 0


def _row_order(mat: np.ndarray) -> np.ndarray:
    """Stable order of the rows of ``mat`` (non-negative) sorted lexicographically.

    Each row is one big-endian byte string, compared whole: np.lexsort would
    take one key per column, about a kilobyte per entry on a gate of 10^6 fan-ins."""
    keys = np.ascontiguousarray(mat, dtype=">i8").view(np.dtype((np.void, 8 * mat.shape[1])))
    return np.argsort(keys.reshape(-1), kind="stable")


def _bucket(f: np.ndarray) -> np.ndarray:
    """Fan-in rounded up to one of 8 buckets per octave (<= 12.5% padding)."""
    bit_length = np.frexp(f.astype(np.float64))[1].astype(np.int64)
    step = np.left_shift(1, np.maximum(0, bit_length - 4))
    return -(-f // step) * step


def _fanin_matrix(src: np.ndarray, starts: np.ndarray, lengths: np.ndarray, f: int, pad: int) -> np.ndarray:
    """(gates, f) fan-in rows; rows shorter than f are padded with ``pad``."""
    if np.all(lengths == f):
        return src[starts[:, None] + np.arange(f)]
    mat = np.full((len(starts), f), pad, dtype=np.int64)
    row = np.repeat(np.arange(len(starts)), lengths)
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    mat[row, within] = src[np.repeat(starts, lengths) + within]
    return mat
