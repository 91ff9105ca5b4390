"""A module's circuit size estimated before any gate is built: its scalar
float operations counted on the cost backend, each priced by the size of its
gadget in the compiler's catalog. An upper bound, since constant operands
fold away in the real circuit."""

from __future__ import annotations

from dataclasses import dataclass

from tc0.models import limits
from tc0.models.config import ModelConfig
from tc0.models.module import ModuleSpec, random_weights
from tc0.models.prepare import prepare
from tc0.models.prices import gadget_cost
from tc0.numerics import FloatFormat


@dataclass(frozen=True)
class Estimate:
    """Scalar operation counts of a module and the gates they would take."""

    counts: dict  # (op, m) -> number of scalar operations (m: terms of a sum, else 0)
    prices: dict  # (op, m) -> (gates, edges) of one such operation on variable inputs

    @property
    def gates(self) -> int:
        """Upper bound on the circuit's size."""
        return sum(count * self.prices[key][0] for key, count in self.counts.items())

    @property
    def edges(self) -> int:
        """Upper bound on the circuit's edges (fan-in entries)."""
        return sum(count * self.prices[key][1] for key, count in self.counts.items())

    @property
    def largest_sum(self) -> int:
        """Most terms of any iterated sum the module performs (its own m for d_⊕); 0 if none."""
        return max((m for op, m in self.counts if op == "sum"), default=0)

    @property
    def largest_element(self) -> int:
        """Gates of the largest single scalar operation (the smallest piece a streamed run can cut)."""
        return max((self.prices[key][0] for key in self.counts), default=0)

    def by_op(self) -> dict[str, int]:
        """Estimated gates per operation kind."""
        out: dict[str, int] = {}
        for (op, m), count in self.counts.items():
            out[op] = out.get(op, 0) + count * self.prices[(op, m)][0]
        return out


def estimate(spec: ModuleSpec, cfg: ModelConfig, fmt: FloatFormat, weights: dict | None = None) -> Estimate:
    """Count the module's scalar float operations (no gates built) and price
    each by its gadget's size. ``weights`` matter only to fast modules (their
    polynomial degree, unless ``cfg`` is prepared); default: seeded ones.
    Allocates nothing in proportion to the module's shapes once prepared
    (``tc0.models.limits.count``)."""
    if weights is None:
        weights = random_weights(spec, cfg) if spec.fast_of is not None and cfg.poly is None else {}
    B = limits.count(spec, prepare(spec, cfg, weights))
    return Estimate(dict(B.counts), {key: gadget_cost(fmt, *key) for key in B.counts})
