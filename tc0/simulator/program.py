"""Stage 4 of a simulation schedule: the calls. Per step one gather of the
operand rows, then one numpy call per operation over all gates of a piece;
MAJ gates by a bit-sliced Wallace-tree count and a comparison with k.

Compiled calls are tuples ``(code, ...)`` over buffer row addresses: a row
number, or ``~offset`` for a row of the scratch area that follows the rows."""

from __future__ import annotations

import numpy as np

from tc0.ir.schema import ONE, ZERO, Kind
from tc0.simulator.graph import XOR_GATE
from tc0.simulator.grouping import Piece

#: call codes
TAKE, SHUFFLE, AND, OR, XOR, INV, COPY, REDUCE_AND, REDUCE_OR, MOVE = range(10)
#: the ufunc of each binary call and of each reduction
BINARY = {AND: np.bitwise_and, OR: np.bitwise_or, XOR: np.bitwise_xor}
REDUCE = {REDUCE_AND: np.bitwise_and, REDUCE_OR: np.bitwise_or}
_TWO_INPUT = {Kind.AND: AND, Kind.OR: OR, XOR_GATE: XOR}


def rows_touched(call: tuple) -> int:
    """Rows a compiled call reads or writes, per word of samples (roughly its cost)."""
    code = call[0]
    if code in (TAKE, SHUFFLE, MOVE):
        return 2 * len(call[1])
    if code in REDUCE:
        return (call[2] + 1) * call[3]
    return 3 * call[-1] if code in BINARY else 2 * call[-1]


class ProgramWriter:
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
        self.emit(SHUFFLE, rows.astype(np.intp, copy=False), addr)
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
            self.calls.append((TAKE, np.concatenate(self._gathered).astype(np.intp, copy=False), ~0))
        self.calls.extend(self._pending)
        self.scratch_rows = max(self.scratch_rows, self._gather_rows + self._work)
        self._gathered, self._gather_rows, self._work, self._pending = [], 0, 0, []


def emit_piece(writer: ProgramWriter, piece: Piece, mat: np.ndarray, out: int) -> None:
    """Calls evaluating ``piece``, whose fan-ins are at buffer rows ``mat``."""
    r, f = mat.shape
    if piece.op == Kind.NOT:
        writer.emit(INV, writer.operand(mat[:, 0]), out, r)
    elif piece.op == Kind.MAJ:
        _majority(writer, mat, piece.k, out)
    elif f == 2:
        writer.emit(_TWO_INPUT[piece.op], writer.operand(mat[:, 0]), writer.operand(mat[:, 1]), out, r)
    else:
        code = REDUCE_AND if piece.op == Kind.AND else REDUCE_OR
        writer.emit(code, writer.gather(mat.T.reshape(-1)), f, r, out)


def _majority(writer: ProgramWriter, mat: np.ndarray, k: np.ndarray, out: int) -> None:
    """Calls for ``out[i] = [at least k[i] of the fan-ins at rows mat[i] are 1]``, ``2 <= k < f``.

    Each distinct fan-in row (rows are sorted, so repeats are adjacent) is
    counted once by ``_count``; the count planes are then copied out to the
    rows that share them and compared with ``k - 1`` from the least
    significant bit: ``gt = c_b & gt`` where bit b of k - 1 is 1, else
    ``gt = c_b | gt``. With k varying by row, that is
    ``gt = MAJ(c_b, gt, NOT t_b)`` over gathered planes of the constant bits.
    """
    r, f = mat.shape
    emit = writer.emit
    new = np.ones(r, dtype=bool)
    new[1:] = np.any(mat[1:] != mat[:-1], axis=1)
    u = int(new.sum())
    t = k - 1
    bits = f.bit_length()
    uniform = bool(np.all(t == t[0]))
    block = writer.gather(mat[new].T.reshape(-1))
    if not uniform:
        not_t = np.where((t[None, :] >> np.arange(bits)[:, None]) & 1, ZERO, ONE)
        not_t_planes = writer.gather(not_t.reshape(-1))
    count = _count(writer, block, f, u, bits)
    if u < r:
        which = np.cumsum(new) - 1
        expanded = writer.shuffle(np.concatenate([~c + which for c in count]))
        count = [_plane(expanded, b, r) for b in range(len(count))]
    if uniform:
        gt = False
        for b, plane in enumerate(count):
            if (int(t[0]) >> b) & 1:
                if gt:
                    emit(AND, plane, out, out, r)
            elif gt:
                emit(OR, plane, out, out, r)
            else:
                emit(COPY, plane, out, r)
                gt = True
        return
    emit(AND, count[0], not_t_planes, out, r)
    x = writer.work(r)
    for b in range(1, len(count)):
        nt = _plane(not_t_planes, b, r)
        emit(AND, count[b], out, x, r)
        emit(OR, count[b], out, out, r)
        emit(AND, out, nt, out, r)
        emit(OR, out, x, out, r)


