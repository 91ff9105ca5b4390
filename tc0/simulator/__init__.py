"""Levelized, bit-packed circuit simulation, one module per stage.

Samples are packed 64 to a ``uint64`` word. A ``Schedule`` compiles a circuit
once into a flat program of numpy calls over one buffer of ``rows x W`` words
(``W`` words of samples per pass; a larger batch makes several passes through
the same program). Compilation has four stages:

1. *Evaluation graph* (``graph``). Every ``(a OR b) AND NOT(a AND b)`` (the strict form of
   XOR) is evaluated as one XOR of a and b, and gates no output needs are
   dropped. This changes how the circuit is computed, never what it computes
   or how it is measured.
2. *Levels and groups* (``grouping``). Level by level, constant folding turns some gates
   into constants or copies (AND/OR of one variable, MAJ decided by its
   constant fan-ins, ...), which alias their source instead of being
   computed. The other gates are grouped by operation and fan-in bucket
   (rows of smaller fan-in are padded with a neutral constant), and each
   group gets consecutive rows, sorted by its gates' fan-in rows: operand
   columns are then often runs of consecutive rows, and MAJ gates over the
   same fan-ins (``[sum >= k]`` for several k) are adjacent.
3. *Rows* (``layout``). Gates are written into a ring of C rows in program order; a value
   still needed after the ring has come round over it is copied into a spill
   row, freed after its last read. C trades ring and spill rows (fewer rows:
   more words per pass, fewer passes) against copies; the buffer grows with
   the circuit's live width, not its size.
4. *Calls* (``program``). Per step (a run of groups of one level) one ``np.take`` fetches
   the operand columns that are not runs of consecutive rows into a scratch
   area. AND/OR/XOR of two fan-ins is then one ufunc call, wider AND/OR one
   ``reduce``, NOT one ``invert``. MAJ ("at least k of F", constant fan-ins
   folded into k) counts each distinct fan-in row once with a layered
   Wallace tree of full adders (each layer a few calls for all gates of the
   piece), then compares the bit-sliced count with each gate's k, a few
   calls per count bit. No sample is ever unpacked.

``W`` is chosen so that the buffer fits in cache where possible and always
within ``max_bytes`` (at least one word). Before compiling, a schedule
estimates its memory from the circuit's edges, nodes and MAJ gates wider
than 1024 fan-ins (whose adder trees cost most per fan-in) and refuses a
circuit whose estimate exceeds the memory available (``schedule.check_memory``).
"""

from tc0.simulator.bits import bits_to_ints, ints_to_bits, pack_bits, unpack_bits
from tc0.simulator.schedule import DEFAULT_MAX_BYTES, Schedule, schedule_for
from tc0.simulator.simulate import simulate, simulate_packed

__all__ = ["DEFAULT_MAX_BYTES", "Schedule", "bits_to_ints", "ints_to_bits", "pack_bits", "schedule_for",
           "simulate", "simulate_packed", "unpack_bits"]
