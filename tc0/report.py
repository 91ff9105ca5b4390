"""Sweeps of circuit depth and size, with the two TC0 checks: depth constant
from some point on, and size polynomial (least-squares exponent of log size
against log of the swept parameter)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tc0.circuit import Circuit


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


def _gadget(name: str, bits: int | None = None, m: int | None = None) -> Callable[[int], Circuit]:
    from tc0.gadgets.catalog import compile_gadget

    if bits is None:
        return lambda v: compile_gadget(name, bits=v, m=m)
    return lambda v: compile_gadget(name, bits=bits, m=v)


#: (family, swept parameter, values, builder) of the default integer sweeps
INTEGER_PLAN = [
    ("int:add", "W", [8, 16, 32, 64, 128], _gadget("int:add")),
    ("int:cmp", "W", [8, 16, 32, 64, 128], _gadget("int:cmp")),
    ("int:mul", "W", [8, 16, 32, 64], _gadget("int:mul")),
    ("int:sum (W=16)", "m", [2, 4, 8, 16, 32, 64, 128, 256], _gadget("int:sum", bits=16)),
    ("int:max (W=16)", "m", [2, 4, 8, 16, 32, 64], _gadget("int:max", bits=16)),
]


def integer_sweeps(progress=None) -> list[Sweep]:
    """Run the default integer-gadget sweeps (``INTEGER_PLAN``)."""
    return [run_sweep(name, param, values, build, progress) for name, param, values, build in INTEGER_PLAN]


def markdown(sweeps: list[Sweep]) -> str:
    """The sweeps as Markdown tables plus a one-line verdict."""
    lines = ["## Integer gadgets: depth and size", ""]
    lines.append("| gadget | parameter | values | depth | depth constant from | size | size exp. | edges exp. |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for s in sweeps:
        lines.append(
            f"| {s.name} | {s.parameter} | {', '.join(map(str, s.values))} | {', '.join(map(str, s.depths))} | "
            f"{s.constant_from if s.constant_from is not None else 'NOT constant'} | "
            f"{', '.join(map(str, s.sizes))} | {s.size_exponent:.2f} | {s.edges_exponent:.2f} |"
        )
    bad = [s.name for s in sweeps if s.constant_from is None]
    lines.append("")
    lines.append(
        "All depths are constant from the stated point on."
        if not bad
        else f"Depth still changes at the end of the sweep for: {', '.join(bad)}."
    )
    return "\n".join(lines)
