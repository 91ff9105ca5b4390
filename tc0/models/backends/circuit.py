"""The circuit backend: every operation becomes the gates of its float gadget."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tc0.compiler.builder import Builder
from tc0.compiler.gadgets import floats as fg
from tc0.models.backend import Backend
from tc0.numerics import FloatFormat


class CircuitBackend(Backend):
    """Emits gates through a ``Builder``; tensors are wire-id arrays (..., width).

    ``checkpoint`` (optional) is called after every arithmetic operation: the
    compiler's front door guards the gate budget and reports progress there.
    """

    name = "circuit"
    summary = "emits the gates of the p-bit operations (tc0.compiler)"
    scalar_axes = 1

    def __init__(self, builder: Builder, fmt: FloatFormat, checkpoint: Callable[[], None] | None = None):
        self.b = builder
        self.fmt = fmt
        self.checkpoint = checkpoint

    def scope(self, name: str):
        return self.b.scope(name)

    def constant(self, values):
        words = self.fmt.encode(np.asarray(values, dtype=np.float64))
        return Builder.const(self.fmt.to_bits(words), np.shape(words) + (self.fmt.width,))

    def input(self, name: str, shape) -> np.ndarray:
        """An input port holding a tensor of words, row-major, word j at bits j*width."""
        count = int(np.prod(shape, dtype=np.int64))
        return self.b.input(name, count * self.fmt.width).reshape(tuple(shape) + (self.fmt.width,))

    def _pair(self, x, y):
        x, y = np.asarray(x), np.asarray(y)
        shape = np.broadcast_shapes(x.shape[:-1], y.shape[:-1])
        return self.broadcast_to(x, shape), self.broadcast_to(y, shape)

    def _done(self, out):
        if self.checkpoint is not None:
            self.checkpoint()
        return out

    def add(self, x, y):
        return self._done(fg.add(self.b, self.fmt, *self._pair(x, y)))

    def sub(self, x, y):
        return self._done(fg.sub(self.b, self.fmt, *self._pair(x, y)))

    def mul(self, x, y):
        return self._done(fg.mul(self.b, self.fmt, *self._pair(x, y)))

    def div(self, x, y):
        return self._done(fg.div(self.b, self.fmt, *self._pair(x, y)))

    def exp(self, x):
        return self._done(fg.exp(self.b, self.fmt, x))

    def sqrt(self, x):
        return self._done(fg.sqrt(self.b, self.fmt, x))

    def relu(self, x):
        return self._done(fg.relu(self.b, self.fmt, x))

    def sum(self, x, axis: int):
        nd = len(self.shape(x))
        return self._done(fg.sum_(self.b, self.fmt, np.moveaxis(np.asarray(x), axis % nd, -2)))