def _count(writer: ProgramWriter, block: int, f: int, u: int, bits: int) -> list[int]:
    """Calls adding the f planes of u rows at scratch address ``block``;
    returns the addresses of the sum's ``bits`` bit planes, least significant
    first (the sum is below ``2**bits``, so carries out of the top bit are 0
    and are not formed).

    A Wallace tree in layers: in each column of equal weight, triples of
    planes go through full adders, a remaining pair through a half adder, a
    remaining single plane passes. One layer's adders of all columns run as
    one set of calls: their operands are laid out role by role (all first
    operands, all second, ...), by one shuffle where they are not already.
    A column is an array of its planes' scratch offsets, so the bookkeeping
    takes a few bytes per fan-in however wide the gate.
    """
    columns = [~block + u * np.arange(f, dtype=np.int64)]
    while any(len(c) > 1 for c in columns):
        m = [len(c) // 3 for c in columns]
        paired = [len(c) % 3 == 2 for c in columns]
        roles = np.concatenate([c[k * mw : (k + 1) * mw] for k in range(3) for c, mw in zip(columns, m)]
                               + [c[3 * mw + k : 3 * mw + k + 1] for k in range(2)
                                  for c, mw, p in zip(columns, m, paired) if p])
        if np.all(roles == roles[0] + u * np.arange(len(roles))):
            base = ~int(roles[0])
        else:
            base = writer.shuffle((roles[:, None] + np.arange(u)).reshape(-1))
        nt, nh = sum(m), sum(paired)
        new_columns: list[list[np.ndarray]] = [[] for _ in range(bits + 1)]
        for w, (c, mw) in enumerate(zip(columns, m)):
            if len(c) % 3 == 1:
                new_columns[w].append(c[3 * mw :])
        if nt:
            _place(new_columns, *_full_adders(writer, base, nt * u), m, u)
        if nh:
            _place(new_columns, *_half_adders(writer, _plane(base, 3 * nt, u), nh * u), [int(p) for p in paired], u)
        columns = [np.concatenate(c) if c else np.zeros(0, dtype=np.int64) for c in new_columns[:bits]]
        while not len(columns[-1]):
            columns.pop()
    return [~int(c[0]) for c in columns]


def _place(columns: list[list[np.ndarray]], s: int, carry: int, counts: list[int], u: int) -> None:
    """Append to each column w the sum planes of its ``counts[w]`` adders and to column w + 1
    their carry planes; the adders' outputs are stacks of u-row planes at ``s`` and ``carry``."""
    start = 0
    for w, count in enumerate(counts):
        planes = u * np.arange(start, start + count, dtype=np.int64)
        columns[w].append(~s + planes)
        columns[w + 1].append(~carry + planes)
        start += count


def _full_adders(writer: ProgramWriter, a: int, n: int) -> tuple[int, int]:
    """Calls for n full adders over the three consecutive n-row stacks at ``a``: (sum, carry) addresses."""
    emit = writer.emit
    b, c = _plane(a, 1, n), _plane(a, 2, n)
    x, s, carry = writer.work(n), writer.work(n), writer.work(n)
    emit(XOR, a, b, x, n)
    emit(XOR, x, c, s, n)
    emit(AND, a, b, carry, n)
    emit(AND, x, c, x, n)
    emit(OR, carry, x, carry, n)
    return s, carry


def _half_adders(writer: ProgramWriter, a: int, n: int) -> tuple[int, int]:
    """Calls for n half adders over the two consecutive n-row stacks at ``a``: (sum, carry) addresses."""
    b = _plane(a, 1, n)
    s, carry = writer.work(n), writer.work(n)
    writer.emit(XOR, a, b, s, n)
    writer.emit(AND, a, b, carry, n)
    return s, carry


def _plane(addr: int, i: int, r: int) -> int:
    """Address of the i-th plane of a stack of r-row planes at scratch address ``addr``."""
    return ~(~addr + i * r)
