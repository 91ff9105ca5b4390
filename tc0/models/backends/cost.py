"""The cost backend: counts the scalar operations a module performs, so its
circuit's size can be estimated before any gate is built."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tc0.models.backend import Backend


class CostBackend(Backend):
    """Counts scalar operations without computing anything.

    A tensor is a zero-stride array of the right shape (no memory), and no
    operation allocates memory in proportion to the shapes. ``counts`` maps
    (operation, m) to the number of scalar operations, m being the number of
    terms of a sum and 0 otherwise. Operations whose operands are all
    constants are counted too (the circuit would fold them), so the counts are
    an upper bound on what a circuit builds. ``largest`` is the most scalars
    of any tensor the definition creates (a constant, a gathered or
    concatenated tensor, an operation's result), ``largest_at`` what created
    it and in which scope.
    """

    name = "cost"
    summary = "counts the scalar operations (circuit size estimates)"

    def __init__(self):
        self.counts: Counter[tuple[str, int]] = Counter()
        self.largest = 0
        self.largest_at = ""

    def _tensor(self, shape, what: str = "constant"):
        out = np.broadcast_to(np.uint8(0), tuple(int(k) for k in shape))
        if out.size > self.largest:
            path = self.scope_path
            self.largest, self.largest_at = out.size, f"{what} in {path}" if path else what
        return out

    def _count(self, op: str, shape, m: int = 0):
        out = self._tensor(shape, op)
        self.counts[(op, m)] += out.size
        return out

    def constant(self, values):
        return self._tensor(np.shape(values))

    def lazy_constant(self, shape, values):
        return self._tensor(shape)

    def gather(self, x, index: tuple):
        return self._tensor(np.broadcast_shapes(*(np.shape(i) for i in index)) + self.shape(x)[len(index):], "gather")

    def take_last(self, x, index):
        return self._tensor(self.shape(x)[:-1] + np.shape(index), "gather")

    def concat(self, xs, axis: int = 0):
        shapes = [list(self.shape(x)) for x in xs]
        axis %= len(shapes[0])
        shapes[0][axis] = sum(shape[axis] for shape in shapes)
        return self._tensor(shapes[0], "concat")

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
