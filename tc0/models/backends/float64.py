"""The float64 backend: the math, on numpy."""

from __future__ import annotations

import numpy as np

from tc0.models.backend import Backend, refuse_non_positive


class Float64Backend(Backend):
    """The math: numpy float64."""

    name = "float64"
    summary = "the math, numpy float64"
    computes_values = True

    def values(self, x) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

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
        refuse_non_positive(np.asarray(x) > 0, what)

    def sum(self, x, axis: int):
        return np.sum(x, axis=axis)

    def matmul(self, x, y):
        return np.matmul(x, y)
