"""Python-int cases for the integer gadget and catalog tests
(tests/compiler/test_integer_gadgets.py, tests/compiler/test_catalog.py):
edge and random operands, and a comparison that
reports the first mismatches with their inputs."""

from __future__ import annotations

import itertools
import random

import pytest


def concat(numbers, width: int) -> int:
    """Numbers concatenated into one port value, number j at bits j*width upward."""
    return sum(v << (j * width) for j, v in enumerate(numbers))


def assert_all_equal(got, want, label: str, *context):
    """Compare lists elementwise and report the first few mismatches with their inputs."""
    assert len(got) == len(want)
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    if bad:
        lines = [f"{label}: {len(bad)} of {len(want)} wrong"]
        for i in bad[:5]:
            args = ", ".join(str(c[i]) for c in context)
            lines.append(f"  inputs ({args}): got {got[i]}, want {want[i]}")
        pytest.fail("\n".join(lines))


def edge_values(w: int) -> list[int]:
    """Interesting W-bit values: extremes, the top bit, alternating patterns, runs."""
    mask = (1 << w) - 1
    alt = int("01" * w, 2) & mask  # ...0101
    vals = {0, 1, 2, 3, mask, mask - 1, mask >> 1, 1 << (w - 1), (1 << (w - 1)) - 1, (1 << (w - 1)) + 1, alt,
            alt ^ mask, (mask >> (w // 2)) << (w // 2), mask >> (w // 2)}
    for k in (1, w // 3, w // 2, w - 1):
        vals.add((1 << k) - 1)
        vals.add(1 << k)
    return sorted(v & mask for v in vals)


def rand_value(rnd: random.Random, w: int) -> int:
    """Uniform, or with a random bit length (so values of all sizes appear)."""
    if rnd.random() < 0.5:
        return rnd.getrandbits(w)
    return rnd.getrandbits(rnd.randint(0, w))


def operand_pairs(w: int, rnd: random.Random, n_random: int = 400) -> tuple[list[int], list[int]]:
    """All pairs for w <= 4; otherwise edge x edge, carry ripples, equal and
    nearly equal pairs, and random pairs."""
    mask = (1 << w) - 1
    if w <= 4:
        pairs = list(itertools.product(range(1 << w), repeat=2))
    else:
        edges = edge_values(w)
        pairs = list(itertools.product(edges, repeat=2))
        for k in range(w + 1):
            pairs.append(((1 << k) - 1, 1))  # carry ripples through the low k bits
            pairs.append((1, (1 << k) - 1))
            pairs.append((mask, 1 << min(k, w - 1)))
        for _ in range(n_random // 4):
            x = rand_value(rnd, w)
            pairs.append((x, x))  # equal
            pairs.append((x, x ^ (1 << rnd.randrange(w))))  # differ in one bit
            pairs.append((x, mask ^ x))  # sum all ones, no carry
            pairs.append((x, ((mask ^ x) + 1) & mask))  # sum 2^W: a carry through every bit
        for _ in range(n_random):
            pairs.append((rand_value(rnd, w), rand_value(rnd, w)))
    xs, ys = zip(*pairs)
    return list(xs), list(ys)


def number_lists(w, m, rnd, n_random=150):
    mask = (1 << w) - 1
    if (1 << w) ** m <= 5000:
        return [list(t) for t in itertools.product(range(1 << w), repeat=m)]
    lists = [[0] * m, [mask] * m, [1] * m, [mask if j % 2 else 0 for j in range(m)], [1 << (w - 1)] * m,
             [(mask ^ (1 << (j % w))) for j in range(m)]]
    pool = edge_values(w)
    lists += [[rnd.choice(pool) for _ in range(m)] for _ in range(n_random // 3)]
    lists += [[rand_value(rnd, w) for _ in range(m)] for _ in range(n_random)]
    return lists
