"""The row kernels (``tc0.simulator.row_kernels``, LLVM IR intrinsics)
against plain Python and numpy, on rows of random uint64 words:

* ``apply_table1/2/3``: every canonical table of arity 1, 2 and 3 (4 + 12
  + 80; any other leaves ``out`` unchanged) equals the table's sum of
  minterms built here with numpy (OR over the
  table's 1 bits i of the AND of leaf j or NOT leaf j by bit j of i); word 0
  of the operand rows holds every assignment of the leaves. The words of
  ``out`` past ``m`` and every other row are untouched; ``out`` may be one of
  the operand rows (in place).
* ``fold_all`` / ``fold_any``: the AND / OR of the rows a list names (with
  repeats), numpy's ``bitwise_and.reduce`` / ``bitwise_or.reduce``.
* ``add_rows2`` / ``add_rows3``: per sample, total + 2 carry equals the sum
  of the operand bits, counted with Python integers.
* ``at_least``: per sample, the count whose bits are consecutive rows,
  compared with k by Python integers.
"""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from tc0.simulator.row_kernels import (add_rows2, add_rows3, apply_table1, apply_table2, apply_table3, at_least,
                                       fold_all, fold_any)
from tc0.simulator.tables import CANONICAL, OP_BASE

WORDS = 24
ROWS = 6
ALL_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
#: word 0 of the operand rows a, b, c: the 8 assignments of (a, b, c) repeated over the 64 samples
EXHAUSTIVE = (np.uint64(0xAAAA_AAAA_AAAA_AAAA), np.uint64(0xCCCC_CCCC_CCCC_CCCC), np.uint64(0xF0F0_F0F0_F0F0_F0F0))


@njit
def _apply(k, buf, op, out, a, b, c, m):
    """The intrinsics can only be called from compiled code."""
    if k == 1:
        apply_table1(buf, op, out, a, b, c, m)
    elif k == 2:
        apply_table2(buf, op, out, a, b, c, m)
    else:
        apply_table3(buf, op, out, a, b, c, m)


def minterms(table: int, k: int, leaves: list[np.ndarray]) -> np.ndarray:
    """The table as a sum of minterms over the leaves' words (numpy, word by word)."""
    out = np.zeros_like(leaves[0])
    for i in range(1 << k):
        if (table >> i) & 1:
            term = np.full_like(leaves[0], ALL_ONES)
            for j in range(k):
                term &= leaves[j] if (i >> j) & 1 else ~leaves[j]
            out |= term
    return out


def random_buffer(rng: np.random.Generator, operands: tuple[int, int, int]) -> np.ndarray:
    buf = rng.integers(0, ALL_ONES, size=(ROWS, WORDS), dtype=np.uint64, endpoint=True)
    for r, word in zip(operands, EXHAUSTIVE):
        buf[r, 0] = word
    return buf


