"""A circuit compiled for simulation: the four stages tied together
(``tc0.simulator`` describes them), the program bound to a buffer and run
pass by pass over the words of a batch."""

from __future__ import annotations

import weakref

import numpy as np

from tc0.errors import CircuitError
from tc0.ir.circuit import Circuit
from tc0.ir.schema import FIRST_INPUT, ONE, Kind
from tc0.memory import available_bytes, describe
from tc0.simulator.grouping import Grouper
from tc0.simulator.layout import Layout
from tc0.simulator.program import (
    BINARY,
    COPY,
    INV,
    MOVE,
    REDUCE,
    SHUFFLE,
    TAKE,
    ProgramWriter,
    emit_piece,
    rows_touched,
)

_ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
#: default bound on the value buffer of one run
DEFAULT_MAX_BYTES = 2 << 30
# Cost model, in row-words touched (one word of one buffer row read or written by a call):
#: the buffer size a pass aims for (about a core's L2 cache), and the fewest words per pass
_CACHE_BYTES = 1 << 22
_MIN_WORDS = 8
#: the fixed cost of one numpy call
_CALL_COST = 10_000


#: what compiling a schedule and running it on one word of samples takes, for the check
#: before compiling: fixed bytes, bytes per edge, per node, and per fan-in of each MAJ
#: gate wider than ``_WIDE_MAJ`` fan-ins (its adder tree alone is then a piece: fan-in
#: planes, adder planes and their index arrays); measured at 26-43 bytes per edge on
#: gadget, module and Bristol circuits and 84-91 bytes per fan-in (edge included) for
#: one MAJ gate of 10^7 and 3*10^7 fan-ins
_BYTES_FIXED, _BYTES_PER_EDGE, _BYTES_PER_NODE, _BYTES_PER_WIDE_MAJ_FANIN = 1 << 24, 32, 64, 96
_WIDE_MAJ = 1 << 10


def estimated_bytes(circuit: Circuit) -> int:
    """About the most memory compiling ``circuit``'s schedule and a run on one word take (bytes)."""
    counts = circuit.fanin_counts()
    wide = int(counts[(circuit.kind == Kind.MAJ) & (counts > _WIDE_MAJ)].sum())
    return (_BYTES_FIXED + _BYTES_PER_EDGE * circuit.edges + _BYTES_PER_NODE * circuit.n_nodes
            + _BYTES_PER_WIDE_MAJ_FANIN * wide)


def check_memory(circuit: Circuit, available: int | None = None) -> None:
    """Refuse (``CircuitError``, naming both figures) a circuit whose
    simulation would take more than ``available`` bytes (default: the memory
    available to this process), before anything is compiled."""
    need = estimated_bytes(circuit)
    available = available_bytes() if available is None else available
    if need > available:
        widest = int(circuit.fanin_counts().max(initial=0))
        raise CircuitError(f"simulating this circuit needs about {describe(need)} ({circuit.edges:,} edges, "
                           f"{circuit.n_nodes:,} nodes, a gate of {widest:,} fan-ins), more than the "
                           f"{describe(available)} of memory available")


class Schedule:
    """A circuit compiled for simulation (its stages: ``tc0.simulator``).

    ``calls`` is the program and ``work_rows`` the rows its calls touch per
    word of samples; ``n_rows`` the buffer rows of values (sources, the
    ring and ``spill_rows``) and ``scratch_rows`` those of the
    scratch area; ``outputs`` the rows of the output bits after a pass.
    """

    def __init__(self, circuit: Circuit):
        check_memory(circuit)
        # no reference to the circuit: the cache below holds schedules only while their circuit lives
        self.first_gate = circuit.first_gate
        grouper = Grouper(circuit)
        steps = grouper.steps
        out_virtual = {name: grouper.virtual[np.asarray(ids, dtype=np.int64)] for name, ids in circuit.outputs.items()}
        layout = Layout(steps, circuit.first_gate, grouper.n_virtual, out_virtual)
        writer = ProgramWriter()
        for s, step in enumerate(steps):
            for piece in step:
                emit_piece(writer, piece, layout.read_rows(piece.fanins, s), layout.write_row(piece.out))
            writer.flush()
            writer.calls.extend(layout.spills(s))
        self.calls = writer.calls
        self.work_rows = sum(rows_touched(call) for call in self.calls)
        self.n_rows, self.scratch_rows = layout.n_rows, writer.scratch_rows
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
        first = self.first_gate
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
            if code == TAKE:
                _, idx, dst = call
                bound.append((np.take, (values, idx, 0, rows(dst, len(idx)), "clip")))
            elif code == SHUFFLE:
                _, idx, dst = call
                bound.append((np.take, (buf[self.n_rows : self.n_rows + ~dst], idx, 0, rows(dst, len(idx)), "clip")))
            elif code == MOVE:
                _, src, dst = call
                bound.append((_move, (values, src, dst)))
            elif code in BINARY:
                _, a, b, out, n = call
                bound.append((BINARY[code], (rows(a, n), rows(b, n), rows(out, n))))
            elif code == INV:
                _, a, out, n = call
                bound.append((np.invert, (rows(a, n), rows(out, n))))
            elif code == COPY:
                _, a, out, n = call
                bound.append((np.copyto, (rows(out, n), rows(a, n))))
            else:
                _, a, f, n, out = call
                block = rows(a, f * n).reshape(f, n, buf.shape[1])
                bound.append((REDUCE[code].reduce, (block, 0, None, rows(out, n))))
        return bound


def _move(values: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
    values[dst] = values[src]


def _words_for(rows: int, calls: int, work: int) -> int:
    """Preferred words per pass: the buffer in cache, unless more words are
    needed for the calls' fixed cost to stay below the work."""
    return max(_MIN_WORDS, _CACHE_BYTES // (8 * rows), calls * _CALL_COST // max(work, 1))


_schedules: weakref.WeakKeyDictionary[Circuit, Schedule] = weakref.WeakKeyDictionary()


def schedule_for(circuit: Circuit) -> Schedule:
    """The (cached) simulation schedule of ``circuit``."""
    sched = _schedules.get(circuit)
    if sched is None:
        sched = _schedules[circuit] = Schedule(circuit)
    return sched
