"""Lowering of strict AND/OR/NOT/MAJ circuits to 2-input AND/XOR + INV
netlists (the Bristol Fashion basis), shared by the Bristol exporter (every
gate) and the BLIF exporter (MAJ gates too wide for a cover).

Everything is array code: each ``Xag`` call emits one gate per element of its
arguments, and ``gate_groups`` hands out the circuit's gates as fan-in
matrices, one per (level, kind, fan-in, threshold). An exporter lowers in
chunks: the netlist hands its gates to a callback about every
``CHUNK_GATES`` gates (between groups, and between the steps of a wide
gate's tree) and forgets them, and ``ChunkSpill`` parks them in an
anonymous scratch file until the exporter writes them; so an export holds
the circuit, a few numbers per gate and one chunk, never the whole netlist.

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

from collections.abc import Callable, Iterator

import numpy as np
from numba import njit

from tc0.growable import GrowableArray, grow_in_place
from tc0.ir.circuit import Circuit
from tc0.ir.schema import ONE, ZERO, Kind, majority_threshold, ragged_rows

AND2, XOR2, INV = 0, 1, 2
#: gates an exporter lets a netlist (``Xag``) hold before it writes them out and
#: forgets them (``Xag.full``, ``Xag.take``): bounds the memory of an export
CHUNK_GATES = 1 << 18


class Xag:
    """A growing netlist of 2-input AND/XOR and INV gates over integer wires,
    handed out in chunks.

    Wires ``0 .. n_base - 1`` are given by the caller (e.g. a circuit's
    constants and inputs); every gate appends one wire. Gate ``g`` (0-based)
    drives wire ``n_base + g``, and its fan-ins are earlier wires. ``take``
    hands out the gates emitted since the last take and forgets them,
    keeping only what ``not_`` needs to go on sharing INVs: the "partner" of
    base wires and of the wires it is told to keep (the INV reading a wire,
    or for an INV the wire it reads). So the gates emitted, and their wire
    numbers, are the same however often ``take`` is called.

    With ``on_full``, the netlist takes its own gates and hands them to
    ``on_full(first wire, op, a, b)`` at each ``checkpoint`` where it is
    ``full`` (the trees check between their steps), keeping the wires
    ``pin`` named since the last take and those the step still uses;
    ``flush`` hands out the rest.
    """

    def __init__(self, n_base: int, on_full: Callable | None = None):
        self.n_base = n_base
        self._on_full = on_full
        self._pinned: list[np.ndarray] = []  # wires to keep at the next take
        self._base_partner = np.full(n_base, -1, dtype=np.int64)
        self._kept = GrowableArray(np.int64)  # wires before the chunk whose partner is kept, rising
        self._kept_partner = GrowableArray(np.int64)
        self._new_chunk(n_base, 1024)

    def _new_chunk(self, start: int, capacity: int) -> None:
        self._start = start  # first wire of the gates not yet taken
        self._n = 0  # gates not yet taken
        self._op = np.empty(capacity, dtype=np.uint8)
        self._a = np.empty(capacity, dtype=np.int64)
        self._b = np.empty(capacity, dtype=np.int64)
        self._partner = np.empty(capacity, dtype=np.int64)
        self._old_mates: list[np.ndarray] = []  # INVs made in this chunk for wires before it

    @property
    def n_wires(self) -> int:
        return self._start + self._n

    def full(self) -> bool:
        """Whether the gates not yet taken reach ``CHUNK_GATES``."""
        return self._n >= CHUNK_GATES

    def gates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(op, a, b)`` of the gates not yet taken (every gate if ``take`` was
        never called), in emission order (``b`` is -1 for INV)."""
        n = self._n
        return self._op[:n].copy(), self._a[:n].copy(), self._b[:n].copy()

    def take(self, *keep) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """``(first wire, op, a, b)`` of the gates not yet taken, which the
        netlist then forgets. Later calls may read only base wires, wires
        taken before, the wires in the arrays ``keep`` or pinned, and the
        ones ``not_`` returns for those."""
        first, n = self._start, self._n
        partner = self._partner[:n]
        keep = np.concatenate([np.empty(0, dtype=np.int64), *(np.asarray(w, dtype=np.int64).reshape(-1)
                                                              for w in (*keep, *self._pinned))])
        self._pinned = []
        kept = _unique(np.concatenate([keep[keep >= first], *self._old_mates]))
        mates = partner[kept - first]
        kept = _unique(np.concatenate([kept, mates[mates >= first]]))
        self._kept.extend(kept)
        self._kept_partner.extend(partner[kept - first])
        taken = (first, self._op[:n], self._a[:n], self._b[:n])
        self._new_chunk(first + n, len(self._op))
        return taken

    def pin(self, wires) -> None:
        """With ``on_full``: keep ``wires`` at the next take (e.g. the wires of
        circuit nodes that later gates read)."""
        if self._on_full is not None:
            self._pinned.append(np.asarray(wires, dtype=np.int64).reshape(-1))

    def checkpoint(self, *live) -> None:
        """With ``on_full``, if ``full``: take the gates (keeping the pinned
        wires and the arrays of wires ``live``) and hand them out."""
        if self._on_full is not None and self.full():
            self._on_full(*self.take(*live))

    def flush(self) -> None:
        """With ``on_full``: hand out the gates not yet taken, if any."""
        if self._on_full is not None and self._n:
            self._on_full(*self.take())

    def _add(self, op: int, a, b) -> np.ndarray:
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        if a.shape != b.shape:
            a, b = np.broadcast_arrays(a, b)
        lo, hi = self._n, self._n + a.size
        if hi > len(self._op):
            for arr in (self._op, self._a, self._b, self._partner):
                grow_in_place(arr, max(hi, 2 * len(arr)))
        self._op[lo:hi] = op
        self._a[lo:hi] = a.reshape(-1)
        self._b[lo:hi] = b.reshape(-1)
        self._partner[lo:hi] = -1
        self._n = hi
        return np.arange(self._start + lo, self._start + hi, dtype=np.int64).reshape(a.shape)

    def _partner_slots(self, wires: np.ndarray):
        """Per place where partners live (base, kept, this chunk): (mask of
        ``wires`` there, the array, their indices in it)."""
        base = wires < self.n_base
        local = wires >= self._start
        old = ~(base | local)
        slots = [(base, self._base_partner, wires[base]), (local, self._partner, wires[local] - self._start)]
        if old.any():
            keys = self._kept.view
            pos = np.searchsorted(keys, wires[old])
            if np.any(pos >= len(keys)) or np.any(keys[np.minimum(pos, len(keys) - 1)] != wires[old]):
                raise RuntimeError("Xag: a wire taken before and not kept was read again")
            slots.append((old, self._kept_partner.view, pos))
        return slots

    def and_(self, a, b) -> np.ndarray:
        return self._add(AND2, a, b)

    def xor(self, a, b) -> np.ndarray:
        return self._add(XOR2, a, b)

    def not_(self, a) -> np.ndarray:
        """INV of each wire, reusing an existing INV and folding INV(INV x) to x."""
        a = np.asarray(a, dtype=np.int64)
        flat = a.reshape(-1)
        out = np.empty(len(flat), dtype=np.int64)
        for mask, partners, index in self._partner_slots(flat):
            out[mask] = partners[index]
        need = out < 0
        if need.any():
            uniq, which = _unique(flat[need], inverse=True)
            new = self._add(INV, uniq, -1)
            for mask, partners, index in self._partner_slots(uniq):
                partners[index] = new[mask]
            self._partner[new - self._start] = uniq
            self._old_mates.append(new[uniq < self._start])
            out[need] = new[which]
        return out.reshape(a.shape)

    def or_(self, a, b) -> np.ndarray:
        return self.not_(self.and_(self.not_(a), self.not_(b)))

    def and_tree(self, x: np.ndarray) -> np.ndarray:
        """AND of each row of ``x`` (shape ``(g, f)``), a balanced tree of depth ceil(log2 f)."""
        while x.shape[1] > 1:
            half = x.shape[1] // 2
            x = np.concatenate([self.and_(x[:, :half], x[:, half : 2 * half]), x[:, 2 * half :]], axis=1)
            self.checkpoint(x)
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
                self.checkpoint(col, *bits, *(block for blocks in pending.values() for block in blocks))
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
        bits = self.popcount(x)
        for j, bit in enumerate(bits):
            if (t >> j) & 1:
                greater = None if greater is None else self.and_(bit, greater)
            else:
                greater = bit if greater is None else self.or_(bit, greater)
            self.checkpoint(*bits[j + 1 :], *([] if greater is None else [greater]))
        return greater


