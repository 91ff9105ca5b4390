"""A circuit compiled for simulation: the stages tied together
(``tc0.simulator`` describes them), run block by block over the words of a
batch."""

from __future__ import annotations

import contextlib
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tc0.errors import CircuitError, SimulationInputError
from tc0.ir.circuit import Circuit
from tc0.memory import available_bytes, describe
from tc0.simulator.evaluate import SCRATCH_ROWS, run_program, tree_state
from tc0.simulator.fusion import fuse
from tc0.simulator.graph import evaluation_ops
from tc0.simulator.order import NODE_ORDER, positions, post_order
from tc0.simulator.program import encode
from tc0.simulator.rows import assign_rows
from tc0.simulator.row_kernels import VECTOR_WORDS

#: default bound on the value buffer of one run
DEFAULT_MAX_BYTES = 2 << 30
#: the buffer size a block aims for: a core's L2 cache and its share of L3. A wider block
#: spreads the fixed cost per instruction over more words; past a few MB the cache misses win
_CACHE_BYTES = 4 << 20
#: the fewest words per block (unless the batch or ``max_bytes`` has fewer): below this the
#: fixed cost per gate outweighs the cache misses of a buffer past the cache
_MIN_WORDS = 4

#: positions of the evaluation order per chunk of the program (one instruction stream each)
CHUNK_NODES = 1 << 20
#: the schedule keeps the instruction streams (a run then encodes nothing) when they surely
#: take less than this: beyond, each run encodes them chunk by chunk (~0.1 s per 10^6
#: gates: the circuit's arrays are read in evaluation order)
_KEPT_PROGRAM_BYTES = 1 << 29
#: the schedule evaluates in post-order (``order``) when the order, the rows and the
#: operation codes (10 bytes per node while compiling) take at most this many bytes or this
#: share of the circuit's own arrays: a run then stays under 1.5x the circuit's memory.
#: Otherwise it evaluates in node order (5 bytes per node)
_ORDER_BYTES, _ORDER_SHARE = 1 << 28, 0.4

#: what compiling a schedule and a run on one word take, for the check before compiling:
#: fixed bytes and bytes per node (operation code, visit mark, order and row: 10; one
#: buffer row per node at worst: 8; output ids)
_BYTES_FIXED, _BYTES_PER_NODE = 1 << 24, 24


def program_bytes_bound(circuit: Circuit) -> int:
    """At most the bytes of ``circuit``'s instruction streams: an instruction is
    at most 4 int32s beside its operands."""
    return 4 * (circuit.edges + 4 * circuit.size)


