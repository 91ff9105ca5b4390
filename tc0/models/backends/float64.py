"""The float64 backend: the math, on numpy."""

from __future__ import annotations

import functools

import numpy as np

from tc0.models.backend import Backend, refuse_non_positive

#: the smallest normal float64; smaller non-zero magnitudes have lost precision to underflow
_TINY = np.finfo(np.float64).tiny


class Float64Backend(Backend):
    """The math: numpy float64.

    Where an operation destroys what it computes, it records a warning
    (``warnings``, with the scope and the number of entries) instead of
    numpy's: inf or NaN from finite operands (overflow, x/0), quotients 0/0
    (taken as 0, DESIGN's rule; e.g. a softmax row whose exponentials all
    underflowed) and divisors that underflowed below the smallest normal.
    """

    name = "float64"
    summary = "the math, numpy float64"
    computes_values = True

    def values(self, x) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    def constant(self, values):
        return np.asarray(values, dtype=np.float64)

    def _checked(self, op: str, fn, *operands, cause: str = "overflow"):
        """``fn(*operands)`` without numpy's warnings; ours where it is inf or NaN
        though ``operands`` are all finite."""
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*operands))
        finite = np.isfinite(out)
        if not finite.all() and all(np.isfinite(x).all() for x in operands):
            self.warn(f"{op} gave inf or NaN from finite operands ({cause})", out.size - np.count_nonzero(finite))
        return out

    def add(self, x, y):
        return self._checked("addition", np.add, x, y)

    def sub(self, x, y):
        return self._checked("subtraction", np.subtract, x, y)

    def mul(self, x, y):
        return self._checked("multiplication", np.multiply, x, y)

    def div(self, x, y):
        """x / y; 0/0 = 0 (as DESIGN's p-bit rule), x/0 = +-inf."""
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        both_zero = (x == 0) & (y == 0)
        if both_zero.any():
            self.warn("0/0 taken as 0: a divisor underflowed or cancelled to 0", int(both_zero.sum()))
        subnormal = (y != 0) & (np.abs(y) < _TINY)
        if subnormal.any():
            self.warn("division by a divisor that underflowed below the smallest normal (precision lost)",
                      int(subnormal.sum()))
        return self._checked("division", lambda a, b: np.where(both_zero, 0.0, a / b), x, y,
                             cause="overflow or x/0")

    def exp(self, x):
        return self._checked("exp", np.exp, x)

    def sqrt(self, x):
        return np.sqrt(np.maximum(x, 0.0))

    def relu(self, x):
        return np.maximum(x, 0.0)

    def require_positive(self, x, what: str) -> None:
        refuse_non_positive(np.asarray(x) > 0, what)

    def sum(self, x, axis: int):
        return self._checked("sum", functools.partial(np.sum, axis=axis), x)

    def matmul(self, x, y):
        return self._checked("matrix product", np.matmul, x, y)
