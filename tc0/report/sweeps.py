"""Sweeps of circuit depth and size, with the two TC0 checks: depth constant
from some point on, and size polynomial (least-squares exponent of log size
against log of the swept parameter)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tc0.ir.circuit import Circuit


def fitted_exponent(xs, ys) -> float:
    """Least-squares slope of log(y) against log(x); NaN for fewer than two points."""
    if len(xs) < 2:
        return float("nan")
    return float(np.polyfit(np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float)), 1)[0])


@dataclass
class Sweep:
    """Depth/size of one gadget family over one parameter."""

    name: str
    parameter: str
    values: list[int]
    sizes: list[int] = field(default_factory=list)
    edges: list[int] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)

    @property
    def constant_from(self) -> int | None:
        """Smallest swept value from which the depth never changes (None if it changes at the end)."""
        if len(self.depths) < 2 or self.depths[-1] != self.depths[-2]:
            return None
        i = len(self.depths) - 1
        while i > 0 and self.depths[i - 1] == self.depths[-1]:
            i -= 1
        return self.values[i]

    def _exponent(self, measure: list[int]) -> float:
        start = self.values.index(self.constant_from) if self.constant_from is not None else 0
        return fitted_exponent(self.values[start:], measure[start:])

    @property
    def size_exponent(self) -> float:
        """Slope of log(size) against log(parameter), over the points from ``constant_from`` on."""
        return self._exponent(self.sizes)

    @property
    def edges_exponent(self) -> float:
        """Slope of log(edges) against log(parameter), over the same points."""
        return self._exponent(self.edges)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "parameter": self.parameter,
            "points": [
                {self.parameter: v, "size": s, "edges": e, "depth": d}
                for v, s, e, d in zip(self.values, self.sizes, self.edges, self.depths)
            ],
            "depth_constant": self.constant_from is not None,
            "depth_constant_from": self.constant_from,
            "size_exponent": self.size_exponent,
            "edges_exponent": self.edges_exponent,
        }


def run_sweep(name: str, parameter: str, values: Sequence[int], build: Callable[[int], Circuit], progress=None) -> Sweep:
    """Build ``build(v)`` for each value and record its measures."""
    sweep = Sweep(name, parameter, list(values))
    for v in values:
        circuit = build(v)
        sweep.sizes.append(circuit.size)
        sweep.edges.append(circuit.edges)
        sweep.depths.append(circuit.depth)
        if progress is not None:
            progress.update(1)
    return sweep
