"""Bulk circuit construction with canonical gates, constant folding and
structural hashing.

Every builder call takes numpy arrays of node ids and emits one gate per row,
for all rows at once: ``b.gate(Kind.AND, x)`` with ``x`` of shape ``(..., F)``
returns the ids of ``prod(...)`` AND gates of fan-in ``F``, shape ``(...)``.
Ids come back as ``WIRE`` (int32, the storage's node-id type); ids passed in
are converted, and any that int32 cannot hold are refused. Gadgets are
written as array code over wire tensors, never a Python call per gate.

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

Structural hashing finds an existing gate with the same kind and fan-ins
through an open-addressing table keyed by a 64-bit fingerprint; a probe
compares kind and fan-ins exactly, so a fingerprint collision costs time,
never correctness or sharing.

The per-row work (canonical form, hashing, appending) runs in the compiled
kernels of ``tc0.compiler.kernels``; this class owns the storage and grows it
in place (``ndarray.resize``, which reallocates without copying large
blocks), so the builder's memory is its arrays plus at most an eighth of
slack on the fan-in array.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np

from tc0.compiler import kernels, negations
from tc0.errors import CircuitError
from tc0.growable import GROWTH, grow_in_place
from tc0.ir import sweeps
from tc0.ir.circuit import Circuit
from tc0.ir.names import check_port_name
from tc0.numerics.format import OPTIMIZE
from tc0.ir.schema import FIRST_INPUT, MAX_NODES, ONE, ZERO, Kind, majority_threshold

#: node capacity of a new builder (fan-in capacity: 4 per node)
_START_NODES = 1 << 10
#: dtype of the wire-id arrays the builder returns and gadgets pass around
WIRE = np.int32
#: the hash table's largest load (linear probing stays short below it), and its load after growing
_MAX_LOAD = kernels.MAX_LOAD
_GROWN_LOAD = 0.6
#: the kernels' twin array of a builder that optimizes size
_NO_TWINS = np.zeros(0, dtype=np.int32)


def _table_size(entries: int) -> int:
    """The hash table size for ``entries`` gates at a load of ``_GROWN_LOAD``."""
    return max(1024, math.ceil(entries / _GROWN_LOAD))


class Builder:
    """Builds a ``Circuit`` in bulk. See the module docstring."""

    #: fingerprints are ANDed with this mask; tests narrow it to force collisions
    hash_mask = np.uint64(0xFFFF_FFFF_FFFF_FFFF)

    def __init__(self, expected_gates: int = 0, expected_edges: int = 0, optimize: str = "size"):
        """``expected_gates``/``expected_edges`` (optional, e.g. upper-bound
        estimates) size the storage up front. Capacity not written to costs no
        memory (the arrays are zero-allocated, so untouched pages stay virtual);
        only the hash table is allocated in full.

        ``optimize``: ``"size"`` builds a NOT gate for every negation;
        ``"depth"`` builds a gate's twin instead where that is shallower
        (``tc0.compiler.negations``), keeping each node's level while building."""
        if optimize not in OPTIMIZE:
            raise CircuitError(f"optimize must be one of {', '.join(OPTIMIZE)}, not {optimize!r}")
        self.optimize = optimize
        nodes = max(_START_NODES, int(expected_gates))
        self._kinds = np.zeros(nodes, dtype=np.uint8)
        self._offsets = np.zeros(nodes + 1, dtype=np.int64)
        self._fanins = np.zeros(max(4 * nodes, int(expected_edges)), dtype=np.int32)
        self._table = np.full(_table_size(nodes), -1, dtype=np.int32)
        self._tags = np.zeros(len(self._table), dtype=np.uint8)
        self._counters = np.zeros(3, dtype=np.int64)  # nodes, fan-in entries, gates in the table
        self._scratch = kernels.new_scratch()
        self._kinds[ONE] = Kind.CONST1
        self._counters[0] = 2
        self._inputs: dict[str, np.ndarray] = {}
        self._outputs: dict[str, np.ndarray] = {}
        self._scopes_list: list[str] = [""]
        self._scope_ids: dict[str, int] = {"": 0}
        # node scopes as runs: nodes from _run_start[i] on are in scope _run_scope[i]
        # (a gate's level is computed by build(), so neither is stored per node while building)
        self._run_start: list[int] = [0]
        self._run_scope: list[int] = [0]
        self._stack: list[str] = []
        self._current_scope = 0
        self._built = False
        # optimize="depth": per node its level, its negation's level and its twin (-1: none);
        # nodes below _leveled have them
        self._by_depth = optimize == "depth"
        if self._by_depth:
            self._level = np.zeros(nodes, dtype=np.int32)
            self._neg = np.zeros(nodes, dtype=np.int32)
            self._twin = np.full(nodes, -1, dtype=np.int32)
            self._leveled = 2

    # -------------------------------------------------------------- ports
    @property
    def n_nodes(self) -> int:
        return int(self._counters[0])

    @property
    def first_gate(self) -> int:
        """The id after the inputs declared so far (declare inputs first: later ones come after gates)."""
        return FIRST_INPUT + sum(len(v) for v in self._inputs.values())

    def input(self, name: str, width: int) -> np.ndarray:
        """Add an input port of ``width`` bits; returns their ids, LSB first."""
        self._check_open()
        _check_port_name(name, self._inputs)
        if int(width) < 1:
            raise CircuitError(f"input port {name!r}: width must be >= 1, got {width}")
        width = int(width)
        first = self.n_nodes
        self._reserve(nodes=width, fanins=0)
        ids = np.arange(first, first + width, dtype=WIRE)
        self._kinds[ids] = Kind.INPUT
        self._offsets[ids + 1] = self._counters[1]
        self._counters[0] += width
        self._inputs[name] = ids
        if self._by_depth:
            self._level[ids], self._neg[ids] = 0, 1
            self._leveled = self.n_nodes
        return ids

    def set_source_levels(self, ids, level, neg) -> None:
        """Start input bits ``ids`` at ``level``, their negations at ``neg``
        (a streamed piece's inputs, as carried); optimize="depth" only."""
        if not self._by_depth:
            raise CircuitError("source levels are kept only by a builder with optimize='depth'")
        ids = as_wires(ids)
        if ids.size and (self._kinds[ids] != Kind.INPUT).any():
            raise CircuitError("source levels are set on input bits only")
        self._level[ids], self._neg[ids] = level, neg

    def levels_of(self, ids) -> tuple[np.ndarray, np.ndarray]:
        """(level, negation's level) of nodes ``ids``; optimize="depth" only."""
        if not self._by_depth:
            raise CircuitError("levels are kept only by a builder with optimize='depth'")
        ids = as_wires(ids)
        return self._level[ids], self._neg[ids]

    def output(self, name: str, ids) -> None:
        """Declare an output port: ``ids`` (any shape) flattened, LSB first."""
        self._check_open()
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
        return np.broadcast_to(np.where(np.asarray(value, dtype=bool), ONE, ZERO), shape).astype(WIRE)

    # -------------------------------------------------------------- scopes
    @contextlib.contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Gates built inside carry the scope path ``outer/.../name``."""
        self._stack.append(name)
        saved = self._current_scope
        path = "/".join(self._stack)
        self._current_scope = self._scope_ids.setdefault(path, len(self._scopes_list))
        if self._current_scope == len(self._scopes_list):
            self._scopes_list.append(path)
        try:
            yield
        finally:
            self._stack.pop()
            self._current_scope = saved

    # -------------------------------------------------------------- gates
    def gate(self, kind: Kind, fanins) -> np.ndarray:
        """One gate of ``kind`` per row of ``fanins`` (shape ``(..., F)``)."""
        x = as_wires(fanins)
        if x.ndim == 0 or x.shape[-1] == 0:
            raise CircuitError("a gate needs at least one fan-in")
        kind = Kind(kind)
        if kind == Kind.NOT:
            if x.shape[-1] != 1:
                raise CircuitError("NOT takes exactly one fan-in")
            return self.not_(x[..., 0])
        if kind == Kind.MAJ:
            return self.threshold(x, majority_threshold(x.shape[-1], 0))
        if kind not in (Kind.AND, Kind.OR):
            raise CircuitError(f"{kind.name} is not a gate kind")
        rows = x.reshape(-1, x.shape[-1])
        f = rows.shape[1]
        return self.pattern_gate(kind, rows, np.arange(f), np.array([0, f])).reshape(x.shape[:-1])

    def pattern_gate(self, kind: Kind, wires, index, bounds) -> np.ndarray:
        """AND or OR gates cut from every instance of a wire table by one row
        pattern: ``wires`` (..., T) ids; pattern row ``r`` takes the entries
        ``index[bounds[r]:bounds[r + 1]]`` of the last axis. Returns ids
        (..., R) for the R = ``len(bounds) - 1`` rows. Rows of different
        lengths in one call, without constant padding."""
        kind = Kind(kind)
        if kind not in (Kind.AND, Kind.OR):
            raise CircuitError(f"pattern gates are AND or OR, not {kind.name}")
        widths = np.diff(np.asarray(bounds, dtype=np.int64))
        # AND is the threshold "all of the row", OR "at least one"
        return self.pattern_threshold(wires, index, bounds, widths if kind == Kind.AND else np.ones_like(widths))

    def pattern_threshold(self, wires, index, bounds, k) -> np.ndarray:
        """Threshold gates cut from every instance of a wire table by one row
        pattern (as ``pattern_gate``): row ``r`` is 1 iff at least ``k[r]`` of its
        entries are 1, an entry repeated t times weighing t. Returns ids (..., R)."""
        wires = as_wires(wires)
        index, bounds = np.asarray(index, dtype=np.int64), np.asarray(bounds, dtype=np.int64)
        k = np.asarray(k, dtype=np.int64)
        if wires.ndim == 0 or index.ndim != 1 or bounds.ndim != 1 or len(bounds) < 2:
            raise CircuitError("a pattern gate needs wires (..., T), a flat index and at least one row")
        widths = np.diff(bounds)
        if bounds[0] != 0 or bounds[-1] != len(index) or widths.min() < 1:
            raise CircuitError("pattern rows need bounds rising strictly from 0 to the index length")
        if len(index) and (index.min() < 0 or index.max() >= wires.shape[-1]):
            raise CircuitError("a pattern index lies outside the wire table")
        if k.shape != widths.shape:
            raise CircuitError("a pattern threshold needs one k per row")
        lead = wires.shape[:-1]
        table = np.ascontiguousarray(wires.reshape(-1, wires.shape[-1]))
        out = self._run(kernels.threshold_rows, len(table) * len(widths), int(widths.max()),
                        table, np.arange(len(table)), index, bounds, np.tile(k, len(table)))
        return out.reshape(lead + (len(widths),))

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
        """Elementwise NOT, folding constants and double negation (with
        optimize="depth", a gate's twin where that is shallower)."""
        x = as_wires(x)
        flat = np.ascontiguousarray(x.reshape(-1))
        if not self._by_depth:
            return self._run(kernels.not_rows, len(flat), 1, flat).reshape(x.shape)
        self._check_open()
        if flat.size and (flat.min() < 0 or flat.max() >= self.n_nodes):
            raise CircuitError("NOT names a node that does not exist")
        kind = self._kinds[flat]
        gate = (kind == Kind.AND) | (kind == Kind.OR) | (kind == Kind.MAJ)
        wanted = gate & (self._twin[flat] < 0) & (self._neg[flat] <= self._level[flat])
        if wanted.any():
            self._build_twins(np.unique(flat[wanted]).astype(np.int64))
        twin = self._twin[flat]
        out = np.where(gate & (twin >= 0), twin, -1).astype(WIRE)
        rest = out < 0
        if rest.any():
            out[rest] = self._run(kernels.not_rows, int(rest.sum()), 1, np.ascontiguousarray(flat[rest]))
        return out.reshape(x.shape)

    def _build_twins(self, seeds: np.ndarray) -> None:
        """Build the twins of gates ``seeds`` (see ``tc0.compiler.negations``),
        level by level from the deepest critical fan-ins up."""
        n = self.n_nodes
        kinds, offsets, fanins = self._kinds[:n], self._offsets[: n + 1], self._fanins
        cone = negations.critical_cone(kinds, offsets, fanins, self._level, self._neg, self._twin, seeds)
        cone_levels = self._level[cone]
        cuts = np.flatnonzero(np.diff(cone_levels)) + 1
        for wave in np.split(cone, cuts):
            fan, negated, bounds, k = negations.dual_rows(self._kinds, self._offsets, self._fanins, self._twin, wave)
            missing = negated < 0
            if missing.any():
                negated[missing] = self._run(kernels.not_rows, int(missing.sum()), 1,
                                             np.ascontiguousarray(fan[missing].astype(WIRE)))
            table = np.ascontiguousarray(negated.astype(WIRE)[None, :])
            widest = int(np.diff(bounds).max())
            twins = self._run(kernels.threshold_rows, len(wave), widest, table, np.zeros(len(wave), dtype=np.int64),
                              np.arange(len(negated)), bounds, k.astype(np.int64))
            self._twin[wave] = twins
            fresh = (self._kinds[twins] >= Kind.AND) & (self._twin[twins] < 0)
            self._twin[twins[fresh]] = wave[fresh]

    def threshold(self, fanins, k) -> np.ndarray:
        """Per row of ``fanins`` (shape ``(..., F)``): 1 iff at least ``k`` are 1.

        ``k`` and the leading shape of ``fanins`` broadcast together. A fan-in repeated t times
        has weight t. Emits one MAJ gate (or a simpler gate it folds to).
        """
        x = as_wires(fanins)
        if x.ndim == 0 or x.shape[-1] == 0:
            raise CircuitError("a threshold gate needs at least one fan-in")
        k = np.asarray(k, dtype=np.int64)
        lead = np.broadcast_shapes(x.shape[:-1], k.shape)
        # each gate reads its row of the un-broadcast fan-ins (no copy per gate)
        rows = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
        row_of = np.broadcast_to(np.arange(len(rows)).reshape(x.shape[:-1]), lead).reshape(-1)
        k = np.ascontiguousarray(np.broadcast_to(k, lead).reshape(-1))
        f = rows.shape[1]
        return self._run(kernels.threshold_rows, len(k), f, rows, row_of, np.arange(f), np.array([0, f]), k).reshape(lead)

    # -------------------------------------------------------------- storage
    def _run(self, kernel, n_rows: int, row_width: int, *args) -> np.ndarray:
        """Run a row kernel over its ``n_rows`` rows (``args`` before the output), growing
        the storage whenever it stops; ``row_width`` is the widest row's fan-in."""
        self._check_open()
        out = np.empty(n_rows, dtype=WIRE)
        entries = kernels.row_entries(row_width)
        if len(self._scratch[3]) < entries:
            self._scratch = kernels.new_scratch(row_width)
        if self._run_scope[-1] != self._current_scope:
            if self._run_start[-1] == self.n_nodes:  # the last run is empty
                self._run_scope[-1] = self._current_scope
            else:
                self._run_start.append(self.n_nodes)
                self._run_scope.append(self._current_scope)
        start = 0
        while True:
            store = (self._kinds, self._offsets, self._fanins, self._table, self._tags, self._counters,
                     self._twin if self._by_depth else _NO_TWINS)
            start = kernel(*args, out, start, np.uint64(self.hash_mask), store, self._scratch)
            if start == n_rows:
                if self._by_depth:
                    negations.levels(self._kinds, self._offsets, self._fanins, self._level, self._neg,
                                     self._leveled, self.n_nodes)
                    self._leveled = self.n_nodes
                return out
            if start < 0:
                raise CircuitError(f"gate row {-1 - start} names a node that does not exist")
            self._reserve(nodes=1, fanins=entries)

    def _reserve(self, nodes: int, fanins: int) -> None:
        """Room for ``nodes`` more nodes, ``fanins`` more fan-in entries and
        ``nodes`` more table entries."""
        n, e, in_table = (int(c) for c in self._counters)
        if n + nodes > len(self._kinds):
            cap = max(n + nodes, int(len(self._kinds) * GROWTH) + 1024)
            if cap > MAX_NODES:
                raise CircuitError(f"a circuit of more than {MAX_NODES:,} nodes does not fit the int32 node ids")
            grow_in_place(self._kinds, cap)
            grow_in_place(self._offsets, cap + 1)
            if self._by_depth:
                old_cap = len(self._twin)
                grow_in_place(self._level, cap)
                grow_in_place(self._neg, cap)
                grow_in_place(self._twin, cap)[old_cap:] = -1
        if e + fanins > len(self._fanins):
            grow_in_place(self._fanins, max(e + fanins, int(len(self._fanins) * GROWTH) + 4096))
        if in_table + nodes > _MAX_LOAD * len(self._table):
            self._table = np.full(_table_size(in_table + nodes), -1, dtype=np.int32)
            self._tags = np.zeros(len(self._table), dtype=np.uint8)
            kernels.rehash(n, np.uint64(self.hash_mask), self._kinds, self._offsets, self._fanins, self._table,
                           self._tags)

    def _check_open(self) -> None:
        if self._built:
            raise CircuitError("this Builder has already been built into a circuit; start a new one")

    # -------------------------------------------------------------- finish
    def build(self, levels: bool = True) -> Circuit:
        """Freeze into a ``Circuit``: drop gates that reach no output, put the
        inputs first (port order), renumber, keep topological order. With
        ``levels`` the circuit's ``level`` is computed at once (every whole
        build reads its depth); without, on first use (a streamed piece
        computes its levels from its inputs' own).

        The circuit takes over the builder's fan-in array, so the builder is
        finished afterwards (further calls raise ``CircuitError``)."""
        self._check_open()
        if not self._outputs:
            raise CircuitError("the circuit has no output ports")
        self._built = True
        self._table = self._tags = None  # free them before the renumbering's arrays exist
        if self._by_depth:
            self._level = self._neg = self._twin = None
        n = self.n_nodes
        inputs = np.concatenate(list(self._inputs.values())) if self._inputs else np.zeros(0, dtype=WIRE)
        live = sweeps.live_nodes(n, self._offsets, self._fanins, np.concatenate(list(self._outputs.values())))
        old = (self._kinds, self._offsets)
        self._kinds = self._offsets = None
        # when no gate precedes an input, every node moves down or stays: renumber in place
        if len(inputs) == 0 or inputs[-1] == FIRST_INPUT + len(inputs) - 1:
            new = old
        else:
            size = len(inputs) + 2 + int(np.count_nonzero(live & (old[0][:n] >= Kind.AND)))
            new = (np.empty(size, dtype=np.uint8), np.empty(size + 1, dtype=np.int64))
        runs = np.array(self._run_start, dtype=np.int64), np.array(self._run_scope, dtype=np.int32)
        remap, size, scope = sweeps.renumber(n, live, inputs, *old, self._fanins, *runs, *new)
        del live, old
        kind, offsets = grow_in_place(new[0], size), grow_in_place(new[1], size + 1)
        del new
        fanins = grow_in_place(self._fanins, int(offsets[-1]))  # shrinking frees the tail
        self._fanins = None
        used = sweeps.compact_ids(scope, len(self._scopes_list))  # in place: numpy would copy to int64
        circuit = Circuit(
            kind=kind,
            offsets=offsets,
            fanins=fanins,
            scope=scope,
            scopes=tuple(s for s, u in zip(self._scopes_list, used) if u),
            inputs={name: len(v) for name, v in self._inputs.items()},
            outputs={name: remap[v].astype(np.int64) for name, v in self._outputs.items()},
        )
        del remap
        if levels:
            circuit.__dict__["level"] = sweeps.node_levels(offsets, fanins,
                                                           np.zeros(circuit.first_gate, dtype=np.int32))
        return circuit


def as_wires(x) -> np.ndarray:
    """``x`` as a ``WIRE`` array; ids beyond its range are refused (a cast would wrap them)."""
    x = np.asarray(x)
    if x.dtype == WIRE:
        return x
    limits = np.iinfo(WIRE)
    if x.size and x.dtype.kind in "iu" and (x.min() < limits.min or x.max() > limits.max):
        raise CircuitError("gate fan-ins name a node that does not exist")
    return x.astype(WIRE)


def _check_port_name(name: str, existing) -> None:
    check_port_name(name)
    if name in existing:
        raise CircuitError(f"port {name!r} declared twice")


__all__ = ["WIRE", "Builder", "as_wires"]
