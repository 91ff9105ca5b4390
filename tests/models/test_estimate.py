"""Counting a module's operations and gates before building
(tc0.models.estimate): matmul's products and sums, and the gates they imply."""

from __future__ import annotations

from model_format import FMT

from tc0.models import registry
from tc0.models.estimate import estimate
from tc0.models.prices import gadget_cost
from tc0.models.flowar.config import FlowARConfig


def test_estimate_counts_operations():
    """matmul n x n x c times c x c: n^2 c^2 products and n^2 c sums of c terms."""
    spec = registry.get_module("matmul")
    est = estimate(spec, FlowARConfig(n=3, c=4), FMT)
    assert est.counts == {("mul", 0): 9 * 16, ("sum", 4): 9 * 4}
    assert est.gates == 144 * gadget_cost(FMT, "mul")[0] + 36 * gadget_cost(FMT, "sum", 4)[0]
