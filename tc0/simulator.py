"""Levelized, bit-packed circuit simulation.

Samples are packed 64 to a ``uint64`` word: the value of node ``v`` over a
batch is the row ``values[v]`` of ``ceil(batch / 64)`` words. Gates are
grouped by (level, operation, fan-in); the simulator renumbers nodes so that
each group writes one contiguous slice, and evaluates a group with a few numpy
word operations per fan-in column:

* AND / OR / NOT: word-wise ``&``, ``|``, ``~``;
* MAJ: constant fan-ins are folded into a threshold k, the remaining fan-ins
  are added into bit-sliced counters (one word-plane per count bit, ripple
  carry across planes) and the count is compared with k plane by plane, so no
  sample is ever unpacked.

Large batches are split into word chunks so that the value table stays
within a memory budget (``max_bytes``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from tc0.circuit import FIRST_INPUT, ONE, ZERO, Circuit, Kind, _ragged_rows
from tc0.errors import SimulationInputError

_ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
DEFAULT_MAX_BYTES = 2 << 30


@dataclass(frozen=True)
class _Group:
    op: Kind  # AND, OR, NOT or MAJ (MAJ meaning "at least k of the fan-ins")
    start: int  # first (renumbered) node id written
    stop: int
    fanins: np.ndarray  # (stop - start, F) renumbered ids
    k: int = 0


class Schedule:
    """A circuit compiled for simulation: renumbered nodes and gate groups."""

    def __init__(self, circuit: Circuit):
        self.circuit = circuit
        n, first = circuit.n_nodes, circuit.first_gate
        kind, offsets, fanins = circuit.kind, circuit.offsets, circuit.fanins
        gates = np.arange(first, n)
        counts = np.diff(offsets)[gates]
        # MAJ: fold constant fan-ins into the threshold
        edge_row, edges = _ragged_rows(offsets, fanins, gates)
        src = fanins[edges].astype(np.int64)
        is_maj = kind[gates] == Kind.MAJ
        drop = is_maj[edge_row] & (src <= ONE)
        ones = np.bincount(edge_row[is_maj[edge_row] & (src == ONE)], minlength=len(gates))
        k = np.where(is_maj, counts // 2 + 1 - ones, 0)
        counts = counts - np.bincount(edge_row[drop], minlength=len(gates))
        edge_row, src = edge_row[~drop], src[~drop]
        level = circuit.level[gates]
        order = np.lexsort((k, counts, kind[gates], level))
        self.order = np.concatenate([np.arange(first), gates[order]])
        renumber = np.empty(n, dtype=np.int64)
        renumber[self.order] = np.arange(n)
        self.renumber = renumber
        # fan-in rows in the new order
        pos_in_order = np.empty(len(gates), dtype=np.int64)
        pos_in_order[order] = np.arange(len(gates))
        new_row = pos_in_order[edge_row]
        by_row = np.argsort(new_row, kind="stable")
        sorted_src = renumber[src[by_row]]
        counts_sorted = counts[order]
        row_start = np.zeros(len(gates) + 1, dtype=np.int64)
        np.cumsum(counts_sorted, out=row_start[1:])
        key = np.stack([level[order], kind[gates][order], counts_sorted, k[order]], axis=1)
        change = np.flatnonzero(np.any(key[1:] != key[:-1], axis=1)) + 1
        bounds = np.concatenate([[0], change, [len(gates)]])
        self.groups: list[_Group] = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            if hi == lo:
                continue
            f = int(counts_sorted[lo])
            mat = sorted_src[row_start[lo] : row_start[hi]].reshape(hi - lo, f)
            self.groups.append(_Group(Kind(int(key[lo, 1])), first + int(lo), first + int(hi), mat, int(key[lo, 3])))
        self.outputs = {name: renumber[ids] for name, ids in circuit.outputs.items()}

    def run(self, packed_inputs: np.ndarray, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
        """Evaluate on packed inputs ``(n_input_bits, words)``; returns the
        packed values of all output bits, ``(n_output_bits, words)``."""
        words = packed_inputs.shape[1]
        out_ids = np.concatenate(list(self.outputs.values()))
        result = np.empty((len(out_ids), words), dtype=np.uint64)
        n = self.circuit.n_nodes
        chunk = max(1, min(words, max_bytes // (8 * n * 2)))
        for lo in range(0, words, chunk):
            hi = min(words, lo + chunk)
            values = self._evaluate(packed_inputs[:, lo:hi])
            result[:, lo:hi] = values[out_ids]
        return result

    def _evaluate(self, packed_inputs: np.ndarray) -> np.ndarray:
        n, words = self.circuit.n_nodes, packed_inputs.shape[1]
        values = np.empty((n, words), dtype=np.uint64)
        values[ZERO] = 0
        values[ONE] = _ALL_ONES
        values[FIRST_INPUT : self.circuit.first_gate] = packed_inputs
        scratch = np.empty((max((g.stop - g.start for g in self.groups), default=0), words), dtype=np.uint64)
        for g in self.groups:
            out = values[g.start : g.stop]
            tmp = scratch[: g.stop - g.start]
            if g.op == Kind.MAJ:
                _threshold(values, g.fanins, g.k, out, tmp)
                continue
            np.take(values, g.fanins[:, 0], axis=0, out=out)
            if g.op == Kind.NOT:
                np.invert(out, out=out)
                continue
            combine = np.bitwise_and if g.op == Kind.AND else np.bitwise_or
            for j in range(1, g.fanins.shape[1]):
                np.take(values, g.fanins[:, j], axis=0, out=tmp)
                combine(out, tmp, out=out)
        return values


def _threshold(values, fanins, k, out, tmp) -> None:
    """out = [number of 1s among the fan-in rows >= k], bit-sliced."""
    r = fanins.shape[1]
    if k <= 0 or k > r:
        out[...] = _ALL_ONES if k <= 0 else 0
        return
    planes: list[np.ndarray] = []
    carry = np.empty_like(out)
    for j in range(r):
        np.take(values, fanins[:, j], axis=0, out=carry)
        bits_needed = (j + 1).bit_length()
        for b in range(bits_needed):
            if b == len(planes):
                planes.append(carry.copy())
                break
            np.bitwise_xor(planes[b], carry, out=tmp)
            np.bitwise_and(planes[b], carry, out=carry)
            planes[b][...] = tmp
    # count >= k  <=>  count > k - 1 ; compare from the most significant plane
    t = k - 1
    greater = np.zeros_like(out)
    equal = np.full_like(out, _ALL_ONES)
    for b in range(len(planes) - 1, -1, -1):
        if (t >> b) & 1:
            equal &= planes[b]
        else:
            np.bitwise_and(equal, planes[b], out=tmp)
            greater |= tmp
            equal &= ~planes[b]
    out[...] = greater


_schedules: "weakref.WeakKeyDictionary[Circuit, Schedule]" = weakref.WeakKeyDictionary()


def schedule_for(circuit: Circuit) -> Schedule:
    """The (cached) simulation schedule of ``circuit``."""
    sched = _schedules.get(circuit)
    if sched is None:
        sched = _schedules[circuit] = Schedule(circuit)
    return sched


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(batch, width) 0/1 array -> (width, ceil(batch/64)) uint64, sample i at bit i%64 of word i//64."""
    batch = bits.shape[0]
    words = -(-batch // 64)
    padded = np.zeros((bits.shape[1], words * 64), dtype=np.uint8)
    padded[:, :batch] = bits.T
    return np.packbits(padded, axis=1, bitorder="little").view(np.uint64).reshape(bits.shape[1], words)


def unpack_bits(packed: np.ndarray, batch: int) -> np.ndarray:
    """Inverse of ``pack_bits``: (width, words) uint64 -> (batch, width) uint8."""
    as_bytes = np.ascontiguousarray(packed).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :batch].T.copy()


