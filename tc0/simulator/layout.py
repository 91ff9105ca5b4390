"""Stage 3 of a simulation schedule: the buffer rows of the values, a ring
in program order plus spill rows for values read after the ring came round."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from tc0.simulator.grouping import Piece
from tc0.simulator.program import MOVE

#: ring capacity choice: a buffer row costs 1/RING_ROWS_PER_CALL of a call per pass (the
#: fewer rows, the more words per pass, the fewer passes), a value copied to a spill row SPILL_COST
RING_ROWS_PER_CALL = 2048
SPILL_COST = 5


class Layout:
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

    def __init__(self, steps: list[list[Piece]], first: int, n_virtual: int, outputs: dict[str, np.ndarray]):
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
        row_cost = (len(sizes) + n_steps) / RING_ROWS_PER_CALL  # about a call per piece and a gather per step
        best, best_cost = None, float("inf")
        for capacity in 2 * int(step_write.max(initial=1)) << np.arange(64):
            if (first + capacity) * row_cost >= best_cost:
                break  # larger rings only cost more
            plan = _plan(int(capacity), sizes, step_of_piece, last_read, n_steps)
            copies = SPILL_COST * int(plan.spilled.sum())
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
            int(moved[part[0]]): (MOVE, self._ring_row[first + spilled[part]], self._spill_row[first + spilled[part]])
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