def estimated_bytes(circuit: Circuit) -> int:
    """About the most memory compiling ``circuit``'s schedule and a run on one word take (bytes)."""
    bound = program_bytes_bound(circuit)
    return _BYTES_FIXED + _BYTES_PER_NODE * circuit.n_nodes + (bound if bound <= _KEPT_PROGRAM_BYTES else 0)


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
    from the operation codes, the order and the rows.
    """

    def __init__(self, circuit: Circuit):
        check_memory(circuit)
        # no reference to the circuit: the cache below holds schedules only while their circuit lives
        self.first_gate = circuit.first_gate
        self._offsets, self._fanins = circuit.offsets, circuit.fanins
        outputs = circuit.output_ids().astype(np.int64)
        self._op = fuse(evaluation_ops(circuit), self._offsets, self._fanins, self.first_gate, outputs)
        circuit_bytes = sum(a.nbytes for a in (circuit.kind, circuit.offsets, circuit.fanins, circuit.scope))
        if 10 * circuit.n_nodes <= max(_ORDER_BYTES, _ORDER_SHARE * circuit_bytes):
            self._order = post_order(self._op, self._offsets, self._fanins, self.first_gate, outputs)
        else:
            self._order = NODE_ORDER
        n_positions = positions(self._order, self.first_gate, circuit.n_nodes)
        self._row, self.n_rows = assign_rows(self._op, self._offsets, self._fanins, self.first_gate, outputs,
                                             self._order, n_positions)
        self.outputs = {name: self._row[np.asarray(ids, dtype=np.int64)] for name, ids in circuit.outputs.items()}
        self._bounds = list(range(0, n_positions, CHUNK_NODES)) + [n_positions]
        self.programs = self._keep_programs(circuit)

    def _keep_programs(self, circuit: Circuit) -> list[np.ndarray] | None:
        """Every chunk's stream, if together they surely stay under
        ``_KEPT_PROGRAM_BYTES``; the node arrays are then dropped."""
        if program_bytes_bound(circuit) > _KEPT_PROGRAM_BYTES:
            return None
        programs = list(self._encoded())
        self._offsets = self._fanins = self._op = self._row = self._order = None
        return programs

    def _encoded(self):
        for lo, hi in zip(self._bounds, self._bounds[1:]):
            yield encode(self._op, self._offsets, self._fanins, self._row, self._order, self.first_gate, lo, hi)

    def _programs(self):
        """Each chunk's instruction stream in order, kept or encoded now."""
        return iter(self.programs) if self.programs is not None else self._encoded()

    @property
    def nbytes(self) -> int:
        """Bytes held by the compiled schedule (beyond the circuit's own arrays)."""
        kept = self.programs if self.programs is not None else [self._op, self._row, self._order]
        held = [*kept, *self.outputs.values()]
        return sum(a.nbytes for a in held)

    def buffer_bytes(self, words: int, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
        """Bytes of the value buffer a run over ``words`` words allocates."""
        w = self.words_per_pass(words, max_bytes)
        return 8 * (self.n_rows + SCRATCH_ROWS) * w * self._blocks_per_batch(words, w, max_bytes)

    def words_per_pass(self, words: int, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
        """Words of samples per block: the buffer fits in cache if it can (at
        least ``_MIN_WORDS``), in ``max_bytes`` always (down to one word); the
        blocks are as equal as whole vectors allow (a row starts on a cache
        line, and no word of a full block is left to a scalar loop)."""
        row_bytes = 8 * (self.n_rows + SCRATCH_ROWS)
        cap = max(1, min(max(_MIN_WORDS, _CACHE_BYTES // row_bytes), max_bytes // row_bytes))
        n_blocks = -(-words // cap)
        w = -(-words // n_blocks)
        while w > VECTOR_WORDS and w % VECTOR_WORDS:
            whole = -(-w // VECTOR_WORDS) * VECTOR_WORDS
            if whole <= cap:
                return whole
            n_blocks += 1
            w = -(-words // n_blocks)
        return w

    def _blocks_per_batch(self, words: int, w: int, max_bytes: int) -> int:
        """Blocks evaluated together (each chunk's stream runs over all of them): as many as
        ``max_bytes`` holds, at least one."""
        return max(1, min(-(-words // w), max_bytes // (8 * (self.n_rows + SCRATCH_ROWS) * w)))

    def run(self, packed_inputs: np.ndarray, max_bytes: int = DEFAULT_MAX_BYTES, threads: int = 1) -> np.ndarray:
        """Evaluate on packed inputs ``(n_input_bits, words)``; returns the
        packed values of all output bits, ``(n_output_bits, words)``. With
        ``threads`` > 1 the blocks are shared among that many threads (the
        compiled loop runs without the GIL); blocks are not made smaller for
        them, so a batch of one block runs on one thread."""
        if not isinstance(threads, int) or threads < 1:
            raise SimulationInputError(f"threads must be a positive integer, got {threads!r}")
        n_in, words = packed_inputs.shape
        out_rows = np.concatenate([np.zeros(0, dtype=np.int32), *self.outputs.values()])
        result = np.empty((len(out_rows), words), dtype=np.uint64)
        if words == 0:
            return result
        w = self.words_per_pass(words, max_bytes)
        span = w * self._blocks_per_batch(words, w, max_bytes)  # words per batch of blocks
        trees = [tree_state() for _ in range(threads)]
        with ThreadPoolExecutor(threads) if threads > 1 else contextlib.nullcontext() as pool:
            for lo in range(0, words, span):
                hi = min(words, lo + span)
                n_blocks = -(-(hi - lo) // w)
                blocks = _aligned_empty((n_blocks, self.n_rows + SCRATCH_ROWS, w))
                blocks[:, 0], blocks[:, 1] = 0, ~np.uint64(0)
                m_last = hi - lo - (n_blocks - 1) * w  # words of the last block in use
                full = (n_blocks - 1) * w
                blocks[:-1, 2 : 2 + n_in] = packed_inputs[:, lo : lo + full].reshape(n_in, n_blocks - 1, w).transpose(1, 0, 2)
                blocks[-1, 2 : 2 + n_in, :m_last] = packed_inputs[:, lo + full : hi]
                blocks[-1, 2 : 2 + n_in, m_last:] = 0
                shares = [(blocks[i:j], m_last if j == n_blocks else w, tree)
                          for (i, j), tree in zip(_split(n_blocks, threads), trees) if j > i]
                for prog in self._programs():
                    if pool is None or len(shares) == 1:
                        for part, m, tree in shares:
                            run_program(prog, part, m, self.n_rows, *tree)
                    else:
                        list(pool.map(lambda share, prog=prog: run_program(prog, share[0], share[1], self.n_rows,
                                                                           *share[2]), shares))
                result[:, lo:hi] = blocks[:, out_rows].transpose(1, 0, 2).reshape(len(out_rows), -1)[:, : hi - lo]
        return result


def _aligned_empty(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised uint64 array starting on a 64-byte boundary (a cache line, a 512-bit vector)."""
    size = int(np.prod(shape))
    raw = np.empty(size + VECTOR_WORDS, dtype=np.uint64)
    skip = (-raw.ctypes.data // 8) % VECTOR_WORDS
    return raw[skip : skip + size].reshape(shape)


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ranges covering 0 .. n - 1 as evenly as possible."""
    cuts = [n * i // parts for i in range(parts + 1)]
    return list(zip(cuts, cuts[1:]))


_schedules: weakref.WeakKeyDictionary[Circuit, Schedule] = weakref.WeakKeyDictionary()


def schedule_for(circuit: Circuit) -> Schedule:
    """The (cached) simulation schedule of ``circuit``."""
    sched = _schedules.get(circuit)
    if sched is None:
        sched = _schedules[circuit] = Schedule(circuit)
    return sched