def _check_inputs(circuit: Circuit, inputs: dict) -> int:
    unknown = set(inputs) - set(circuit.inputs)
    if unknown:
        raise SimulationInputError(f"unknown input port(s): {', '.join(sorted(unknown))}")
    missing = [p for p in circuit.inputs if p not in inputs]
    if missing:
        raise SimulationInputError(f"missing input port(s): {', '.join(missing)}")
    batch = None
    for name, width in circuit.inputs.items():
        arr = np.asarray(inputs[name])
        if arr.ndim != 2 or arr.shape[1] != width:
            raise SimulationInputError(f"input {name!r}: expected shape (batch, {width}), got {arr.shape}")
        if batch is None:
            batch = arr.shape[0]
        elif arr.shape[0] != batch:
            raise SimulationInputError(f"input {name!r}: batch {arr.shape[0]} differs from {batch}")
    return batch or 0


def simulate_packed(circuit: Circuit, packed: dict[str, np.ndarray], max_bytes: int = DEFAULT_MAX_BYTES):
    """Like ``simulate`` on bit-packed ports: each value is ``(width, words)``
    uint64, sample i at bit i % 64 of word i // 64. Returns the same form."""
    words = None
    for name, width in circuit.inputs.items():
        if name not in packed:
            raise SimulationInputError(f"missing input port {name!r}")
        arr = packed[name]
        if arr.dtype != np.uint64 or arr.ndim != 2 or arr.shape[0] != width:
            raise SimulationInputError(f"packed input {name!r}: expected uint64 of shape ({width}, words)")
        words = arr.shape[1] if words is None else words
        if arr.shape[1] != words:
            raise SimulationInputError(f"packed input {name!r}: {arr.shape[1]} words, others have {words}")
    if words is None:
        words = 1
    stacked = (
        np.concatenate([packed[name] for name in circuit.inputs])
        if circuit.inputs
        else np.zeros((0, words), dtype=np.uint64)
    )
    sched = schedule_for(circuit)
    flat = sched.run(stacked, max_bytes)
    result, start = {}, 0
    for name, ids in circuit.outputs.items():
        result[name] = flat[start : start + len(ids)]
        start += len(ids)
    return result


def simulate(circuit: Circuit, inputs: dict[str, np.ndarray], max_bytes: int = DEFAULT_MAX_BYTES):
    """Evaluate ``circuit`` on a batch.

    ``inputs`` maps every input port name to a ``(batch, width)`` bool/uint8
    array of bits, least significant first. Returns a dict mapping every output
    port name to a ``(batch, width)`` uint8 array.
    """
    batch = _check_inputs(circuit, inputs)
    packed = {}
    for name in circuit.inputs:
        arr = np.asarray(inputs[name])
        if arr.dtype != bool:
            if not np.issubdtype(arr.dtype, np.integer) or (arr.size and (arr.min() < 0 or arr.max() > 1)):
                raise SimulationInputError(f"input {name!r}: bits must be 0 or 1")
        packed[name] = pack_bits(arr.astype(np.uint8))
    out = simulate_packed(circuit, packed, max_bytes)
    return {name: unpack_bits(v, batch) for name, v in out.items()}