def check_all_tables(k: int, m: int, out: int, operands: tuple[int, int, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    for table in sorted(set(CANONICAL[k, : 1 << (1 << k)].tolist())):
        buf = random_buffer(rng, operands)
        before = buf.copy()
        want = minterms(table, k, [before[r, :m] for r in operands[:k]])
        _apply(k, buf, OP_BASE[k] + table, out, *operands, m)
        np.testing.assert_array_equal(buf[out, :m], want, err_msg=f"arity {k}, table {table:#x}, m {m}")
        np.testing.assert_array_equal(buf[out, m:], before[out, m:], err_msg=f"words past m, table {table:#x}")
        others = [r for r in range(ROWS) if r != out]
        np.testing.assert_array_equal(buf[others], before[others], err_msg=f"other rows, table {table:#x}")


@pytest.mark.parametrize("m", [0, 1, 7, 8, 13, 24])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_every_table_on_separate_rows(k, m):
    """Operand rows a = 1, b = 3, c = 0 (row 0 too is an ordinary row here) into row 4."""
    check_all_tables(k, m, 4, (1, 3, 0), seed=100 * k + m)


@pytest.mark.parametrize("m", [1, 8, 13, 24])
@pytest.mark.parametrize("k, position", [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)])
def test_every_table_in_place(k, position, m):
    """``out`` is the operand row at ``position``: each word is read before it is written."""
    operands = (2, 5, 1)
    check_all_tables(k, m, operands[position], operands, seed=1000 * k + 10 * position + m)


@pytest.mark.parametrize("k", [2, 3])
def test_a_table_that_is_not_canonical_changes_nothing(k):
    rng = np.random.default_rng(k)
    for table in sorted(set(range(1 << (1 << k))) - set(CANONICAL[k, : 1 << (1 << k)].tolist())):
        buf = random_buffer(rng, (1, 2, 3))
        before = buf.copy()
        _apply(k, buf, OP_BASE[k] + table, 4, 1, 2, 3, WORDS)
        np.testing.assert_array_equal(buf, before, err_msg=f"table {table:#x}")


def test_operand_rows_beyond_the_arity_are_not_read():
    """A table of one or two leaves gives the same row whatever rows b and c name."""
    rng = np.random.default_rng(7)
    buf = random_buffer(rng, (1, 2, 3))
    for k, table in ((1, 0b01), (2, 0b0110)):
        results = []
        for extra in ((0, 0), (3, 5), (5, 3)):
            work = buf.copy()
            operands = (1, 2, 3)[:k] + extra[: 3 - k]
            _apply(k, work, OP_BASE[k] + table, 4, *operands, WORDS)
            results.append(work[4].copy())
        for r in results[1:]:
            np.testing.assert_array_equal(r, results[0])


@njit
def _fold(is_and, buf, prog, start, end, out, m):
    if is_and:
        fold_all(buf, prog, start, end, out, m)
    else:
        fold_any(buf, prog, start, end, out, m)


@pytest.mark.parametrize("m", [0, 1, 9, 24])
@pytest.mark.parametrize("is_and", [True, False])
@pytest.mark.parametrize("listed", [[3], [1, 2], [5, 0, 5, 2, 1], [2, 3, 4, 5, 1, 0, 3]])
def test_folds(is_and, listed, m):
    """``prog`` holds other entries around the list, which must not be read."""
    rng = np.random.default_rng(len(listed) * 31 + m)
    buf = rng.integers(0, ALL_ONES, size=(ROWS + 1, WORDS), dtype=np.uint64, endpoint=True)
    before = buf.copy()
    prog = np.array([6, 6, *listed, 6], dtype=np.int32)
    _fold(is_and, buf, prog, 2, 2 + len(listed), ROWS, m)
    reduce = np.bitwise_and.reduce if is_and else np.bitwise_or.reduce
    np.testing.assert_array_equal(buf[ROWS, :m], reduce(before[listed, :m], axis=0))
    np.testing.assert_array_equal(buf[ROWS, m:], before[ROWS, m:])
    np.testing.assert_array_equal(buf[:ROWS], before[:ROWS])


@njit
def _add(k, buf, a, b, c, total, carry, m):
    if k == 2:
        add_rows2(buf, a, b, c, total, carry, m)
    else:
        add_rows3(buf, a, b, c, total, carry, m)


def sample_bits(row: np.ndarray, m: int) -> list[int]:
    return [int(row[i // 64]) >> (i % 64) & 1 for i in range(64 * m)]


@pytest.mark.parametrize("m", [1, 8, 11])
@pytest.mark.parametrize("k", [2, 3])
def test_adders(k, m):
    rng = np.random.default_rng(10 * k + m)
    buf = random_buffer(rng, (0, 1, 2))
    before = buf.copy()
    _add(k, buf, 0, 1, 2, 4, 5, m)
    operands = [sample_bits(before[r], m) for r in (0, 1, 2)[:k]]
    total, carry = sample_bits(buf[4], m), sample_bits(buf[5], m)
    for i in range(64 * m):
        assert total[i] + 2 * carry[i] == sum(bits[i] for bits in operands), i
    np.testing.assert_array_equal(buf[:4], before[:4])


@njit
def _at_least(buf, bits, n_bits, k, out, m):
    at_least(buf, bits, n_bits, k, out, m)


@pytest.mark.parametrize("m", [1, 8, 13])
@pytest.mark.parametrize("n_bits", [1, 2, 3, 5])
def test_at_least(n_bits, m):
    """Counts in rows 1 .. n_bits (word 0: every count below 2^n_bits), every k below 2^n_bits."""
    rng = np.random.default_rng(n_bits * 7 + m)
    buf = rng.integers(0, ALL_ONES, size=(n_bits + 2, WORDS), dtype=np.uint64, endpoint=True)
    for level in range(n_bits):
        buf[1 + level, 0] = sum(1 << s for s in range(64) if (s % (1 << n_bits)) >> level & 1)
    counts = [sum(bit << level for level, bit in enumerate(bits))
              for bits in zip(*(sample_bits(buf[1 + level], m) for level in range(n_bits)))]
    for k in range(1 << n_bits):
        work = buf.copy()
        _at_least(work, 1, n_bits, k, 0, m)
        assert sample_bits(work[0], m) == [int(c >= k) for c in counts], k
        np.testing.assert_array_equal(work[1:], buf[1:])
