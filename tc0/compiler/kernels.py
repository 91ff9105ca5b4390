"""The compiled inner loops of ``tc0.compiler.builder.Builder`` (numba): the
canonical forms and the structural hash of gate rows. (The sweeps over a
finished circuit, liveness, renumbering and levels, are ``tc0.ir.sweeps``.)

Every AND, OR and MAJ row goes through one kernel, ``threshold_rows``: AND
is the threshold "all of the row", OR "at least one", so one canonical form
serves the three. One call canonicalises a whole batch of gate rows and hash-conses them into
the builder's arrays; the canonical forms are documented in ``tc0.compiler.builder``.
A row costs a few dozen machine instructions here, where the same rules as
numpy array passes cost a dozen numpy calls per batch; builders make tens of
thousands of small batches, so per-call overhead, not arithmetic, was the
limit.

Storage passed to every kernel as one tuple ``store`` (owned and grown by
the builder):

* ``kinds`` (uint8) per node;
* ``offsets`` (int64, one more than the node capacity) and ``fanins``
  (int32): node ``v``'s fan-ins are ``fanins[offsets[v]:offsets[v + 1]]``;
* ``table`` (int32, -1 = empty): open addressing with
  linear probing from each gate's fingerprint; a probe compares kind and
  fan-ins exactly, so fingerprint collisions cost time, never correctness;
* ``tags`` (uint8, one per table slot): the low byte of the slot's gate's
  fingerprint, so that a probe passes over other gates' slots without
  reading their (far away) kind and fan-ins;
* ``counters`` (int64): nodes, fan-in entries, gates in the table;
* ``twin`` (int32, -1 = none; empty unless the builder optimizes depth):
  each node's twin (``tc0.compiler.negations``), so that twins fold as a
  NOT and its fan-in do.

Nothing else is stored per node while building a circuit for size: levels
are computed from the built circuit (``tc0.ir.sweeps.node_levels``), and
node scopes are kept as runs of node ids (the builder's scope changes once
per gadget call, not per gate), which together save 8 bytes per node of the
build's peak memory. (A build for depth keeps each node's level, its
negation's level and its twin: 12 bytes per node more.)

Rows are canonicalised a block at a time and the block's gates are then
looked up together: the table, kind, offset and fan-in reads of different
rows do not depend on each other, so the processor overlaps their cache
misses instead of waiting for each in turn (random reads into a large table
are what a structural hash costs).

A kernel stops before a row that would overflow the storage (or fill the
table beyond ``MAX_LOAD``) and returns that row's index, so the builder can grow the
arrays and call again from there; it returns the number of rows when done,
and ``-1 - r`` if row ``r`` names a node that does not exist.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.ir.schema import Kind

_AND, _OR, _NOT, _MAJ = int(Kind.AND), int(Kind.OR), int(Kind.NOT), int(Kind.MAJ)
_ZERO, _ONE = 0, 1
#: the gate kernels and their helpers run without numba's reference counting
#: (``_nrt=False``): they allocate nothing (the builder passes their scratch
#: buffers, ``new_scratch``), and the atomic count updates numba otherwise
#: makes on the arrays each helper touches cost a tenth of the time per gate
#: (measured on flowar n = 4); the helpers are inlined into the kernels
_kernel = njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
_inlined = njit(cache=True, nogil=True, error_model="numpy", _nrt=False, inline="always")
#: ``_intern`` result when the storage is full
_NO_ROOM = -2
#: the hash table's largest load (gates / slots)
MAX_LOAD = 0.8
#: rows up to this many fan-ins are sorted by insertion sort
_INSERTION_SORT_MAX = 24
#: rows per block, and fan-in entries per block at most (unless one row is wider)
_BLOCK_ROWS = 256
_BLOCK_ENTRIES = 1 << 16


@_inlined
def row_entries(fanins):
    """Buffer and storage entries a gate row of ``fanins`` fan-ins may take: the row and its MAJ padding."""
    return 2 * fanins + 1


def new_scratch(widest: int = 0) -> tuple:
    """Scratch buffers for the gate kernels, with room for a block of rows of up to
    ``widest`` fan-ins (``row_entries(widest)`` buffer entries): the pending
    gates' kind, row, start of the fan-ins in the buffer (one more), the fan-in
    buffer; then per pending gate its fingerprint, table candidate and whether
    the candidate's slot tag matched."""
    rows = _BLOCK_ROWS
    return (np.empty(rows, dtype=np.int64), np.empty(rows, dtype=np.int64), np.zeros(rows + 1, dtype=np.int64),
            np.empty(max(_BLOCK_ENTRIES, row_entries(widest)), dtype=np.int64),
            np.empty(rows, dtype=np.uint64), np.empty(rows, dtype=np.int64), np.empty(rows, dtype=np.bool_))


