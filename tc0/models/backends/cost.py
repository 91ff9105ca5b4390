"""The cost backend: counts the scalar operations a module performs, so its
circuit's size can be estimated before any gate is built."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tc0.models.backend import Backend


class CostBackend(Backend):
    """Counts scalar operations without computing anything.

    A tensor is a zero-stride array of the right shape (no memory). ``counts``
    maps (operation, m) to the number of scalar operations, m being the number
    of terms of a sum and 0 otherwise. Operations whose operands are all
    constants are counted too (the circuit would fold them), so the counts are
    an upper bound on what a circuit builds.
    """

    name = "cost"
    summary = "counts the scalar operations (circuit size estimates)"

    def __init__(self):
        self.counts: Counter[tuple[str, int]] = Counter()

    @staticmethod
    def _tensor(shape):
        return np.broadcast_to(np.uint8(0), tuple(shape))

    def _count(self, op: str, shape, m: int = 0):
        self.counts[(op, m)] += int(np.prod(shape, dtype=np.int64))
        return self._tensor(shape)

    def constant(self, values):
        return self._tensor(np.shape(values))

    def _binary(self, op, x, y):
        return self._count(op, np.broadcast_shapes(np.shape(x), np.shape(y)))

    def add(self, x, y):
        return self._binary("add", x, y)

    def sub(self, x, y):
        return self._binary("sub", x, y)

    def mul(self, x, y):
        return self._binary("mul", x, y)

    def div(self, x, y):
        return self._binary("div", x, y)

    def exp(self, x):
        return self._count("exp", np.shape(x))

    def sqrt(self, x):
        return self._count("sqrt", np.shape(x))

    def relu(self, x):
        return self._count("relu", np.shape(x))

    def sum(self, x, axis: int):
        shape = list(np.shape(x))
        m = shape.pop(axis)
        return self._count("sum", shape, m)
