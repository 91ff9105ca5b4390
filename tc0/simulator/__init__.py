"""Bit-packed circuit simulation, compiled (numba), one module per stage.

Samples are packed 64 to a ``uint64`` word. A ``Schedule`` compiles a circuit
once; a run then evaluates it a block of samples at a time (``w`` words in
every buffer row, sized so the block's buffer stays in cache), walking the
whole program for one block before the next. Stages:

1. *Evaluation graph* (``graph``): one operation code per node. Every
   ``(a OR b) AND NOT(a AND b)`` (the strict form of XOR) is evaluated as one
   XOR of a and b, and gates no output needs are skipped. This changes how
   the circuit is computed, never what it computes or how it is measured.
2. *Fusion* (``fusion``): a gate of at most three operands read by one
   other such gate only (and not an output) is evaluated inside its reader:
   the reader's cone becomes one lookup table of at most three leaves
   (``tables``), so the value is never stored.
3. *Order* (``order``): gates are evaluated in depth-first post-order from
   the outputs, no levels, so a value is made shortly before it is read
   (node order, for circuits too large to afford 4 bytes a gate more).
4. *Rows* (``rows``): each gate gets a buffer row, reused once the value's
   last reader has run. The buffer grows with the live width, not the
   size, and the sweep keeps one int32 per node.
5. *Program* (``program``): each chunk of 2^20 positions becomes an int32
   instruction stream over rows (a table of one to three rows, ``ALL`` /
   ``ANY`` of more, ``AT_LEAST`` with the constant fan-ins folded into k,
   ``COMPARE`` reusing the last count for a threshold ladder over the same
   fan-ins). Streams are kept by the schedule when they are small (up to
   512 MB); for larger circuits each run encodes them chunk by chunk, so the
   schedule holds 9 bytes per node (5 in node order).
6. *Evaluation* (``evaluate``): one compiled loop per stream over the
   blocks; per instruction one row operation (``row_kernels``: written in
   LLVM IR, 512-bit vectors over the block's words), MAJ by a bit-sliced
   carry-save count. No sample is ever unpacked, and a level costs no more
   than the gates on it.

Before compiling, a schedule estimates its memory from the node count and
refuses a circuit whose estimate exceeds the memory available
(``schedule.check_memory``).
"""

from tc0.simulator.bits import bits_to_ints, ints_to_bits, pack_bits, unpack_bits
from tc0.simulator.schedule import DEFAULT_MAX_BYTES, Schedule, schedule_for
from tc0.simulator.simulate import simulate, simulate_packed

__all__ = ["DEFAULT_MAX_BYTES", "Schedule", "bits_to_ints", "ints_to_bits", "pack_bits", "schedule_for",
           "simulate", "simulate_packed", "unpack_bits"]