def _unique(x: np.ndarray, inverse: bool = False):
    """``np.unique(x)`` (and with ``inverse``, the index of each element's
    value in it) by one sort, faster than numpy's own for int arrays."""
    order = np.argsort(x, kind="stable")
    ranked = x[order]
    new = np.ones(len(x), dtype=bool)
    new[1:] = ranked[1:] != ranked[:-1]
    if not inverse:
        return ranked[new]
    which = np.empty(len(x), dtype=np.int64)
    which[order] = np.cumsum(new) - 1
    return ranked[new], which


def gate_groups(circuit: Circuit) -> Iterator[tuple[Kind, np.ndarray, np.ndarray, int]]:
    """Yield ``(kind, gates, fanins, k)`` per (level, kind, fan-in, k) group, in level order.

    ``fanins`` has shape ``(len(gates), F)``. For MAJ the constant fan-ins are
    dropped and folded into ``k``: the gate is "at least k of the remaining F"
    (F may be 0; k may be <= 0 or > F). For other kinds ``k`` is 0 and the
    fan-ins are as stored. Holds a few numbers per gate, and one group's
    fan-ins at a time.
    """
    first = circuit.first_gate
    if circuit.n_nodes == first:
        return
    kind = circuit.kind[first:]
    counts = np.diff(circuit.offsets[first:])
    zeros, ones = _constant_fanins(circuit.offsets, circuit.fanins, first)
    is_maj = kind == Kind.MAJ
    k = np.where(is_maj, majority_threshold(counts, ones), 0)
    width = np.where(is_maj, counts - zeros - ones, counts)
    del counts, zeros, ones, is_maj
    keys = (k, width, kind, circuit.level[first:])
    order = np.lexsort(keys)
    change = np.zeros(len(order), dtype=bool)
    change[0] = True
    for key in keys:
        ranked = key[order]
        change[1:] |= ranked[1:] != ranked[:-1]
    bounds = [*np.flatnonzero(change).tolist(), len(order)]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        rows = order[lo:hi]
        gates = rows + first
        group_kind, group_width = Kind(int(kind[rows[0]])), int(width[rows[0]])
        _, edges = ragged_rows(circuit.offsets, circuit.fanins, gates)
        src = circuit.fanins[edges].astype(np.int64)
        if group_kind == Kind.MAJ:
            src = src[src > ONE]
        yield group_kind, gates, src.reshape(len(rows), group_width), int(k[rows[0]])


