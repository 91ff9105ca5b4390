"""The tensor-op interface every model is written against (DESIGN section 6),
and the helpers its layers share.

A tensor's *shape* is the shape of its scalars (the bit axis of a circuit
tensor is not part of it). Structural operations (reshape, transpose, index,
concatenate) never touch values, so they are written once here; arithmetic is
per backend (``tc0.models.backends``). Every composite operation with a
rounding order of its own (matrix product, mean) is defined once here in
terms of ``mul``/``sum``/``div``, so the backends cannot disagree on the
order of operations.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import numpy as np

from tc0.errors import FastAttentionError


def scoped(name: str):
    """Run a layer function ``fn(B, ...)`` inside ``B.scope(name)`` (circuit gates record it)."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(B: Backend, *args, **kwargs):
            with B.scope(name):
                return fn(B, *args, **kwargs)

        return inner

    return wrap


class Backend:
    """Base class: structural ops and the composite ops, written once.

    Subclasses set ``name`` (their key in ``tc0.models.backends.BACKENDS``)
    and ``summary``; a backend that computes values (``computes_values``)
    also turns its tensors into float64 arrays (``values``), and takes the
    float format as its one argument when it ``uses_format``.
    """

    name = ""
    summary = ""
    #: the backend computes values (it can ``tc0 run`` a module)
    computes_values = False
    #: it is constructed with the float format (p, e)
    uses_format = False

    #: trailing array axes that make up one scalar (circuit tensors: the bits)
    scalar_axes = 0

    @contextlib.contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Name the operations inside (``scope_path``; the circuit backend
        records it per gate, ``warn`` names it)."""
        path = self.__dict__.setdefault("_scope_path", [])
        path.append(name)
        try:
            yield
        finally:
            path.pop()

    @property
    def scope_path(self) -> str:
        """The scopes the current operation is in, outermost first, joined by "/"."""
        return "/".join(self.__dict__.get("_scope_path", ()))

    def warn(self, message: str, entries: int = 0, *, where: bool = True) -> None:
        """Record something about this run that its result does not show
        (non-finite or underflowed values, a degenerate layer): each message
        once, prefixed by the scope path (unless not ``where``), ``entries``
        summed over the times it is recorded (see ``warnings``)."""
        path = self.scope_path if where else ""
        notes = self.__dict__.setdefault("_warnings", {})
        key = f"{path}: {message}" if path else message
        notes[key] = notes.get(key, 0) + entries

    @property
    def warnings(self) -> list[str]:
        """The recorded warnings, one line each, in the order first seen."""
        return [f"{text} ({entries:,} entries)" if entries else text
                for text, entries in self.__dict__.get("_warnings", {}).items()]

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

    def gather(self, x, index: tuple):
        """``x[index]``: scalars picked by integer index arrays over the leading scalar axes."""
        return np.asarray(x)[index]

    def lazy_constant(self, shape, values):
        """``constant(values())`` of that ``shape``: a backend that needs only
        the shape (cost) never computes the values."""
        return self.constant(values())

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
        return self.div(total, self.constant(np.broadcast_to(float(count), self.shape(total))))

    # -------------------------------------------------------- per backend
    def values(self, x) -> np.ndarray:
        """The tensor as float64 values (value backends only)."""
        raise NotImplementedError

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


def refuse_non_positive(positive: np.ndarray, what: str) -> None:
    """A ``FastAttentionError`` naming the first entry of ``what`` that is not ``positive``."""
    if not positive.all():
        bad = np.argwhere(~positive)[0]
        raise FastAttentionError(
            f"{what} is not positive at index {tuple(int(i) for i in bad)} "
            f"({int((~positive).sum())} entries): inputs outside the range the polynomial was fitted on"
        )
