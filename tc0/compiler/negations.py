"""Negations pushed toward the sources: the builder's ``optimize="depth"``.

A NOT costs one level in the strict measure (DESIGN section 2). But the
negation of a gate is also its *dual* over the negated fan-ins: NOT AND(x) =
OR(NOT x), NOT OR(x) = AND(NOT x), and MAJ is self-dual, NOT MAJ(x) =
MAJ(NOT x) for its odd fan-in (constants flip). So a gate whose fan-ins'
negations are at hand at their own level has a *twin*, its negation, at its
own level, one below the NOT gate's. Sources have none (NOT of an input
costs its level), a NOT gate's negation is its fan-in, a level below it.

While building, every node carries ``level`` and ``neg``, the level at which
its negation can be had: for a gate, neg = min(level + 1, 1 + max over its
fan-ins of their neg). ``Builder.not_`` builds the twin where neg <= level
and a NOT gate elsewhere. A twin needs the twins of its *critical* fan-ins
only (those whose NOT gate would be too deep: level + 1 > neg - 1); the
others get a NOT gate, one gate instead of a cone. Each node has at most one
twin, so the circuit at most doubles; its depth drops by the NOT levels on
its critical paths.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tc0.ir.schema import Kind

_AND, _OR, _NOT, _MAJ, _INPUT = int(Kind.AND), int(Kind.OR), int(Kind.NOT), int(Kind.MAJ), int(Kind.INPUT)


@njit(cache=True, nogil=True)
def levels(kinds, offsets, fanins, level, neg, first, stop):
    """``level`` and ``neg`` of the gates ``first .. stop - 1`` (in
    topological order): a NOT gate is 1 + its fan-in's level (of a source: the
    source's ``neg``, which a streamed piece carries), its negation its
    fan-in; any other gate is 1 + its deepest fan-in, its negation the NOT
    gate or the twin, whichever is shallower."""
    for v in range(first, stop):
        lo, hi = offsets[v], offsets[v + 1]
        if kinds[v] == _NOT:
            x = fanins[lo]
            level[v] = neg[x] if kinds[x] == _INPUT else level[x] + 1
            neg[v] = level[x]
            continue
        deepest, deepest_neg = 0, 0
        for j in range(lo, hi):
            deepest = max(deepest, level[fanins[j]])
            deepest_neg = max(deepest_neg, neg[fanins[j]])
        level[v] = deepest + 1
        neg[v] = min(deepest + 2, deepest_neg + 1)


def rows_of(offsets, nodes) -> tuple[np.ndarray, np.ndarray]:
    """The fan-in entries of ``nodes``: their positions in the fan-in array
    (row after row) and the bounds of each node's row in that list."""
    lo, hi = offsets[nodes], offsets[nodes + 1]
    counts = hi - lo
    bounds = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    positions = np.arange(bounds[-1], dtype=np.int64) + np.repeat(lo - bounds[:-1], counts)
    return positions, bounds


def critical_cone(kinds, offsets, fanins, level, neg, twin, seeds) -> np.ndarray:
    """The gates whose twins the twins of ``seeds`` need (``seeds`` included),
    ordered by level: from each, its fan-ins that are gates without a twin
    and critical (level >= neg of the needing node - 1)."""
    found = [seeds]
    seen = set(seeds.tolist())
    frontier = seeds
    while len(frontier):
        positions, bounds = rows_of(offsets, frontier)
        fan = fanins[positions].astype(np.int64)
        owner = np.repeat(frontier, np.diff(bounds))
        k = kinds[fan]
        critical = ((k == _AND) | (k == _OR) | (k == _MAJ)) & (twin[fan] < 0) & (level[fan] >= neg[owner] - 1)
        frontier = np.array([f for f in np.unique(fan[critical]).tolist() if f not in seen], dtype=np.int64)
        seen.update(frontier.tolist())
        found.append(frontier)
    cone = np.concatenate(found)
    return cone[np.argsort(level[cone], kind="stable")]


def dual_rows(kinds, offsets, fanins, twin, nodes):
    """The dual gate rows of ``nodes`` (gates whose fan-ins' twins that are
    needed exist): per fan-in entry its negation where it is free (a constant
    flipped, a twin, a NOT gate's fan-in) or -1 (a NOT gate is needed), the
    rows' bounds, and each row's threshold (AND -> OR: 1; OR -> AND: all;
    MAJ: the same majority of its odd fan-in)."""
    positions, bounds = rows_of(offsets, nodes)
    fan = fanins[positions].astype(np.int64)
    k = kinds[fan]
    negated = np.where(fan <= 1, 1 - fan, twin[fan])
    is_not = k == _NOT
    negated[is_not] = fanins[offsets[fan[is_not]]]
    widths = np.diff(bounds)
    kind = kinds[nodes]
    threshold = np.where(kind == _AND, 1, np.where(kind == _OR, widths, (widths + 1) // 2))
    return fan, negated, bounds, threshold
