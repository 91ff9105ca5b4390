"""Stage 6 of a simulation schedule: the compiled evaluation loop (numba).

Samples are evaluated a block at a time: a block is ``w`` words of samples
(64 samples a word) in every buffer row, sized so that the buffer stays in
the core's cache. One call runs a chunk's instruction stream (``program``)
over every block in turn: per instruction one row operation
(``row_kernels``: a loop over the block's words in 512-bit vectors). The
fixed cost per instruction is the decoding of a few int32s and a jump, so
depth costs nothing beyond size.

``AT_LEAST`` counts its ones bit-sliced, without unpacking a sample: each
operand joins a pending slot of a carry-save adder tree (a full adder
whenever a weight holds three words), the final carries ripple into the
count's bits, kept in scratch rows; then the count's bits meet the
threshold's from the least significant end (``row_kernels.at_least``).
``COMPARE`` does only the second half, on the count kept.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.simulator.program import ALL, ANY, AT_LEAST, COMPARE
from tc0.simulator.row_kernels import (add_rows2, add_rows3, apply_table1, apply_table2, apply_table3, at_least,
                                       fold_all, fold_any)
from tc0.simulator.tables import OP_BASE, TABLE_OPS, table_op

#: no reference counting (``_nrt=False``): the loop allocates nothing (``run_program``'s caller
#: passes the adder tree's bookkeeping), and the count updates numba otherwise makes on every
#: row view it takes would cost more than a gate's work on small blocks
_kernel = njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
_inlined = njit(cache=True, nogil=True, error_model="numpy", _nrt=False, inline="always")
_COPY, _ZERO = table_op(1, 0b10), table_op(1, 0)
#: carry-save levels: a count below 2^31 (fan-ins are int32) has at most 32 bits, plus the top carry
LEVELS = 34
#: scratch rows of the adder tree (two pending words per level, and the two a full adder
#: makes), then the count's bits (kept for ``COMPARE``)
_TREE_ROWS = 2 * LEVELS + 4
SCRATCH_ROWS = _TREE_ROWS + LEVELS


def tree_state():
    """The adder tree's bookkeeping arrays for ``run_program``."""
    return np.empty((LEVELS, 2), dtype=np.int64), np.empty(LEVELS, dtype=np.int64), np.empty(SCRATCH_ROWS, dtype=np.int64)


@_inlined
def _release(free, n_free, n_rows, r):
    """Return scratch row ``r`` to the free stack (value rows are not scratch)."""
    if r >= n_rows:
        free[n_free] = r
        return n_free + 1
    return n_free


@_kernel
def _count(buf, m, prog, start, end, n_rows, pend, n_pend, free):
    """The number of ones among the rows ``prog[start:end]``, bit l into row
    ``n_rows + _TREE_ROWS + l``; returns the number of bits. Called, not
    inlined, so that ``run_program``'s loop over tables stays small."""
    n_pend[:] = 0
    n_free = 0
    for r in range(n_rows + _TREE_ROWS - 1, n_rows - 1, -1):
        free[n_free] = r
        n_free += 1
    top = 0
    for j in range(start, end):
        word, level = prog[j], 0
        while n_pend[level] == 2:  # three words of one weight: a full adder
            n_free -= 2
            s, carry = free[n_free + 1], free[n_free]
            a, b = pend[level, 0], pend[level, 1]
            add_rows3(buf, a, b, word, s, carry, m)
            n_free = _release(free, n_free, n_rows, a)
            n_free = _release(free, n_free, n_rows, b)
            n_free = _release(free, n_free, n_rows, word)
            pend[level, 0] = s
            n_pend[level] = 1
            word, level = carry, level + 1
        pend[level, n_pend[level]] = word
        n_pend[level] += 1
        top = max(top, level)
    carry, level = -1, 0
    while level <= top or carry >= 0:  # ripple the pending words and carries into the count's bits
        w0 = w1 = w2 = -1  # the words of this weight: pending ones and the carry
        n_words = 0
        if level <= top and n_pend[level] > 0:
            w0 = pend[level, 0]
            n_words = 1
            if n_pend[level] == 2:
                w1 = pend[level, 1]
                n_words = 2
        if carry >= 0:
            if n_words == 0:
                w0 = carry
            elif n_words == 1:
                w1 = carry
            else:
                w2 = carry
            n_words += 1
        bit = n_rows + _TREE_ROWS + level
        carry = -1
        if n_words == 0:
            apply_table1(buf, _ZERO, bit, 0, 0, 0, m)
        elif n_words == 1:
            apply_table1(buf, _COPY, bit, w0, 0, 0, m)
        else:
            n_free -= 1
            carry = free[n_free]
            if n_words == 2:
                add_rows2(buf, w0, w1, 0, bit, carry, m)
            else:
                add_rows3(buf, w0, w1, w2, bit, carry, m)
        n_free = _release(free, n_free, n_rows, w0)
        n_free = _release(free, n_free, n_rows, w1)
        n_free = _release(free, n_free, n_rows, w2)
        level += 1
    return level


@_inlined
def _compare(buf, m, o, n_rows, n_bits, k):
    """``o = [count >= k]`` for the count of the last ``_count`` (``n_bits`` bits)."""
    if k >> n_bits:  # k has a bit the count has not
        apply_table1(buf, _ZERO, o, 0, 0, 0, m)
    else:
        at_least(buf, n_rows + _TREE_ROWS, n_bits, k, o, m)


@_kernel
def run_program(prog, blocks, m_last, n_rows, pend, n_pend, free):
    """Run one instruction stream over every block of ``blocks`` (blocks x
    rows x words; the last block's first ``m_last`` words only); ``pend``,
    ``n_pend`` and ``free`` are the adder tree's bookkeeping (``tree_state``)."""
    n_blocks, w = blocks.shape[0], blocks.shape[2]
    for b in range(n_blocks):
        buf = blocks[b]
        m = w if b < n_blocks - 1 else m_last
        pc = n_bits = 0
        while pc < len(prog):
            code = prog[pc]
            if code < OP_BASE[2]:
                apply_table1(buf, code, prog[pc + 1], prog[pc + 2], 0, 0, m)
                pc += 3
            elif code < OP_BASE[3]:
                apply_table2(buf, code, prog[pc + 1], prog[pc + 2], prog[pc + 3], 0, m)
                pc += 4
            elif code < TABLE_OPS:
                apply_table3(buf, code, prog[pc + 1], prog[pc + 2], prog[pc + 3], prog[pc + 4], m)
                pc += 5
            elif code == ALL:
                fold_all(buf, prog, pc + 3, pc + 3 + prog[pc + 2], prog[pc + 1], m)
                pc += 3 + prog[pc + 2]
            elif code == ANY:
                fold_any(buf, prog, pc + 3, pc + 3 + prog[pc + 2], prog[pc + 1], m)
                pc += 3 + prog[pc + 2]
            elif code == AT_LEAST:
                n = prog[pc + 2]
                n_bits = _count(buf, m, prog, pc + 4, pc + 4 + n, n_rows, pend, n_pend, free)
                _compare(buf, m, prog[pc + 1], n_rows, n_bits, prog[pc + 3])
                pc += 4 + n
            elif code == COMPARE:
                _compare(buf, m, prog[pc + 1], n_rows, n_bits, prog[pc + 2])
                pc += 3
