"""Lowering of strict AND/OR/NOT/MAJ circuits to 2-input AND/XOR + INV
netlists (the Bristol Fashion basis), shared by the Bristol exporter (every
gate) and the BLIF exporter (MAJ gates too wide for a cover).

Everything is array code: each ``Xag`` call emits one gate per element of its
arguments, and ``gate_groups`` hands out the circuit's gates as fan-in
matrices, one per (level, kind, fan-in, threshold).

Lowering rules:

* NOT -> INV (double negation folds, and each wire has at most one INV);
* AND of fan-in f -> a balanced tree of f - 1 two-input ANDs;
* OR -> De Morgan: INV of the AND tree of the INVs of the fan-ins;
* MAJ -> constant fan-ins are folded into a threshold "at least k of the r
  variable fan-ins" (a fan-in repeated t times counts t times); k <= 0 and
  k > r are the constants 1 and 0. Otherwise the r bits are summed by a
  Wallace tree of full adders (1 AND + 4 XOR) and half adders into a binary
  count c, and c > k - 1 is decided from the least significant bit up:
  g_j = c_j AND g_(j-1) where bit j of k - 1 is 1, c_j OR g_(j-1) where it is
  0, with g_(-1) = 0. Size is linear in r, depth O(log^2 r).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tc0.growable import GrowableArray
from tc0.ir.circuit import Circuit
from tc0.ir.schema import ONE, ZERO, Kind, majority_threshold, ragged_rows

AND2, XOR2, INV = 0, 1, 2
_SOURCE = 255  # op code of the wires an Xag starts with


class Xag:
    """A growing netlist of 2-input AND/XOR and INV gates over integer wires.

    Wires ``0 .. n_base - 1`` are given by the caller (e.g. a circuit's
    constants and inputs); every gate appends one wire. Gate ``g`` (0-based)
    drives wire ``n_base + g``, and its fan-ins are earlier wires.
    """

    def __init__(self, n_base: int):
        self.n_base = n_base
        self._op = GrowableArray(np.uint8)
        self._a = GrowableArray(np.int64)
        self._b = GrowableArray(np.int64)
        self._inv = GrowableArray(np.int64)  # per wire: the INV gate reading it, or -1
        self._op.extend(np.full(n_base, _SOURCE, dtype=np.uint8))
        for arr in (self._a, self._b, self._inv):
            arr.extend(np.full(n_base, -1, dtype=np.int64))

    @property
    def n_wires(self) -> int:
        return self._op.n

    def gates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(op, a, b)`` of every gate in emission order (``b`` is -1 for INV)."""
        n = self.n_base
        return self._op.view[n:].copy(), self._a.view[n:].copy(), self._b.view[n:].copy()

    def _add(self, op: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.broadcast_arrays(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
        ids = np.arange(self.n_wires, self.n_wires + a.size, dtype=np.int64)
        self._op.extend(np.full(a.size, op, dtype=np.uint8))
        self._a.extend(a.reshape(-1))
        self._b.extend(b.reshape(-1))
        self._inv.extend(np.full(a.size, -1, dtype=np.int64))
        return ids.reshape(a.shape)

    def and_(self, a, b) -> np.ndarray:
        return self._add(AND2, a, b)

    def xor(self, a, b) -> np.ndarray:
        return self._add(XOR2, a, b)

    def not_(self, a) -> np.ndarray:
        """INV of each wire, reusing an existing INV and folding INV(INV x) to x."""
        a = np.asarray(a, dtype=np.int64)
        flat = a.reshape(-1)
        out = np.where(self._op.view[flat] == INV, self._a.view[flat], self._inv.view[flat])
        need = out < 0
        if need.any():
            uniq, which = np.unique(flat[need], return_inverse=True)
            new = self._add(INV, uniq, np.full(len(uniq), -1))
            self._inv.view[uniq] = new
            out[need] = new[which]
        return out.reshape(a.shape)

    def or_(self, a, b) -> np.ndarray:
        return self.not_(self.and_(self.not_(a), self.not_(b)))

    def and_tree(self, x: np.ndarray) -> np.ndarray:
        """AND of each row of ``x`` (shape ``(g, f)``), a balanced tree of depth ceil(log2 f)."""
        while x.shape[1] > 1:
            half = x.shape[1] // 2
            x = np.concatenate([self.and_(x[:, :half], x[:, half : 2 * half]), x[:, 2 * half :]], axis=1)
        return x[:, 0]

    def or_tree(self, x: np.ndarray) -> np.ndarray:
        """OR of each row of ``x`` by De Morgan."""
        return self.not_(self.and_tree(self.not_(x)))

    def popcount(self, x: np.ndarray) -> list[np.ndarray]:
        """Binary count of the 1s in each row of ``x`` (shape ``(g, r)``), LSB first."""
        pending = {0: [x]}  # weight -> column blocks still to add
        bits = []
        weight = 0
        while weight in pending:
            col = np.concatenate(pending.pop(weight), axis=1)
            while col.shape[1] > 2:  # one Wallace layer: every triple at once
                m = col.shape[1] // 3
                a, b, c = col[:, :m], col[:, m : 2 * m], col[:, 2 * m : 3 * m]
                ac = self.xor(a, c)
                carry = self.xor(self.and_(ac, self.xor(b, c)), c)
                pending.setdefault(weight + 1, []).append(carry)
                col = np.concatenate([self.xor(ac, b), col[:, 3 * m :]], axis=1)
            if col.shape[1] == 2:
                pending.setdefault(weight + 1, []).append(self.and_(col[:, :1], col[:, 1:]))
                col = self.xor(col[:, :1], col[:, 1:])
            bits.append(col[:, 0])
            weight += 1
        return bits

    def threshold(self, x: np.ndarray, k: int) -> np.ndarray:
        """Per row of ``x`` (shape ``(g, r)``): 1 iff at least ``k`` are 1, for 1 <= k <= r."""
        t = k - 1
        greater = None  # count > t restricted to the low bits seen so far; None = constant 0
        for j, bit in enumerate(self.popcount(x)):
            if (t >> j) & 1:
                greater = None if greater is None else self.and_(bit, greater)
            else:
                greater = bit if greater is None else self.or_(bit, greater)
        return greater


def gate_groups(circuit: Circuit) -> Iterator[tuple[Kind, np.ndarray, np.ndarray, int]]:
    """Yield ``(kind, gates, fanins, k)`` per (level, kind, fan-in, k) group, in level order.

    ``fanins`` has shape ``(len(gates), F)``. For MAJ the constant fan-ins are
    dropped and folded into ``k``: the gate is "at least k of the remaining F"
    (F may be 0; k may be <= 0 or > F). For other kinds ``k`` is 0 and the
    fan-ins are as stored.
    """
    gates = np.arange(circuit.first_gate, circuit.n_nodes)
    if len(gates) == 0:
        return
    kind = circuit.kind[gates]
    counts = circuit.fanin_counts()[gates]
    row, edges = ragged_rows(circuit.offsets, circuit.fanins, gates)
    src = circuit.fanins[edges].astype(np.int64)
    is_maj = kind == Kind.MAJ
    drop = is_maj[row] & (src <= ONE)
    ones = np.bincount(row[is_maj[row] & (src == ONE)], minlength=len(gates))
    k = np.where(is_maj, majority_threshold(counts, ones), 0)
    width = counts - np.bincount(row[drop], minlength=len(gates))
    src = src[~drop]
    row_start = np.zeros(len(gates) + 1, dtype=np.int64)
    np.cumsum(width, out=row_start[1:])
    level = circuit.level[gates]
    order = np.lexsort((k, width, kind, level))
    key = np.stack([level, kind, width, k], axis=1)[order]
    bounds = np.concatenate([[0], np.flatnonzero(np.any(key[1:] != key[:-1], axis=1)) + 1, [len(gates)]])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        rows = order[lo:hi]
        _, sel = ragged_rows(row_start, src, rows)
        yield Kind(int(key[lo, 1])), gates[rows], src[sel].reshape(len(rows), int(key[lo, 2])), int(key[lo, 3])


def lower_circuit(circuit: Circuit) -> tuple[Xag, np.ndarray]:
    """Lower every gate of ``circuit`` to an ``Xag`` whose base wires are the
    circuit's constants and inputs (wire = node id for those). Returns the
    netlist and ``wire``, the Xag wire computing each circuit node."""
    xag = Xag(circuit.first_gate)
    wire = np.empty(circuit.n_nodes, dtype=np.int64)
    wire[: circuit.first_gate] = np.arange(circuit.first_gate)
    for kind, gates, fanins, k in gate_groups(circuit):
        x = wire[fanins]
        if kind == Kind.NOT:
            wire[gates] = xag.not_(x[:, 0])
        elif kind == Kind.AND:
            wire[gates] = xag.and_tree(x)
        elif kind == Kind.OR:
            wire[gates] = xag.or_tree(x)
        elif k <= 0 or k > x.shape[1]:
            wire[gates] = ONE if k <= 0 else ZERO
        else:
            wire[gates] = xag.threshold(x, k)
    return xag, wire
