"""The p-bit reference (``tc0.numerics.reference``) on cases laid out as
``tc0.verify.float_cases.float_cases`` makes them, by the catalog's shape of
the gadget; shared by tests/compiler/test_float_gadgets.py and
tests/verify/test_float_cases.py."""

from __future__ import annotations

import numpy as np

from tc0.compiler.catalog import FLOAT_GADGETS
from tc0.numerics import FloatFormat
from tc0.numerics import reference as R


def reference(fmt: FloatFormat, op: str, cases: np.ndarray) -> np.ndarray:
    fn = getattr(R, op)
    shape = FLOAT_GADGETS[f"float:{op}"].shape
    if shape == "unary":
        out = fn(fmt, cases[:, 0])
    elif shape == "reduce":
        out = fn(fmt, cases)
    else:  # binary (N, 2) and pair (N, 2, m)
        out = fn(fmt, cases[:, 0], cases[:, 1])
    return np.asarray(out).astype(np.uint64).reshape(-1)
