"""A circuit compiled for simulation: the stages tied together
(``tc0.simulator`` describes them), run block by block over the words of a
batch."""

from __future__ import annotations

import weakref

import numpy as np

from tc0.errors import CircuitError
from tc0.ir.circuit import Circuit
from tc0.memory import available_bytes, describe
from tc0.simulator.evaluate import SCRATCH_ROWS, run_program, tree_state
from tc0.simulator.graph import evaluation_ops
from tc0.simulator.program import encode
from tc0.simulator.rows import assign_rows

#: default bound on the value buffer of one run
DEFAULT_MAX_BYTES = 2 << 30
#: the buffer size a block aims for: a core's L2 cache and its share of L3. A wider block
#: spreads the fixed cost per instruction over more words; past a few MB the cache misses win
_CACHE_BYTES = 4 << 20
#: the fewest words per block (unless the batch or ``max_bytes`` has fewer): below this the
#: fixed cost per gate outweighs the cache misses of a buffer past the cache
_MIN_WORDS = 4

#: nodes per chunk of the program (one instruction stream each)
CHUNK_NODES = 1 << 20
#: the schedule keeps the instruction streams (a run then encodes nothing) when they surely
#: take less than this: beyond, each run encodes them chunk by chunk
_KEPT_PROGRAM_BYTES = 1 << 28

#: what compiling a schedule and a run on one word take, for the check before compiling:
#: fixed bytes and bytes per node (operation code, last use and row: 9; one buffer row
#: per node at worst: 8; output ids)
_BYTES_FIXED, _BYTES_PER_NODE = 1 << 24, 24


def estimated_bytes(circuit: Circuit) -> int:
    """About the most memory compiling ``circuit``'s schedule and a run on one word take (bytes)."""
    return _BYTES_FIXED + _BYTES_PER_NODE * circuit.n_nodes


def check_memory(circuit: Circuit, available: int | None = None) -> None:
    """Refuse (``CircuitError``, naming both figures) a circuit whose
    simulation would take more than ``available`` bytes (default: the memory
    available to this process), before anything is compiled."""
    need = estimated_bytes(circuit)
    available = available_bytes() if available is None else available
    if need > available:
        raise CircuitError(f"simulating this circuit needs about {describe(need)} ({circuit.n_nodes:,} nodes), "
                           f"more than the {describe(available)} of memory available")


