"""Levelized, bit-packed circuit simulation.

Samples are packed 64 to a ``uint64`` word. A ``Schedule`` compiles a circuit
once into a flat program of numpy calls over one buffer of ``rows x W`` words
(``W`` words of samples per pass; a larger batch makes several passes through
the same program). Compilation has four stages:

1. *Evaluation graph.* Every ``(a OR b) AND NOT(a AND b)`` (the strict form of
   XOR) is evaluated as one XOR of a and b, and gates no output needs are
   dropped. This changes how the circuit is computed, never what it computes
   or how it is measured.
2. *Levels and groups.* Level by level, constant folding turns some gates
   into constants or copies (AND/OR of one variable, MAJ decided by its
   constant fan-ins, ...), which alias their source instead of being
   computed. The other gates are grouped by operation and fan-in bucket
   (rows of smaller fan-in are padded with a neutral constant), and each
   group gets consecutive rows, sorted by its gates' fan-in rows: operand
   columns are then often runs of consecutive rows, and MAJ gates over the
   same fan-ins (``[sum >= k]`` for several k) are adjacent.
3. *Rows.* Gates are written into a ring of C rows in program order; a value
   still needed after the ring has come round over it is copied into a spill
   row, freed after its last read. C trades ring and spill rows (fewer rows:
   more words per pass, fewer passes) against copies; the buffer grows with
   the circuit's live width, not its size.
4. *Calls.* Per step (a run of groups of one level) one ``np.take`` fetches
   the operand columns that are not runs of consecutive rows into a scratch
   area. AND/OR/XOR of two fan-ins is then one ufunc call, wider AND/OR one
   ``reduce``, NOT one ``invert``. MAJ ("at least k of F", constant fan-ins
   folded into k) counts each distinct fan-in row once with a layered
   Wallace tree of full adders (each layer a few calls for all gates of the
   piece), then compares the bit-sliced count with each gate's k, a few
   calls per count bit. No sample is ever unpacked.

``W`` is chosen so that the buffer fits in cache where possible and always
within ``max_bytes`` (at least one word).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from tc0.circuit import (
    FIRST_INPUT,
    ONE,
    ZERO,
    Circuit,
    Kind,
    majority_threshold,
    ragged_rows,
)
from tc0.builder_kernels import live_nodes, node_levels
from tc0.errors import SimulationInputError

_ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
DEFAULT_MAX_BYTES = 2 << 30
#: operand rows per step: bounds the scratch area
_STEP_ROWS = 1 << 12
# Cost model, in row-words touched (one word of one buffer row read or written by a call):
#: the buffer size a pass aims for (about a core's L2 cache), and the fewest words per pass
_CACHE_BYTES = 1 << 22
_MIN_WORDS = 8
#: the fixed cost of one numpy call
_CALL_COST = 10_000
#: ring capacity choice: a buffer row costs 1/_RING_ROWS_PER_CALL of a call per pass (the
#: fewer rows, the more words per pass, the fewer passes), a value copied to a spill row _SPILL_COST
_RING_ROWS_PER_CALL = 2048
_SPILL_COST = 5
#: gate code of the evaluation graph (beside Kind's) for a recovered XOR
_XOR_GATE = 7

# Compiled calls are tuples (code, ...) over buffer row addresses: a row
# number, or ~offset for a row of the scratch area that follows the rows.
_TAKE, _SHUFFLE, _AND, _OR, _XOR, _INV, _COPY, _REDUCE_AND, _REDUCE_OR, _MOVE = range(10)
_BINARY = {_AND: np.bitwise_and, _OR: np.bitwise_or, _XOR: np.bitwise_xor}
_REDUCE = {_REDUCE_AND: np.bitwise_and, _REDUCE_OR: np.bitwise_or}
_TWO_INPUT = {Kind.AND: _AND, Kind.OR: _OR, _XOR_GATE: _XOR}


@dataclass
class _Piece:
    """Gates evaluated by one set of calls, writing virtual rows ``out .. out + r``."""

    op: int  # Kind.AND, OR, NOT, MAJ or _XOR_GATE
    fanins: np.ndarray  # (r, f) virtual rows of the fan-ins
    out: int
    k: np.ndarray | None = None  # MAJ: gate i is 1 iff at least k[i] of its fan-ins are


class Schedule:
    """A circuit compiled for simulation (see the module docstring).

    ``calls`` is the program and ``work_rows`` the rows its calls touch per
    word of samples; ``n_rows`` the buffer rows of values (sources, the
    ring and ``spill_rows``) and ``scratch_rows`` those of the
    scratch area; ``outputs`` the rows of the output bits after a pass.
    """

    def __init__(self, circuit: Circuit):
        self.circuit = circuit
        grouper = _Grouper(circuit)
        steps = grouper.steps
        out_virtual = {name: grouper.virtual[np.asarray(ids, dtype=np.int64)] for name, ids in circuit.outputs.items()}
        layout = _Layout(steps, circuit.first_gate, grouper.n_virtual, out_virtual)
        compiler = _Compiler()
        for s, step in enumerate(steps):
            for piece in step:
                _emit_piece(compiler, piece, layout.read_rows(piece.fanins, s), layout.write_row(piece.out))
            compiler.flush()
            compiler.calls.extend(layout.spills(s))
        self.calls = compiler.calls
        self.work_rows = sum(_rows_touched(call) for call in self.calls)
        self.n_rows, self.scratch_rows = layout.n_rows, compiler.scratch_rows
        self.spill_rows = layout.spill_rows
        self.outputs = {name: layout.read_rows(v, len(steps)) for name, v in out_virtual.items()}

    @property
    def nbytes(self) -> int:
        """Bytes held by the compiled program (its index arrays)."""
        arrays = [x for call in self.calls for x in call if isinstance(x, np.ndarray)]
        return sum(a.nbytes for a in arrays) + sum(v.nbytes for v in self.outputs.values())

    def buffer_bytes(self, words: int, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
        """Bytes of the value buffer a run over ``words`` words allocates."""
        return 8 * (self.n_rows + self.scratch_rows) * self.words_per_pass(words, max_bytes)

    # ------------------------------------------------------------ running
    def words_per_pass(self, words: int, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
        """Words of samples evaluated per pass: the buffer fits in cache if it
        can, unless more words are needed to amortize the calls; in
        ``max_bytes`` always (down to one word); and the passes are equal so
        the last one computes no padding."""
        rows = self.n_rows + self.scratch_rows
        prefer = _words_for(rows, len(self.calls), self.work_rows)
        most = max(1, min(words, prefer, max_bytes // (8 * rows)))
        return -(-words // -(-words // most))

    def run(self, packed_inputs: np.ndarray, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
        """Evaluate on packed inputs ``(n_input_bits, words)``; returns the
        packed values of all output bits, ``(n_output_bits, words)``."""
        words = packed_inputs.shape[1]
        out_rows = np.concatenate([np.zeros(0, dtype=np.int64), *self.outputs.values()])
        result = np.empty((len(out_rows), words), dtype=np.uint64)
        if words == 0:
            return result
        w = self.words_per_pass(words, max_bytes)
        buf = np.zeros((self.n_rows + self.scratch_rows, w), dtype=np.uint64)
        buf[ONE] = _ALL_ONES
        program = self._bind(buf)
        first = self.circuit.first_gate
        for lo in range(0, words, w):
            hi = min(words, lo + w)
            buf[FIRST_INPUT:first, : hi - lo] = packed_inputs[:, lo:hi]
            for fn, args in program:
                fn(*args)
            result[:, lo:hi] = buf[out_rows, : hi - lo]
        return result

    def _bind(self, buf: np.ndarray) -> list[tuple]:
        """The program as (function, arguments) over views of ``buf``."""
        values = buf[: self.n_rows]

        def rows(addr: int, n: int) -> np.ndarray:
            start = addr if addr >= 0 else self.n_rows + ~addr
            return buf[start : start + n]

        bound = []
        for call in self.calls:
            code = call[0]
            if code == _TAKE:
                _, idx, dst = call
                bound.append((np.take, (values, idx, 0, rows(dst, len(idx)), "clip")))
            elif code == _SHUFFLE:
                _, idx, dst = call
                bound.append((np.take, (buf[self.n_rows : self.n_rows + ~dst], idx, 0, rows(dst, len(idx)), "clip")))
            elif code == _MOVE:
                _, src, dst = call
                bound.append((_move, (values, src, dst)))
            elif code in _BINARY:
                _, a, b, out, n = call
                bound.append((_BINARY[code], (rows(a, n), rows(b, n), rows(out, n))))
            elif code == _INV:
                _, a, out, n = call
                bound.append((np.invert, (rows(a, n), rows(out, n))))
            elif code == _COPY:
                _, a, out, n = call
                bound.append((np.copyto, (rows(out, n), rows(a, n))))
            else:
                _, a, f, n, out = call
                block = rows(a, f * n).reshape(f, n, buf.shape[1])
                bound.append((_REDUCE[code].reduce, (block, 0, None, rows(out, n))))
        return bound


def _move(values: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
    values[dst] = values[src]


def _words_for(rows: int, calls: int, work: int) -> int:
    """Preferred words per pass: the buffer in cache, unless more words are
    needed for the calls' fixed cost to stay below the work."""
    return max(_MIN_WORDS, _CACHE_BYTES // (8 * rows), calls * _CALL_COST // max(work, 1))


def _rows_touched(call: tuple) -> int:
    """Rows a compiled call reads or writes, per word of samples (roughly its cost)."""
    code = call[0]
    if code in (_TAKE, _SHUFFLE, _MOVE):
        return 2 * len(call[1])
    if code in _REDUCE:
        return (call[2] + 1) * call[3]
    return 3 * call[-1] if code in _BINARY else 2 * call[-1]


class _Grouper:
    """Stage 2: constant folding, groups and pieces, level by level.

    ``virtual[v]`` is node v's virtual row: sources keep their ids, computed
    gates are numbered in program order, folded gates alias a constant or
    their source. ``steps`` lists the pieces of each step.
    """

    def __init__(self, circuit: Circuit):
        self.circuit = circuit
        self.kind, self.fanins, order, bounds = _evaluation_graph(circuit)
        first = circuit.first_gate
        self.virtual = np.empty(circuit.n_nodes, dtype=np.int64)
        self.virtual[:first] = np.arange(first)
        self.n_virtual = first
        self.steps: list[list[_Piece]] = [[]]
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
        is_xor = op == _XOR_GATE  # XOR keeps constant fan-ins: they are rows like any other
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
        rank = np.lexsort(mat.T[::-1])
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
            cuts = np.flatnonzero(np.diff(np.cumsum(cost) // (4 * _STEP_ROWS))) + 1
            for lo, hi in zip([0, *cuts], [*cuts, len(mat)]):  # its work planes follow its operands: own step
                self._close_step()
                self.steps[-1].append(_Piece(op, mat[lo:hi], out + lo, k[lo:hi]))
                self._close_step()
            return
        piece = max(1, _STEP_ROWS // f)
        for lo in range(0, len(mat), piece):
            self.steps[-1].append(_Piece(op, mat[lo : lo + piece], out + lo))
            self._step_rows += self.steps[-1][-1].fanins.size
            if self._step_rows >= _STEP_ROWS:
                self._close_step()

    def _close_step(self) -> None:
        if self.steps[-1]:
            self.steps.append([])
        self._step_rows = 0


def _evaluation_graph(circuit: Circuit):
    """Stage 1: ``(kind, fanins, order, bounds)`` of the graph to evaluate.

    XOR patterns become ``_XOR_GATE`` gates over (a, b) in place of the outer
    AND (same fan-in count, so ``circuit.offsets`` still applies). ``order``
    lists the gates some output needs, by level; level L is
    ``order[bounds[L-1]:bounds[L]]``. Without an XOR pattern ``kind`` and
    ``fanins`` are the circuit's own arrays (not copies: read them only) and
    the levels are the circuit's cached ``level``.
    """
    kind, offsets, fanins = circuit.kind, circuit.offsets, circuit.fanins
    count = np.diff(offsets)
    last = max(len(fanins) - 1, 0)

    def pair(x):
        a, b = fanins[offsets[x]], fanins[np.minimum(offsets[x] + 1, last)]
        return np.minimum(a, b), np.maximum(a, b)

    g = np.flatnonzero((kind == Kind.AND) & (count == 2))
    p, q = fanins[offsets[g]], fanins[offsets[g] + 1]
    swap = kind[p] == Kind.NOT
    p, q = np.where(swap, q, p), np.where(swap, p, q)
    r = fanins[np.minimum(offsets[q], last)]
    (pa, pb), (ra, rb) = pair(p), pair(r)
    ok = (kind[p] == Kind.OR) & (count[p] == 2) & (kind[q] == Kind.NOT)
    ok &= (kind[r] == Kind.AND) & (count[r] == 2) & (pa == ra) & (pb == rb)
    g = g[ok]

    first = circuit.first_gate
    if len(g):  # the levels change: XOR(a, b) is one level above a and b, not three
        kind, fanins = kind.copy(), fanins.copy()
        kind[g] = _XOR_GATE
        fanins[offsets[g]], fanins[offsets[g] + 1] = pa[ok], pb[ok]
        level = node_levels(offsets, fanins, first)
    else:
        level = circuit.level
    level = level[first:]
    order = np.argsort(level, kind="stable") + first
    bounds = np.searchsorted(level[order - first], np.arange(int(level.max(initial=0)) + 1), side="right")
    keep = live_nodes(circuit.n_nodes, offsets, fanins, circuit.output_ids())[order]
    return kind, fanins, order[keep], np.concatenate([[0], np.cumsum(keep)])[bounds]


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


class _Layout:
    """Stage 3: buffer rows of the virtual rows.

    Rows ``0 .. first-1`` hold the sources. Pieces write a ring of
    ``capacity`` rows in program order (a piece never wraps: it starts the
    ring over instead); ``tau`` is a gate's write position counted without
    wrapping, so its ring row is overwritten at position ``tau + capacity``
    at the earliest. A read in step s is served from the ring if the ring has
    not reached that position by the end of step s, else from a spill row.
    Values are copied to spill rows in batches, at the end of "move steps"
    spaced so that each value is still in the ring when its batch moves.

    The capacity is the cheapest of 2 x (most rows a step writes) x 2^i by a
    rough cost: fewer rows mean more words per pass and fewer passes, so less
    call overhead, but every spilled value costs a copy.
    """

    def __init__(self, steps: list[list[_Piece]], first: int, n_virtual: int, outputs: dict[str, np.ndarray]):
        self.first = first
        n_steps = len(steps)
        sizes = np.array([len(p.fanins) for step in steps for p in step], dtype=np.int64)
        step_of_piece = np.repeat(np.arange(n_steps), [len(step) for step in steps])
        last_read = np.full(n_virtual, -1, dtype=np.int64)
        for s, step in enumerate(steps):
            for piece in step:
                last_read[piece.fanins] = s
        for v in outputs.values():
            last_read[v] = n_steps
        last_read = last_read[first:]
        step_write = np.bincount(step_of_piece, weights=sizes, minlength=n_steps)
        row_cost = (len(sizes) + n_steps) / _RING_ROWS_PER_CALL  # about a call per piece and a gather per step
        best, best_cost = None, float("inf")
        for capacity in 2 * int(step_write.max(initial=1)) << np.arange(64):
            if (first + capacity) * row_cost >= best_cost:
                break  # larger rings only cost more
            plan = _plan(int(capacity), sizes, step_of_piece, last_read, n_steps)
            copies = _SPILL_COST * int(plan.spilled.sum())
            if (first + capacity) * row_cost + copies >= best_cost:
                continue
            cost = (first + capacity + plan.spill_rows(last_read)) * row_cost + copies
            if cost < best_cost:
                best, best_cost = plan, cost
            if not copies:
                break
        slot, spill_rows = best.assign_slots(last_read)
        self.capacity, self.spill_rows, self.tau, self.step_end = best.capacity, spill_rows, best.tau, best.step_end
        spilled = np.flatnonzero(best.spilled)  # in write order, so by move step
        # ring and spill row of every virtual row (a source is its own ring row and has no spill row)
        self._ring_row = np.concatenate([np.arange(first), first + self.tau % self.capacity])
        self._spill_row = np.full(n_virtual, -1, dtype=np.int64)
        self._spill_row[first + spilled] = first + self.capacity + slot
        self.n_rows = first + self.capacity + self.spill_rows
        moved = best.moved[spilled]
        self._moves = {
            int(moved[part[0]]): (_MOVE, self._ring_row[first + spilled[part]], self._spill_row[first + spilled[part]])
            for part in np.split(np.arange(len(spilled)), np.flatnonzero(np.diff(moved)) + 1)
            if len(part)
        }

    def write_row(self, v: int) -> int:
        return int(self._ring_row[v])

    def read_rows(self, v: np.ndarray, step: int) -> np.ndarray:
        """Rows to read virtual rows ``v`` from during ``step``: the ring row,
        or the spill row once the ring has come round over it."""
        rows = self._ring_row[v]
        spill = self._spill_row[v]
        late = spill >= 0
        if late.any():
            late[late] = self.step_end[step] > self.tau[v[late] - self.first] + self.capacity
            rows[late] = spill[late]
        return rows

    def spills(self, step: int) -> list[tuple]:
        """The copies into spill rows at the end of ``step``, as calls."""
        return [self._moves[step]] if step in self._moves else []


@dataclass
class _Plan:
    """Ring positions and spills for one ring capacity."""

    capacity: int
    tau: np.ndarray  # write position of each gate row
    step_end: np.ndarray  # write position at the end of each step, and of the pass
    spilled: np.ndarray  # gate rows read after the ring came round over them
    moved: np.ndarray  # step at whose end each gate row would be copied to a spill row

    def spill_rows(self, last_read: np.ndarray) -> int:
        """Spill rows needed: the most values held at once (what ``assign_slots`` uses)."""
        g = np.flatnonzero(self.spilled)
        if not len(g):
            return 0
        n = int(last_read.max()) + 2
        held = np.cumsum(np.bincount(self.moved[g], minlength=n) - np.bincount(last_read[g], minlength=n))
        return int(held.max())

    def assign_slots(self, last_read: np.ndarray) -> tuple[np.ndarray, int]:
        """Spill slot of each spilled row (in row order), taken at the end of its
        move step and free again at the end of its last read; and the slots used."""
        g = np.flatnonzero(self.spilled)
        slot = np.empty(len(g), dtype=np.int64)
        by_last = np.argsort(last_read[g], kind="stable")
        last_sorted = last_read[g][by_last]
        free: list[int] = []
        used = released = 0
        moved = self.moved[g]  # g is in write order, so moved is sorted
        bounds = [0, *(np.flatnonzero(np.diff(moved)) + 1).tolist(), len(g)] if len(g) else []
        for lo, hi in pairwise(bounds):
            upto = int(np.searchsorted(last_sorted, moved[lo], side="right"))
            free.extend(slot[by_last[released:upto]].tolist())
            released = upto
            reuse = min(len(free), hi - lo)
            slot[lo : lo + reuse] = free[len(free) - reuse :]
            del free[len(free) - reuse :]
            slot[lo + reuse : hi] = np.arange(used, used + hi - lo - reuse)
            used += hi - lo - reuse
        return slot, used


def _plan(capacity, sizes, step_of_piece, last_read, n_steps) -> _Plan:
    """Ring positions and move steps for one ring capacity."""
    starts, position = [], 0
    for size in sizes.tolist():
        if position % capacity + size > capacity:
            position += capacity - position % capacity
        starts.append(position)
        position += size
    starts = np.array(starts, dtype=np.int64)
    last_piece = np.searchsorted(step_of_piece, np.arange(n_steps), side="right") - 1
    step_end = np.append((starts + sizes)[last_piece], position)
    tau = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(int(sizes.sum()))
    # move steps: each is the last step ending within one capacity of the previous one's end,
    # so a value made after one move step is still in the ring at the next
    points, s = [], -1
    while s < n_steps - 1:
        s = int(np.searchsorted(step_end[:n_steps], (step_end[s] if s >= 0 else 0) + capacity, side="right")) - 1
        points.append(s)
    move_of_step = np.asarray(points, dtype=np.int64)[np.searchsorted(points, step_of_piece)]
    moved = np.repeat(move_of_step, sizes)  # of each gate row, by the step writing it
    spilled = (last_read >= 0) & (step_end[np.maximum(last_read, 0)] > tau + capacity)
    return _Plan(capacity, tau, step_end, spilled, moved)


class _Compiler:
    """Accumulates calls, step by step: one gather, then the step's calls."""

    def __init__(self):
        self.calls: list[tuple] = []
        self.scratch_rows = 0
        self._gathered: list[np.ndarray] = []
        self._gather_rows = 0
        self._work = 0  # scratch rows of MAJ work planes, after the gathered rows
        self._pending: list[tuple] = []

    def gather(self, rows: np.ndarray) -> int:
        """Scratch address where ``rows`` will have been fetched when the step's calls run."""
        addr = ~self._gather_rows
        self._gathered.append(rows)
        self._gather_rows += len(rows)
        return addr

    def operand(self, rows: np.ndarray) -> int:
        """Address of an operand column: in place if its rows are consecutive, else gathered."""
        if len(rows) == 1 or np.all(np.diff(rows) == 1):
            return int(rows[0])
        return self.gather(rows)

    def shuffle(self, rows: np.ndarray) -> int:
        """Scratch address of a copy of scratch rows ``rows`` (made when the calls run)."""
        addr = self.work(len(rows))
        self.emit(_SHUFFLE, rows.astype(np.intp, copy=False), addr)
        return addr

    def work(self, rows: int) -> int:
        """Scratch rows for intermediate planes of the current step."""
        addr = ~(self._gather_rows + self._work)
        self._work += rows
        return addr

    def emit(self, *call) -> None:
        self._pending.append(call)

    def flush(self) -> None:
        """Close the step: its gather first, then its calls."""
        if self._gathered:
            self.calls.append((_TAKE, np.concatenate(self._gathered).astype(np.intp, copy=False), ~0))
        self.calls.extend(self._pending)
        self.scratch_rows = max(self.scratch_rows, self._gather_rows + self._work)
        self._gathered, self._gather_rows, self._work, self._pending = [], 0, 0, []


def _emit_piece(compiler: _Compiler, piece: _Piece, mat: np.ndarray, out: int) -> None:
    """Calls evaluating ``piece``, whose fan-ins are at buffer rows ``mat``."""
    r, f = mat.shape
    if piece.op == Kind.NOT:
        compiler.emit(_INV, compiler.operand(mat[:, 0]), out, r)
    elif piece.op == Kind.MAJ:
        _majority(compiler, mat, piece.k, out)
    elif f == 2:
        compiler.emit(_TWO_INPUT[piece.op], compiler.operand(mat[:, 0]), compiler.operand(mat[:, 1]), out, r)
    else:
        code = _REDUCE_AND if piece.op == Kind.AND else _REDUCE_OR
        compiler.emit(code, compiler.gather(mat.T.reshape(-1)), f, r, out)


def _majority(compiler: _Compiler, mat: np.ndarray, k: np.ndarray, out: int) -> None:
    """Calls for ``out[i] = [at least k[i] of the fan-ins at rows mat[i] are 1]``, ``2 <= k < f``.

    Each distinct fan-in row (rows are sorted, so repeats are adjacent) is
    counted once by ``_count``; the count planes are then copied out to the
    rows that share them and compared with ``k - 1`` from the least
    significant bit: ``gt = c_b & gt`` where bit b of k - 1 is 1, else
    ``gt = c_b | gt``. With k varying by row, that is
    ``gt = MAJ(c_b, gt, NOT t_b)`` over gathered planes of the constant bits.
    """
    r, f = mat.shape
    emit = compiler.emit
    new = np.ones(r, dtype=bool)
    new[1:] = np.any(mat[1:] != mat[:-1], axis=1)
    u = int(new.sum())
    t = k - 1
    bits = f.bit_length()
    uniform = bool(np.all(t == t[0]))
    block = compiler.gather(mat[new].T.reshape(-1))
    if not uniform:
        not_t = np.where((t[None, :] >> np.arange(bits)[:, None]) & 1, ZERO, ONE)
        not_t_planes = compiler.gather(not_t.reshape(-1))
    count = _count(compiler, block, f, u, bits)
    if u < r:
        which = np.cumsum(new) - 1
        expanded = compiler.shuffle(np.concatenate([~c + which for c in count]))
        count = [_plane(expanded, b, r) for b in range(len(count))]
    if uniform:
        gt = False
        for b, plane in enumerate(count):
            if (int(t[0]) >> b) & 1:
                if gt:
                    emit(_AND, plane, out, out, r)
            elif gt:
                emit(_OR, plane, out, out, r)
            else:
                emit(_COPY, plane, out, r)
                gt = True
        return
    emit(_AND, count[0], not_t_planes, out, r)
    x = compiler.work(r)
    for b in range(1, len(count)):
        nt = _plane(not_t_planes, b, r)
        emit(_AND, count[b], out, x, r)
        emit(_OR, count[b], out, out, r)
        emit(_AND, out, nt, out, r)
        emit(_OR, out, x, out, r)


def _count(compiler: _Compiler, block: int, f: int, u: int, bits: int) -> list[int]:
    """Calls adding the f planes of u rows at scratch address ``block``;
    returns the addresses of the sum's ``bits`` bit planes, least significant
    first (the sum is below ``2**bits``, so carries out of the top bit are 0
    and are not formed).

    A Wallace tree in layers: in each column of equal weight, triples of
    planes go through full adders, a remaining pair through a half adder, a
    remaining single plane passes. One layer's adders of all columns run as
    one set of calls: their operands are laid out role by role (all first
    operands, all second, ...), by one shuffle where they are not already.
    """
    emit = compiler.emit
    columns = [[_plane(block, i, u) for i in range(f)]]
    while any(len(c) > 1 for c in columns):
        triples, pairs, passed = [], [], []
        for w, c in enumerate(columns):
            m = len(c) // 3
            triples += [(w, c[i], c[m + i], c[2 * m + i]) for i in range(m)]
            if len(c) % 3 == 2:
                pairs.append((w, c[-2], c[-1]))
            elif len(c) % 3 == 1:
                passed.append((w, c[-1]))
        roles = [x[1] for x in triples] + [x[2] for x in triples] + [x[3] for x in triples]
        roles += [x[1] for x in pairs] + [x[2] for x in pairs]
        offsets = np.array([~a for a in roles])
        if np.all(offsets == offsets[0] + u * np.arange(len(roles))):
            base = roles[0]
        else:
            base = compiler.shuffle((offsets[:, None] + np.arange(u)).reshape(-1))
        nt, nh = len(triples), len(pairs)
        new_columns: list[list[int]] = [[] for _ in range(bits + 1)]
        for w, a in passed:
            new_columns[w].append(a)
        if nt:
            n = nt * u
            a, b, c = base, _plane(base, nt, u), _plane(base, 2 * nt, u)
            x, s, carry = compiler.work(n), compiler.work(n), compiler.work(n)
            emit(_XOR, a, b, x, n)
            emit(_XOR, x, c, s, n)
            emit(_AND, a, b, carry, n)
            emit(_AND, x, c, x, n)
            emit(_OR, carry, x, carry, n)
            for i, (w, *_) in enumerate(triples):
                new_columns[w].append(_plane(s, i, u))
                new_columns[w + 1].append(_plane(carry, i, u))
        if nh:
            n = nh * u
            a, b = _plane(base, 3 * nt, u), _plane(base, 3 * nt + nh, u)
            s, carry = compiler.work(n), compiler.work(n)
            emit(_XOR, a, b, s, n)
            emit(_AND, a, b, carry, n)
            for i, (w, *_) in enumerate(pairs):
                new_columns[w].append(_plane(s, i, u))
                new_columns[w + 1].append(_plane(carry, i, u))
        columns = new_columns[:bits]
        while not columns[-1]:
            columns.pop()
    return [c[0] for c in columns]


def _plane(addr: int, i: int, r: int) -> int:
    """Address of the i-th plane of a stack of r-row planes at scratch address ``addr``."""
    return ~(~addr + i * r)


_schedules: weakref.WeakKeyDictionary[Circuit, Schedule] = weakref.WeakKeyDictionary()


def schedule_for(circuit: Circuit) -> Schedule:
    """The (cached) simulation schedule of ``circuit``."""
    sched = _schedules.get(circuit)
    if sched is None:
        sched = _schedules[circuit] = Schedule(circuit)
    return sched


def ints_to_bits(values: list[int], width: int) -> np.ndarray:
    """Unsigned ints -> (len(values), width) uint8 bits, LSB first."""
    nbytes = max(1, -(-width // 8))
    raw = np.frombuffer(b"".join(v.to_bytes(nbytes, "little") for v in values), dtype=np.uint8)
    return np.unpackbits(raw.reshape(len(values), nbytes), axis=1, bitorder="little")[:, :width]


def bits_to_ints(bits: np.ndarray) -> list[int]:
    """(batch, width) bits, LSB first -> unsigned ints."""
    packed = np.packbits(bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


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


def _check_ports(circuit: Circuit, given) -> None:
    unknown = set(given) - set(circuit.inputs)
    if unknown:
        raise SimulationInputError(f"unknown input port(s): {', '.join(sorted(unknown))}")
    missing = [p for p in circuit.inputs if p not in given]
    if missing:
        raise SimulationInputError(f"missing input port(s): {', '.join(missing)}")


def _check_inputs(circuit: Circuit, inputs: dict) -> int:
    _check_ports(circuit, inputs)
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
    _check_ports(circuit, packed)
    words = None
    for name, width in circuit.inputs.items():
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
    flat = schedule_for(circuit).run(stacked, max_bytes)
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
        if arr.dtype != bool and not np.issubdtype(arr.dtype, np.integer):
            raise SimulationInputError(f"input {name!r}: bits must be bool or integer 0/1, got dtype {arr.dtype}")
        if arr.dtype != bool and arr.size and (arr.min() < 0 or arr.max() > 1):
            raise SimulationInputError(f"input {name!r}: bits must be 0 or 1")
        packed[name] = pack_bits(arr.astype(np.uint8))
    out = simulate_packed(circuit, packed, max_bytes)
    return {name: unpack_bits(v, batch) for name, v in out.items()}
