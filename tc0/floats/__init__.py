"""p-bit floats (DESIGN section 3): the word format and the exact reference backend."""

from tc0.floats import reference
from tc0.floats.format import FloatFormat, round_quotient, round_scaled

__all__ = ["FloatFormat", "reference", "round_quotient", "round_scaled"]