@_inlined
def _fingerprint(kind, buf, lo, hi, mask):
    """64-bit fingerprint of the canonical gate (kind, buf[lo:hi]), ANDed with ``mask``."""
    h = np.uint64(kind) * np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(hi - lo)
    for i in range(lo, hi):
        h = (h ^ np.uint64(buf[i])) * np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    h ^= h >> np.uint64(32)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(29)
    return h & mask


@_inlined
def _slot(fingerprint, size):
    """The table slot of a fingerprint: its top 32 bits scaled to [0, size)."""
    return np.int64(((fingerprint >> np.uint64(32)) * np.uint64(size)) >> np.uint64(32))


@_inlined
def _tag(fingerprint):
    """The fingerprint's low byte, kept beside its slot."""
    return np.uint8(fingerprint & np.uint64(0xFF))


@_inlined
def _sift_down(buf, lo, root, end):
    """Restore the max-heap ``buf[lo:end]`` (children of i at 2i + 1, 2i + 2, relative to lo) below ``root``."""
    x = buf[lo + root]
    while True:
        child = 2 * root + 1
        if lo + child >= end:
            break
        if lo + child + 1 < end and buf[lo + child + 1] > buf[lo + child]:
            child += 1
        if buf[lo + child] <= x:
            break
        buf[lo + root] = buf[lo + child]
        root = child
    buf[lo + root] = x