class Schedule:
    """A circuit compiled for simulation (its stages: ``tc0.simulator``).

    ``n_rows`` is the value rows the buffer needs (the adder tree's scratch
    rows come on top) and ``outputs`` the rows of the output bits.
    ``programs`` holds each chunk's instruction stream when they were small
    enough to keep; otherwise (``None``) a run encodes them chunk by chunk
    from the operation codes and rows.
    """

    def __init__(self, circuit: Circuit):
        check_memory(circuit)
        # no reference to the circuit: the cache below holds schedules only while their circuit lives
        self.first_gate = circuit.first_gate
        self._offsets, self._fanins = circuit.offsets, circuit.fanins
        self._op = evaluation_ops(circuit)
        self._row, self.n_rows = assign_rows(self._op, self._offsets, self._fanins, self.first_gate,
                                             circuit.output_ids().astype(np.int64))
        self.outputs = {name: self._row[np.asarray(ids, dtype=np.int64)] for name, ids in circuit.outputs.items()}
        self._bounds = list(range(self.first_gate, circuit.n_nodes, CHUNK_NODES)) + [circuit.n_nodes]
        self.programs = self._keep_programs(circuit)

    def _keep_programs(self, circuit: Circuit) -> list[np.ndarray] | None:
        """Every chunk's stream, if together they surely stay under
        ``_KEPT_PROGRAM_BYTES`` (an instruction is at most 4 int32s beside its
        operands); the node arrays are then dropped."""
        if 4 * (circuit.edges + 4 * circuit.size) > _KEPT_PROGRAM_BYTES:
            return None
        programs = [encode(self._op, self._offsets, self._fanins, self._row, lo, hi)
                    for lo, hi in zip(self._bounds, self._bounds[1:])]
        self._offsets = self._fanins = self._op = self._row = None
        return programs

    def _programs(self):
        """Each chunk's instruction stream in order, kept or encoded now."""
        if self.programs is not None:
            yield from self.programs
            return
        for lo, hi in zip(self._bounds, self._bounds[1:]):
            yield encode(self._op, self._offsets, self._fanins, self._row, lo, hi)

    @property
    def nbytes(self) -> int:
        """Bytes held by the compiled schedule (beyond the circuit's own arrays)."""
        held = [*(self.programs or [self._op, self._row]), *self.outputs.values()]
        return sum(a.nbytes for a in held)

    def buffer_bytes(self, words: int, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
        """Bytes of the value buffer a run over ``words`` words allocates."""
        w = self.words_per_pass(words, max_bytes)
        return 8 * (self.n_rows + SCRATCH_ROWS) * w * self._blocks_per_batch(words, w, max_bytes)

    def words_per_pass(self, words: int, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
        """Words of samples per block: the buffer fits in cache if it can (at
        least ``_MIN_WORDS``), in ``max_bytes`` always (down to one word); and the
        blocks are equal so the last one computes no padding."""
        row_bytes = 8 * (self.n_rows + SCRATCH_ROWS)
        prefer = max(_MIN_WORDS, _CACHE_BYTES // row_bytes)
        most = max(1, min(words, prefer, max_bytes // row_bytes))
        return -(-words // -(-words // most))

    def _blocks_per_batch(self, words: int, w: int, max_bytes: int) -> int:
        """Blocks evaluated together (each chunk's stream runs over all of them): as many as
        ``max_bytes`` holds, at least one."""
        return max(1, min(-(-words // w), max_bytes // (8 * (self.n_rows + SCRATCH_ROWS) * w)))

    def run(self, packed_inputs: np.ndarray, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
        """Evaluate on packed inputs ``(n_input_bits, words)``; returns the
        packed values of all output bits, ``(n_output_bits, words)``."""
        n_in, words = packed_inputs.shape
        out_rows = np.concatenate([np.zeros(0, dtype=np.int32), *self.outputs.values()])
        result = np.empty((len(out_rows), words), dtype=np.uint64)
        if words == 0:
            return result
        w = self.words_per_pass(words, max_bytes)
        span = w * self._blocks_per_batch(words, w, max_bytes)  # words per batch of blocks
        tree = tree_state()
        for lo in range(0, words, span):
            hi = min(words, lo + span)
            n_blocks = -(-(hi - lo) // w)
            blocks = np.empty((n_blocks, self.n_rows + SCRATCH_ROWS, w), dtype=np.uint64)
            blocks[:, 0], blocks[:, 1] = 0, ~np.uint64(0)
            padded = np.zeros((n_in, n_blocks * w), dtype=np.uint64)
            padded[:, : hi - lo] = packed_inputs[:, lo:hi]
            blocks[:, 2 : 2 + n_in] = padded.reshape(n_in, n_blocks, w).transpose(1, 0, 2)
            for prog in self._programs():
                run_program(prog, blocks, hi - lo - (n_blocks - 1) * w, self.n_rows, *tree)
            result[:, lo:hi] = blocks[:, out_rows].transpose(1, 0, 2).reshape(len(out_rows), -1)[:, : hi - lo]
        return result


_schedules: weakref.WeakKeyDictionary[Circuit, Schedule] = weakref.WeakKeyDictionary()


def schedule_for(circuit: Circuit) -> Schedule:
    """The (cached) simulation schedule of ``circuit``."""
    sched = _schedules.get(circuit)
    if sched is None:
        sched = _schedules[circuit] = Schedule(circuit)
    return sched