@njit(cache=True, nogil=True)
def _constant_fanins(offsets, fanins, first):
    """Per gate (nodes ``first`` on): how many of its fan-ins are the constant 0, and the constant 1."""
    n = len(offsets) - 1 - first
    zeros = np.zeros(n, dtype=np.int64)
    ones = np.zeros(n, dtype=np.int64)
    for i in range(n):
        for j in range(offsets[first + i], offsets[first + i + 1]):
            if fanins[j] == ZERO:
                zeros[i] += 1
            elif fanins[j] == ONE:
                ones[i] += 1
    return zeros, ones


def lower_circuit(circuit: Circuit, on_chunk: Callable | None = None) -> tuple[Xag, np.ndarray]:
    """Lower every gate of ``circuit`` to an ``Xag`` whose base wires are the
    circuit's constants and inputs (wire = node id for those). Returns the
    netlist and ``wire``, the Xag wire computing each circuit node.

    Without ``on_chunk`` the netlist holds every gate. With it, the netlist
    hands its gates to ``on_chunk(first wire, op, a, b)`` about every
    ``CHUNK_GATES`` gates and at the end (``Xag`` with ``on_full``), and
    forgets them: the gates and wires handed out are the same either way.
    """
    xag = Xag(circuit.first_gate, on_chunk)
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
        xag.pin(wire[gates])
        xag.checkpoint()
    xag.flush()
    return xag, wire


class ChunkSpill:
    """Netlist chunks (what ``Xag.take`` hands out) parked in ``scratch``, a
    binary file opened for reading and writing (an anonymous temp file,
    ``tc0.files.scratch_file``), and read back in order by ``chunks``."""

    def __init__(self, scratch):
        self._file = scratch
        self._chunks: list[tuple[int, int]] = []  # (first wire, gates)

    def add(self, first: int, op: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        for array in (op, a, b):
            self._file.write(np.ascontiguousarray(array).tobytes())
        self._chunks.append((first, len(op)))

    def chunks(self) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """Each chunk added, as ``(first wire, op, a, b)``."""
        self._file.seek(0)
        for first, n in self._chunks:
            op = np.frombuffer(self._file.read(n), dtype=np.uint8)
            a, b = (np.frombuffer(self._file.read(8 * n), dtype=np.int64) for _ in range(2))
            yield first, op, a, b