@_inlined
def _sort(buf, lo, hi):
    """Sort ``buf[lo:hi]`` in place: insertion sort for short rows, else heapsort
    (numpy's and numba's sorts allocate, which these kernels must not)."""
    if hi - lo <= _INSERTION_SORT_MAX:
        for i in range(lo + 1, hi):
            x = buf[i]
            j = i - 1
            while j >= lo and buf[j] > x:
                buf[j + 1] = buf[j]
                j -= 1
            buf[j + 1] = x
        return
    for root in range((hi - lo) // 2 - 1, -1, -1):
        _sift_down(buf, lo, root, hi)
    for end in range(hi - 1, lo, -1):
        buf[lo], buf[end] = buf[end], buf[lo]
        _sift_down(buf, lo, 0, end)


@_inlined
def _contains(buf, lo, hi, x):
    """Is ``x`` in the sorted ``buf[lo:hi]``?"""
    stop = hi
    while lo < hi:
        mid = (lo + hi) // 2
        if buf[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo < stop and buf[lo] == x


@_inlined
def _and_or_form(kind, buf, lo, hi, kinds, offsets, fanins, twin):
    """Canonical AND/OR of the sorted variables ``buf[lo:hi]``: deduplicated in
    place. Returns ``(node, kept)``: ``node`` >= 0 when the gate folds to that
    node (a complementary pair: a NOT and its fan-in, or twins; nothing left;
    one fan-in left), else -1 and the number of distinct fan-ins kept at
    ``buf[lo:lo + kept]``."""
    absorbing = _ZERO if kind == _AND else _ONE
    end = lo
    for i in range(lo, hi):
        if end == lo or buf[end - 1] != buf[i]:
            buf[end] = buf[i]
            end += 1
    for i in range(lo, end):  # a NOT's child is a smaller id: look for it before the NOT
        x = buf[i]
        if kinds[x] == _NOT and i > lo and _contains(buf, lo, i, fanins[offsets[x]]):
            return np.int64(absorbing), 0
        if len(twin) and twin[x] > x and _contains(buf, i + 1, end, twin[x]):
            return np.int64(absorbing), 0
    if end == lo:
        return np.int64(_ONE - absorbing), 0
    if end == lo + 1:
        return np.int64(buf[lo]), 1
    return np.int64(-1), end - lo


@_inlined
def _widest(bounds):
    """Most fan-ins of any row."""
    widest = 0
    for r in range(len(bounds) - 1):
        widest = max(widest, bounds[r + 1] - bounds[r])
    return widest


@_inlined
def _add_pending(scratch, n, kind, row):
    """Append pending gate ``n`` (its fan-ins already at the end of the buffer,
    ``scratch[2][n + 1]`` set by the caller) and return ``n + 1``."""
    scratch[0][n], scratch[1][n] = kind, row
    return n + 1


@_inlined
def _intern(kind, buf, lo, hi, fingerprint, store):
    """The id of the gate (kind, buf[lo:hi]) with the given fingerprint, appended
    if new; ``_NO_ROOM`` if it is new and the storage is full."""
    kinds, offsets, fanins, table, tags, counters, twin = store
    count = hi - lo
    slot, tag = _slot(fingerprint, len(table)), _tag(fingerprint)
    while True:
        cand = table[slot]
        if cand < 0:
            break
        if tags[slot] == tag and kinds[cand] == kind and offsets[cand + 1] - offsets[cand] == count:
            start = offsets[cand]
            same = True
            for i in range(count):
                if fanins[start + i] != buf[lo + i]:
                    same = False
                    break
            if same:
                return np.int64(cand)
        slot = slot + 1 if slot + 1 < len(table) else 0
    v, e = counters[0], counters[1]
    if v >= len(kinds) or e + count > len(fanins) or counters[2] + 1 > MAX_LOAD * len(table):
        return np.int64(_NO_ROOM)
    for i in range(count):
        fanins[e + i] = buf[lo + i]
    kinds[v] = kind
    offsets[v + 1] = e + count
    table[slot] = v
    tags[slot] = tag
    counters[0] = v + 1
    counters[1] = e + count
    counters[2] += 1
    return np.int64(v)


@_kernel
def _flush(n, scratch, mask, out, store):
    """Resolve the ``n`` pending gates into ``out``; return -1, or the row of
    the first pending gate that found the storage full."""
    kinds, offsets, fanins, table, tags, counters, twin = store
    pkind, prow, pstart, pbuf, fingerprint, cand, tagged = scratch
    for j in range(n):
        fingerprint[j] = _fingerprint(pkind[j], pbuf, pstart[j], pstart[j + 1], mask)
    for j in range(n):  # independent loads: their misses overlap (both, also for a new gate's empty slot)
        slot = _slot(fingerprint[j], len(table))
        cand[j] = table[slot]
        tagged[j] = tags[slot] == _tag(fingerprint[j])
    for j in range(n):
        c = cand[j]
        if c >= 0 and (not tagged[j] or kinds[c] != pkind[j] or offsets[c + 1] - offsets[c] != pstart[j + 1] - pstart[j]):
            cand[j] = -1
    for j in range(n):
        c = cand[j]
        if c >= 0:
            start = offsets[c] - pstart[j]
            for i in range(pstart[j], pstart[j + 1]):
                if fanins[start + i] != pbuf[i]:
                    cand[j] = -1
                    break
    for j in range(n):  # in row order: a later row may find a gate an earlier one added
        got = cand[j]
        if got < 0:
            got = _intern(pkind[j], pbuf, pstart[j], pstart[j + 1], fingerprint[j], store)
            if got == _NO_ROOM:
                return prow[j]
        out[prow[j]] = got
    return -1


@_kernel
def threshold_rows(wires, row_of, index, bounds, k, out, start, mask, store, scratch):
    """Threshold gates of pattern rows, canonical (AND and OR are the thresholds
    "all" and "at least one"). Gate ``g = l * R + r`` (R = ``len(bounds) - 1``
    rows per instance) reads the fan-ins ``wires[row_of[l], index[bounds[r]:bounds[r + 1]]]``,
    is 1 iff at least ``k[g]`` of them are 1, and goes to ``out[g]``; from gate ``start`` on."""
    kinds, offsets, fanins, table, tags, counters, twin = store
    per = len(bounds) - 1
    g = len(k)
    exist = counters[0]
    width = row_entries(_widest(bounds))
    pstart, pbuf = scratch[2], scratch[3]
    block = max(1, min(_BLOCK_ROWS, len(pbuf) // width))
    for first in range(start, g, block):
        n = 0
        for r in range(first, min(first + block, g)):
            lo = pstart[n]
            hi, need = lo, k[r]
            instance, row = divmod(r, per)
            src = row_of[instance]
            for i in range(bounds[row], bounds[row + 1]):
                x = wires[src, index[i]]
                if x < 0 or x >= exist:
                    return -1 - r
                if x == _ONE:
                    need -= 1
                elif x != _ZERO:
                    pbuf[hi] = x
                    hi += 1
            count = hi - lo
            if need <= 0:
                out[r] = _ONE
                continue
            if need > count:
                out[r] = _ZERO
                continue
            _sort(pbuf, lo, hi)
            if pbuf[lo] == pbuf[hi - 1]:
                out[r] = pbuf[lo]
                continue
            if need == 1 or need == count:
                kind = _OR if need == 1 else _AND
                node, kept = _and_or_form(kind, pbuf, lo, hi, kinds, offsets, fanins, twin)
                if node >= 0:
                    out[r] = node
                    continue
                pstart[n + 1] = lo + kept
            else:  # a MAJ with the fewest padding constants: |count + 1 - 2 need| of them
                kind = _MAJ
                pad = count + 1 - 2 * need
                fill = _ONE if pad > 0 else _ZERO
                for i in range(hi, hi + abs(pad)):
                    pbuf[i] = fill
                pstart[n + 1] = hi + abs(pad)
            n = _add_pending(scratch, n, kind, r)
        stop = _flush(n, scratch, mask, out, store)
        if stop >= 0:
            return stop
    return g


@_kernel
def not_rows(xs, out, start, mask, store, scratch):
    """``out[r]`` = NOT ``xs[r]``, folding constants and double negation, for r >= ``start``."""
    kinds, offsets, fanins, table, tags, counters, twin = store
    exist = counters[0]
    pstart, pbuf = scratch[2], scratch[3]
    for first in range(start, len(xs), _BLOCK_ROWS):
        n = 0
        for r in range(first, min(first + _BLOCK_ROWS, len(xs))):
            x = xs[r]
            if x < 0 or x >= exist:
                return -1 - r
            if x <= _ONE:
                out[r] = _ONE - x
            elif kinds[x] == _NOT:
                out[r] = fanins[offsets[x]]
            else:
                pbuf[n] = x
                pstart[n + 1] = n + 1
                n = _add_pending(scratch, n, _NOT, r)
        stop = _flush(n, scratch, mask, out, store)
        if stop >= 0:
            return stop
    return len(xs)


@_kernel
def rehash(n_nodes, mask, kinds, offsets, fanins, table, tags):
    """Insert every gate among the first ``n_nodes`` nodes into the empty ``table``."""
    for v in range(n_nodes):
        if kinds[v] < _AND:
            continue
        fingerprint = _fingerprint(kinds[v], fanins, offsets[v], offsets[v + 1], mask)
        slot = _slot(fingerprint, len(table))
        while table[slot] >= 0:
            slot = slot + 1 if slot + 1 < len(table) else 0
        table[slot] = v
        tags[slot] = _tag(fingerprint)
