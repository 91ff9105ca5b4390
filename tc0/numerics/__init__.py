"""p-bit floats without circuits (DESIGN section 3): the word format and its
rounding (``format``), the exact reference of every operation
(``reference``), and the algorithm exp follows (``exp_algorithm``)."""

from tc0.numerics import reference
from tc0.numerics.format import FloatFormat, round_quotient, round_scaled

__all__ = ["FloatFormat", "reference", "round_quotient", "round_scaled"]
