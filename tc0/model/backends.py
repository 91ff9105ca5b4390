"""The tensor-op interface FlowAR modules are written against, and its three
backends (DESIGN section 6):

* ``Float64Backend``: the math, numpy float64;
* ``PbitBackend``: the exact p-bit emulation of DESIGN section 3 (words);
* ``CircuitBackend``: emits gates; a tensor is an array of wire ids with one
  trailing axis for the bits of each float word;

and ``CostBackend``, which only counts the scalar operations a module would
perform (for estimates of circuit size before building).

A tensor's *shape* is the shape of its scalars (the bit axis of a circuit
tensor is not part of it). Structural operations (reshape, transpose, index,
concatenate) never touch values, so they are shared; arithmetic is per backend.
Every composite operation with a rounding order of its own (matrix product,
mean) is defined once here in terms of ``mul``/``sum``/``div``, so the three
backends cannot disagree on the order of operations.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator

import numpy as np

from tc0.builder import Builder
from tc0.floats import FloatFormat
from tc0.floats import gadgets as fg
from tc0.floats import reference as ref


class Backend:
    """Base class: structural ops and the composite ops, written once."""

    #: trailing array axes that make up one scalar (circuit tensors: the bits)
    scalar_axes = 0

    @contextlib.contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Name the operations inside (the circuit backend records it per gate)."""
        yield

    # -------------------------------------------------------- structure
    def shape(self, x) -> tuple[int, ...]:
        """Shape of the tensor's scalars."""
        x = np.asarray(x)
        return x.shape[: x.ndim - self.scalar_axes]

    def _tail(self, x) -> tuple[int, ...]:
        return np.asarray(x).shape[np.ndim(x) - self.scalar_axes :]

    def reshape(self, x, shape):
        return np.reshape(x, tuple(shape) + self._tail(x))

    def transpose(self, x, axes=None):
        nd = len(self.shape(x))
        axes = tuple(range(nd))[::-1] if axes is None else tuple(a % nd for a in axes)
        return np.transpose(x, axes + tuple(range(nd, nd + self.scalar_axes)))

    def swap_last(self, x):
        """Transpose of the last two scalar axes."""
        nd = len(self.shape(x))
        return self.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))

    def concat(self, xs, axis: int = 0):
        nd = len(self.shape(xs[0]))
        return np.concatenate(xs, axis=axis % nd)

    def broadcast_to(self, x, shape):
        return np.broadcast_to(x, tuple(shape) + self._tail(x))

    def slice_last(self, x, start: int, stop: int):
        """Scalars ``start:stop`` of the last scalar axis."""
        x = np.asarray(x)
        index = (Ellipsis, slice(start, stop)) + (slice(None),) * self.scalar_axes
        return x[index]

    def take_last(self, x, index):
        """Scalars ``index`` (an int array) of the last scalar axis."""
        return np.asarray(x)[(Ellipsis, np.asarray(index)) + (slice(None),) * self.scalar_axes]

    def require_positive(self, x, what: str) -> None:
        """Refuse non-positive values where they can be seen (not in circuits)."""

    def expand(self, x, axis: int):
        """Insert a length-1 scalar axis."""
        nd = len(self.shape(x))
        return np.expand_dims(x, axis % (nd + 1))

    # -------------------------------------------------------- composites
    def matmul(self, x, y):
        """x (..., n, k) @ y (..., k, m): every product rounded, then one sum of
        k terms per entry (DESIGN section 3)."""
        products = self.mul(self.expand(x, -1), self.expand(y, -3))  # (..., n, k, m)
        return self.sum(products, axis=-2)

    def mean(self, x, axis: int):
        """sum over ``axis``, then one division by the count."""
        count = self.shape(x)[axis]
        total = self.sum(x, axis=axis)
        return self.div(total, self.constant(np.full(self.shape(total), float(count))))

    # -------------------------------------------------------- arithmetic (per backend)
    def constant(self, values):
        raise NotImplementedError

    def add(self, x, y):
        raise NotImplementedError

    def sub(self, x, y):
        raise NotImplementedError

    def mul(self, x, y):
        raise NotImplementedError

    def div(self, x, y):
        raise NotImplementedError

    def exp(self, x):
        raise NotImplementedError

    def sqrt(self, x):
        raise NotImplementedError

    def relu(self, x):
        raise NotImplementedError

    def sum(self, x, axis: int):
        raise NotImplementedError


