"""Bulk circuit construction with canonical gates, constant folding and
structural hashing.

Every builder call takes numpy arrays of node ids and emits one gate per row,
for all rows at once: ``b.gate(Kind.AND, x)`` with ``x`` of shape ``(..., F)``
returns the ids of ``prod(...)`` AND gates of fan-in ``F``, shape ``(...)``.
Gadgets are written as array code over wire tensors, never a Python call per
gate.

On the way in each gate is put into a canonical form, so that equal functions
of equal fan-ins become one gate:

* AND/OR: fan-ins sorted and deduplicated, neutral constants dropped, an
  absorbing constant or a complementary pair (x, NOT x) folds the gate to a
  constant, a single remaining fan-in is returned as is;
* MAJ is kept as a threshold "at least k of the variable fan-ins": constant
  fan-ins are folded into k, k <= 0 / k > r give constants, k = 1 gives OR,
  k = r gives AND, and a true threshold becomes the MAJ with the fewest
  padding constants (``|r + 1 - 2k|`` of them);
* NOT of a constant folds, NOT(NOT x) is x.

Structural hashing keys each canonical gate by a 64-bit fingerprint of
(kind, fan-ins); a fingerprint match is confirmed by comparing the fan-ins
exactly, so a hash collision can only cost sharing, never correctness.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from tc0.circuit import FIRST_INPUT, ONE, ZERO, Circuit, Kind, ragged_rows
from tc0.errors import CircuitError

#: largest number of fan-in entries one batch step of ``gate`` (AND/OR rows) materialises
_CHUNK_ENTRIES = 1 << 22
#: nodes per step of ``build``'s fan-in compaction
_BUILD_STEP_NODES = _CHUNK_ENTRIES // 8


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


class GrowableArray:
    """An append-only numpy array with amortised doubling."""

    def __init__(self, dtype, capacity: int = 1024):
        self._data = np.zeros(capacity, dtype=dtype)
        self.n = 0

    def extend(self, values) -> None:
        values = np.asarray(values)
        need = self.n + len(values)
        if need > len(self._data):
            grown = np.zeros(max(need, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self.n] = self._data[: self.n]
            self._data = grown
        self._data[self.n : need] = values
        self.n = need

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.n]


class _GateTable:
    """Fingerprint -> node id map, as a log-structured set of sorted runs.

    Lookups and inserts are vectorized (``searchsorted`` per run); runs of
    similar size are merged, so there are O(log n) runs and insertion is
    amortised O(log n) per key.
    """

    def __init__(self):
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        found = np.full(len(keys), -1, dtype=np.int64)
        for run_keys, run_ids in self._runs:
            pos = np.searchsorted(run_keys, keys)
            pos[pos == len(run_keys)] = 0
            hit = run_keys[pos] == keys
            found[hit] = run_ids[pos[hit]]
        return found

    def insert(self, keys: np.ndarray, ids: np.ndarray) -> None:
        if len(keys) == 0:
            return
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], ids[order]))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (k2, i2), (k1, i1) = self._runs.pop(), self._runs.pop()
            keys_all = np.concatenate([k1, k2])
            order = np.argsort(keys_all, kind="stable")
            self._runs.append((keys_all[order], np.concatenate([i1, i2])[order]))


class Builder:
    """Builds a ``Circuit`` in bulk. See the module docstring."""

    #: fingerprint function of canonical rows; replaceable in tests to force collisions
    fingerprint_entries = staticmethod(_mix64)

    def __init__(self):
        self._kind = GrowableArray(np.uint8)
        self._level = GrowableArray(np.int32)
        self._scope = GrowableArray(np.int32)
        self._offsets = GrowableArray(np.int64)
        self._fanins = GrowableArray(np.int32)
        self._offsets.extend([0])
        self._kind.extend([Kind.CONST0, Kind.CONST1])
        self._level.extend([0, 0])
        self._scope.extend([0, 0])
        self._offsets.extend([0, 0])
        self._inputs: dict[str, np.ndarray] = {}
        self._outputs: dict[str, np.ndarray] = {}
        self._scopes: list[str] = [""]
        self._scope_ids: dict[str, int] = {"": 0}
        self._stack: list[str] = []
        self._current_scope = 0
        self._table = _GateTable()

    # -------------------------------------------------------------- ports
    @property
    def n_nodes(self) -> int:
        return self._kind.n

    def input(self, name: str, width: int) -> np.ndarray:
        """Add an input port of ``width`` bits; returns their ids, LSB first."""
        _check_port_name(name, self._inputs)
        if int(width) < 1:
            raise CircuitError(f"input port {name!r}: width must be >= 1, got {width}")
        ids = self._append_sources(Kind.INPUT, int(width))
        self._inputs[name] = ids
        return ids

    def output(self, name: str, ids) -> None:
        """Declare an output port: ``ids`` (any shape) flattened, LSB first."""
        _check_port_name(name, self._outputs)
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(ids) == 0:
            raise CircuitError(f"output port {name!r} has no bits")
        if ids.min() < 0 or ids.max() >= self.n_nodes:
            raise CircuitError(f"output port {name!r} names a node that does not exist")
        self._outputs[name] = ids

    @staticmethod
    def const(value, shape=()) -> np.ndarray:
        """Ids of constant bits: ``value`` (0/1 or a bool array) broadcast to ``shape``."""
        return np.broadcast_to(np.where(np.asarray(value, dtype=bool), ONE, ZERO), shape).astype(np.int64)

    # -------------------------------------------------------------- scopes
    @contextlib.contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Gates built inside carry the scope path ``outer/.../name``."""
        self._stack.append(name)
        saved = self._current_scope
        path = "/".join(self._stack)
        self._current_scope = self._scope_ids.setdefault(path, len(self._scopes))
        if self._current_scope == len(self._scopes):
            self._scopes.append(path)
        try:
            yield
        finally:
            self._stack.pop()
            self._current_scope = saved

    # -------------------------------------------------------------- gates
    def gate(self, kind: Kind, fanins) -> np.ndarray:
        """One gate of ``kind`` per row of ``fanins`` (shape ``(..., F)``)."""
        x = np.asarray(fanins, dtype=np.int64)
        if x.ndim == 0 or x.shape[-1] == 0:
            raise CircuitError("a gate needs at least one fan-in")
        kind = Kind(kind)
        if kind == Kind.NOT:
            if x.shape[-1] != 1:
                raise CircuitError("NOT takes exactly one fan-in")
            return self.not_(x[..., 0])
        if kind == Kind.MAJ:
            return self.threshold(x, x.shape[-1] // 2 + 1)
        if kind not in (Kind.AND, Kind.OR):
            raise CircuitError(f"{kind.name} is not a gate kind")
        rows = x.reshape(-1, x.shape[-1])
        return self._and_or(kind, rows).reshape(x.shape[:-1])

    def and_(self, *xs) -> np.ndarray:
        """Elementwise AND of broadcastable id arrays."""
        return self.gate(Kind.AND, np.stack(np.broadcast_arrays(*xs), axis=-1))

    def or_(self, *xs) -> np.ndarray:
        """Elementwise OR of broadcastable id arrays."""
        return self.gate(Kind.OR, np.stack(np.broadcast_arrays(*xs), axis=-1))

    def xor(self, a, b) -> np.ndarray:
        """Elementwise XOR in the strict basis: (a OR b) AND NOT(a AND b), depth 3."""
        return self.and_(self.or_(a, b), self.not_(self.and_(a, b)))

    def mux(self, sel, if1, if0) -> np.ndarray:
        """Elementwise ``sel ? if1 : if0``, depth 3."""
        return self.or_(self.and_(sel, if1), self.and_(self.not_(sel), if0))

    def not_(self, x) -> np.ndarray:
        """Elementwise NOT, folding constants and double negation."""
        x = np.asarray(x, dtype=np.int64)
        flat = x.reshape(-1)
        out = np.empty_like(flat)
        kind = self._kind.view[flat]
        is_const = flat <= ONE
        out[is_const] = ONE - flat[is_const]
        is_not = kind == Kind.NOT
        out[is_not] = self._fanins.view[self._offsets.view[flat[is_not]]]
        rest = ~(is_const | is_not)
        if rest.any():
            out[rest] = self._emit(Kind.NOT, flat[rest], np.ones(int(rest.sum()), dtype=np.int64))
        return out.reshape(x.shape)

    def threshold(self, fanins, k) -> np.ndarray:
        """Per row of ``fanins`` (shape ``(..., F)``): 1 iff at least ``k`` are 1.

        ``k`` and the leading shape of ``fanins`` broadcast together. A fan-in repeated t times
        has weight t. Emits one MAJ gate (or a simpler gate it folds to).
        """
        x = np.asarray(fanins, dtype=np.int64)
        if x.ndim == 0 or x.shape[-1] == 0:
            raise CircuitError("a threshold gate needs at least one fan-in")
        k = np.asarray(k, dtype=np.int64)
        lead = np.broadcast_shapes(x.shape[:-1], k.shape)
        rows = np.broadcast_to(x, lead + x.shape[-1:]).reshape(-1, x.shape[-1])
        k = np.broadcast_to(k, lead).reshape(-1)
        return self._threshold(rows, k.copy()).reshape(lead)

    def depth_of(self, ids) -> int:
        """Largest depth among ``ids`` (0 for sources)."""
        ids = np.asarray(ids, dtype=np.int64)
        return int(self._level.view[ids].max()) if ids.size else 0

    # -------------------------------------------------------------- canonical forms
    def _and_or(self, kind: Kind, rows: np.ndarray) -> np.ndarray:
        g, f = rows.shape
        step = max(1, _CHUNK_ENTRIES // f)
        if g > step:  # bound the temporaries: one batch step at a time
            return np.concatenate([self._and_or(kind, rows[lo : lo + step]) for lo in range(0, g, step)])
        absorbing, neutral = (ZERO, ONE) if kind == Kind.AND else (ONE, ZERO)
        s = np.sort(rows, axis=1)
        valid = np.empty((g, f), dtype=bool)
        valid[:, 0] = True
        np.not_equal(s[:, 1:], s[:, :-1], out=valid[:, 1:])
        # the first occurrence of the neutral constant sits in the first two columns
        # (after the absorbing one, which folds the row anyway)
        valid[:, :2] &= s[:, :2] != neutral
        folded = (s == absorbing).any(axis=1) | self._has_complement(s)
        valid[folded] = False
        count = valid.sum(axis=1)
        out = np.where(folded, absorbing, neutral)
        single = np.flatnonzero(count == 1)
        out[single] = s[single, valid[single].argmax(axis=1)]
        many = count > 1
        if many.any():
            valid &= many[:, None]
            out[many] = self._emit(kind, s[valid], count[many])
        return out

    def _has_complement(self, s: np.ndarray) -> np.ndarray:
        """Rows of ``s`` (each sorted) holding both some x and NOT x.

        ``s + row * n_nodes`` is sorted as a whole, so each NOT's child is
        looked up by one ``searchsorted`` over the rows that hold a NOT.
        Duplicates and constants need no masking: a NOT's child is never a
        constant, and a duplicate equals an entry that is there anyway.
        """
        g, f = s.shape
        out = np.zeros(g, dtype=bool)
        if f < 2:
            return out
        is_not = self._kind.view[s] == Kind.NOT
        rows = np.flatnonzero(is_not.any(axis=1))
        if len(rows) == 0:
            return out
        sub = s[rows]
        row, col = np.nonzero(is_not[rows])
        child = self._fanins.view[self._offsets.view[sub[row, col]]]
        big = np.int64(self.n_nodes)
        keyed = (sub + np.arange(len(rows))[:, None] * big).reshape(-1)
        probe = child + row * big
        pos = np.minimum(np.searchsorted(keyed, probe), len(keyed) - 1)
        out[rows[row[keyed[pos] == probe]]] = True
        return out

    def _threshold(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        g, f = rows.shape
        k -= (rows == ONE).sum(axis=1)
        is_var = rows > ONE
        r = is_var.sum(axis=1)
        big = np.int64(np.iinfo(np.int64).max)
        s = np.sort(np.where(is_var, rows, big), axis=1)  # variables first, sorted
        out = np.empty(g, dtype=np.int64)
        todo = np.ones(g, dtype=bool)
        for mask, value in ((k <= 0, ONE), (k > r, ZERO)):
            out[mask & todo] = value
            todo &= ~mask
        distinct = 1 + ((s[:, 1:] != s[:, :-1]) & (s[:, 1:] != big)).sum(axis=1)
        single = todo & (distinct == 1)
        out[single] = s[single, 0]
        todo &= ~single
        as_or = todo & (k == 1)
        if as_or.any():
            out[as_or] = self._and_or(Kind.OR, np.where(s[as_or] == big, ZERO, s[as_or]))
        todo &= ~as_or
        as_and = todo & (k == r)
        if as_and.any():
            out[as_and] = self._and_or(Kind.AND, np.where(s[as_and] == big, ONE, s[as_and]))
        todo &= ~as_and
        if todo.any():
            s, r, k = s[todo], r[todo], k[todo]
            pad = r + 1 - 2 * k
            width = f + int(np.abs(pad).max())
            m = np.full((len(s), width), np.where(pad > 0, ONE, ZERO)[:, None], dtype=np.int64)
            m[:, :f] = np.where(s == big, m[:, :1], s)
            length = r + np.abs(pad)
            keep = np.arange(width)[None, :] < length[:, None]
            out[todo] = self._emit(Kind.MAJ, m[keep], length)
        return out

    # -------------------------------------------------------------- emission + hashing
    def _emit(self, kind: Kind, flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Append canonical gates given as concatenated rows; return their ids,
        reusing an existing gate wherever an identical one exists. New gates
        are numbered in row order."""
        g = len(lengths)
        bounds = np.zeros(g + 1, dtype=np.int64)
        np.cumsum(lengths, out=bounds[1:])
        row_sum = np.add.reduceat(self.fingerprint_entries(flat.astype(np.uint64)), bounds[:-1])
        keys = _mix64(row_sum ^ _mix64(lengths.astype(np.uint64) * np.uint64(8) + np.uint64(int(kind))))
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        # rows whose fingerprint's first row is a different gate get their own gate
        dup = np.flatnonzero(first[inverse] != np.arange(g))
        rep = first[inverse[dup]]
        lone = lengths[dup] != lengths[rep]
        same = ~lone
        lone[same] = _rows_differ(bounds, flat, dup[same], flat, bounds[rep[same]])
        lone = dup[lone]
        existing = self._table.lookup(uniq)
        found = np.flatnonzero(existing >= 0)
        if len(found):
            nodes, rows = existing[found], first[found]
            offsets = self._offsets.view
            ok = (self._kind.view[nodes] == kind) & (offsets[nodes + 1] - offsets[nodes] == lengths[rows])
            ok[ok] = ~_rows_differ(bounds, flat, rows[ok], self._fanins.view, offsets[nodes[ok]])
            existing[found[~ok]] = -2  # key taken by a different gate
        new_key = existing < 0
        is_new = np.zeros(g, dtype=bool)
        is_new[first[new_key]] = True
        is_new[lone] = True
        new_rows = np.flatnonzero(is_new)
        row_id = np.empty(g, dtype=np.int64)
        row_id[new_rows] = self._append_gates(kind, flat, bounds, new_rows)
        inserted = existing == -1
        existing[new_key] = row_id[first[new_key]]
        self._table.insert(uniq[inserted], existing[inserted])
        out = existing[inverse]
        out[lone] = row_id[lone]
        return out

    def _append_gates(self, kind, flat, bounds, rows) -> np.ndarray:
        """Append the rows ``rows`` of ``flat`` as new gates; return their ids."""
        first = self.n_nodes
        ids = np.arange(first, first + len(rows), dtype=np.int64)
        if len(rows) == 0:
            return ids
        lens = bounds[rows + 1] - bounds[rows]
        fanins = flat if len(rows) == len(bounds) - 1 else flat[ragged_rows(bounds, flat, rows)[1]]
        gstarts = np.zeros(len(rows), dtype=np.int64)
        np.cumsum(lens[:-1], out=gstarts[1:])
        level = np.maximum.reduceat(self._level.view[fanins], gstarts) + 1
        self._kind.extend(np.full(len(rows), kind, dtype=np.uint8))
        self._level.extend(level)
        self._scope.extend(np.full(len(rows), self._current_scope, dtype=np.int32))
        self._offsets.extend(self._fanins.n + gstarts + lens)
        self._fanins.extend(fanins)
        return ids

    def _append_sources(self, kind: Kind, count: int) -> np.ndarray:
        ids = np.arange(self.n_nodes, self.n_nodes + count, dtype=np.int64)
        self._kind.extend(np.full(count, kind, dtype=np.uint8))
        self._level.extend(np.zeros(count, dtype=np.int32))
        self._scope.extend(np.zeros(count, dtype=np.int32))
        self._offsets.extend(np.full(count, self._fanins.n, dtype=np.int64))
        return ids

    # -------------------------------------------------------------- finish
    def build(self) -> Circuit:
        """Freeze into a ``Circuit``: drop gates that reach no output, put the
        inputs first (port order), renumber, keep topological order."""
        if not self._outputs:
            raise CircuitError("the circuit has no output ports")
        kind, offsets, fanins = self._kind.view, self._offsets.view, self._fanins.view
        keep = self._live() & (kind >= Kind.AND)
        gates = np.flatnonzero(keep)
        order = np.concatenate([[ZERO, ONE], *self._inputs.values(), gates])
        remap = np.full(self.n_nodes, -1, dtype=np.int32)
        remap[order] = np.arange(len(order), dtype=np.int32)
        counts = np.diff(offsets)
        new_offsets = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(counts[order], out=new_offsets[1:])
        del counts
        # the kept gates' fan-in lists, in their original order (sources have none)
        new_fanins = np.empty(int(new_offsets[-1]), dtype=np.int32)
        at, step = 0, _BUILD_STEP_NODES
        for lo in range(0, self.n_nodes, step):
            hi = min(lo + step, self.n_nodes)
            mask = np.repeat(keep[lo:hi], np.diff(offsets[lo : hi + 1]))
            part = remap[fanins[offsets[lo] : offsets[hi]][mask]]
            new_fanins[at : at + len(part)] = part
            at += len(part)
        used = np.zeros(len(self._scopes), dtype=bool)
        used[self._scope.view[order]] = True
        scope_ids = np.cumsum(used, dtype=np.int32) - 1
        circuit = Circuit(
            kind=kind[order],
            offsets=new_offsets,
            fanins=new_fanins,
            scope=scope_ids[self._scope.view[order]],
            scopes=tuple(s for s, u in zip(self._scopes, used) if u),
            inputs={name: len(v) for name, v in self._inputs.items()},
            outputs={name: remap[v].astype(np.int64) for name, v in self._outputs.items()},
        )
        circuit.__dict__["level"] = self._level.view[order]  # known from construction: seed the cached property
        return circuit

    def _live(self) -> np.ndarray:
        """Nodes some output depends on: one sweep over the levels, top down."""
        offsets, fanins, level = self._offsets.view, self._fanins.view, self._level.view
        live = np.zeros(self.n_nodes, dtype=bool)
        live[np.concatenate(list(self._outputs.values()))] = True
        depth = int(level.max())
        # a stable counting sort by level (radix sort on int16)
        by_level = np.argsort(level.astype(np.int16) if depth < 1 << 15 else level, kind="stable")
        bounds = np.zeros(depth + 2, dtype=np.int64)
        np.cumsum(np.bincount(level, minlength=depth + 1), out=bounds[1:])
        for lvl in range(depth, 0, -1):
            nodes = by_level[bounds[lvl] : bounds[lvl + 1]]
            nodes = nodes[live[nodes]]
            if len(nodes):
                live[fanins[ragged_rows(offsets, fanins, nodes)[1]]] = True
        return live


def _rows_differ(bounds, flat, rows, other, other_starts) -> np.ndarray:
    """Per i: does row ``rows[i]`` of ``flat`` (row offsets ``bounds``) differ from the
    equally long run of ``other`` starting at ``other_starts[i]``?"""
    sub, edge = ragged_rows(bounds, flat, rows)
    differs = np.zeros(len(rows), dtype=bool)
    differs[sub[flat[edge] != other[edge + (other_starts - bounds[rows])[sub]]]] = True
    return differs


def _check_port_name(name: str, existing) -> None:
    if not isinstance(name, str) or not name or not name.isprintable() or any(c.isspace() for c in name):
        raise CircuitError(f"bad port name {name!r}: use a non-empty name without spaces")
    if name in existing:
        raise CircuitError(f"port {name!r} declared twice")


__all__ = ["Builder", "FIRST_INPUT"]
