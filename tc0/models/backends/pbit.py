"""The p-bit backend: every operation exactly as DESIGN section 3 defines it,
on words (``tc0.numerics.reference``)."""

from __future__ import annotations

import numpy as np

from tc0.models.backend import Backend, refuse_non_positive
from tc0.numerics import FloatFormat
from tc0.numerics import reference as ref


class PbitBackend(Backend):
    """Exact p-bit emulation; tensors are uint64 words."""

    name = "pbit"
    summary = "the exact p-bit emulation of DESIGN section 3 (inputs and weights rounded to the format)"
    computes_values = True
    uses_format = True

    def __init__(self, fmt: FloatFormat):
        self.fmt = fmt

    def values(self, x) -> np.ndarray:
        return self.fmt.decode(np.asarray(x))

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
        refuse_non_positive(self.fmt.decode(np.asarray(x)) > 0, what)

    def sum(self, x, axis: int):
        return ref.sum(self.fmt, np.moveaxis(np.asarray(x), axis, -1))