class Float64Backend(Backend):
    """The math: numpy float64."""

    def constant(self, values):
        return np.asarray(values, dtype=np.float64)

    def add(self, x, y):
        return np.add(x, y)

    def sub(self, x, y):
        return np.subtract(x, y)

    def mul(self, x, y):
        return np.multiply(x, y)

    def div(self, x, y):
        """x / y; 0/0 = 0 (as DESIGN's p-bit rule), x/0 = +-inf."""
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((x == 0) & (y == 0), 0.0, x / y)

    def exp(self, x):
        return np.exp(x)

    def sqrt(self, x):
        return np.sqrt(np.maximum(x, 0.0))

    def relu(self, x):
        return np.maximum(x, 0.0)

    def require_positive(self, x, what: str) -> None:
        _refuse_non_positive(np.asarray(x) > 0, what)

    def sum(self, x, axis: int):
        return np.sum(x, axis=axis)

    def matmul(self, x, y):
        return np.matmul(x, y)


class PbitBackend(Backend):
    """Exact p-bit emulation; tensors are uint64 words."""

    def __init__(self, fmt: FloatFormat):
        self.fmt = fmt

    def constant(self, values):
        return self.fmt.encode(np.asarray(values, dtype=np.float64))

    def add(self, x, y):
        return ref.add(self.fmt, x, y)

    def sub(self, x, y):
        return ref.sub(self.fmt, x, y)

    def mul(self, x, y):
        return ref.mul(self.fmt, x, y)

    def div(self, x, y):
        return ref.div(self.fmt, x, y)

    def exp(self, x):
        return ref.exp(self.fmt, x)

    def sqrt(self, x):
        return ref.sqrt(self.fmt, x)

    def relu(self, x):
        return ref.relu(self.fmt, x)

    def require_positive(self, x, what: str) -> None:
        _refuse_non_positive(self.fmt.decode(np.asarray(x)) > 0, what)

    def sum(self, x, axis: int):
        return ref.sum(self.fmt, np.moveaxis(np.asarray(x), axis, -1))


def _refuse_non_positive(positive: np.ndarray, what: str) -> None:
    if not positive.all():
        from tc0.model.fast import FastAttentionError

        bad = np.argwhere(~positive)[0]
        raise FastAttentionError(
            f"{what} is not positive at index {tuple(int(i) for i in bad)} "
            f"({int((~positive).sum())} entries): inputs outside the range the polynomial was fitted on"
        )


class CircuitBackend(Backend):
    """Emits gates through a ``Builder``; tensors are wire-id arrays (..., width).

    ``after_op`` (optional) is called with the builder after every arithmetic
    operation: a progress bar or a size guard hooks in there.
    """

    scalar_axes = 1

    def __init__(self, builder: Builder, fmt: FloatFormat, after_op: Callable[[Builder], None] | None = None):
        self.b = builder
        self.fmt = fmt
        self.after_op = after_op

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
        if self.after_op is not None:
            self.after_op(self.b)
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


class CostBackend(Backend):
    """Counts scalar operations without computing anything.

    A tensor is a zero-stride array of the right shape (no memory). ``counts``
    maps (operation, m) to the number of scalar operations, m being the number
    of terms of a sum and 0 otherwise. Operations whose operands are all
    constants are counted too (the circuit would fold them), so the counts are
    an upper bound on what a circuit builds.
    """

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
