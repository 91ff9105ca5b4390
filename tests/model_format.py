"""The float format the model-module tests compile and run at (p = 8 and the
default exponent width), shared by tests/models/test_compile.py,
test_estimate.py and test_attention.py."""

from __future__ import annotations

from tc0.numerics import FloatFormat

FMT = FloatFormat(8)
