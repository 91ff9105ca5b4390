"""Bit-packed circuit simulation, compiled (numba), one module per stage.

Samples are packed 64 to a ``uint64`` word. A ``Schedule`` compiles a circuit
once; a run then evaluates it a block of samples at a time (``w`` words in
every buffer row, sized so the block's buffer stays in cache), walking the
whole program for one block before the next. Stages:

1. *Evaluation graph* (``graph``): one operation code per node. Every
   ``(a OR b) AND NOT(a AND b)`` (the strict form of XOR) is evaluated as one
   XOR of a and b, and gates no output needs are skipped. This changes how
   the circuit is computed, never what it computes or how it is measured.
2. *Rows* (``rows``): nodes are evaluated in node order (topological, no
   levels), each into a buffer row that is reused once the value's last
   reader has run. The buffer grows with the live width, not the size, and
   the sweep keeps one int32 per node.
3. *Program* (``program``): each chunk of 2^20 nodes becomes an int32
   instruction stream over rows (``AND2``, ``XOR2``, ``MAJ3``, ``AT_LEAST``
   with the constant fan-ins folded into k, ...). Streams are kept by the
   schedule when they are small (up to 256 MB); for larger circuits each run
   encodes them chunk by chunk, so the schedule holds 5 bytes per node.
4. *Evaluation* (``evaluate``): one compiled loop per stream over the
   blocks; per instruction one loop over the block's words (SIMD), MAJ by a
   bit-sliced carry-save count. No sample is ever unpacked, and a level
   costs no more than the gates on it.

Before compiling, a schedule estimates its memory from the node count and
refuses a circuit whose estimate exceeds the memory available
(``schedule.check_memory``).
"""

from tc0.simulator.bits import bits_to_ints, ints_to_bits, pack_bits, unpack_bits
from tc0.simulator.schedule import DEFAULT_MAX_BYTES, Schedule, schedule_for
from tc0.simulator.simulate import simulate, simulate_packed

__all__ = ["DEFAULT_MAX_BYTES", "Schedule", "bits_to_ints", "ints_to_bits", "pack_bits", "schedule_for",
           "simulate", "simulate_packed", "unpack_bits"]
