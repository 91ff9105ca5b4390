"""``tc0 report --integers``: depth and size of the integer gadgets swept over
their width W and their operand count m."""

from __future__ import annotations

from collections.abc import Callable

from tc0.compiler.catalog import compile_gadget
from tc0.ir.circuit import Circuit
from tc0.report.sweeps import Sweep, run_sweep


#: (gadget, the fixed W or None when W is swept, values of the swept W or m)
INTEGER_PLAN = [
    ("int:add", None, [8, 16, 32, 64, 128]),
    ("int:cmp", None, [8, 16, 32, 64, 128]),
    ("int:mul", None, [8, 16, 32, 64]),
    ("int:sum", 16, [2, 4, 8, 16, 32, 64, 128, 256]),
    ("int:max", 16, [2, 4, 8, 16, 32, 64]),
    # the depth records (weighted.py): their edges grow as W^6 and more, so over small W only
    ("int:lt-weights", None, [4, 8, 12, 16, 20]),
    ("int:lt-delta", None, [4, 8, 12, 16, 20]),
    ("int:add-delta", None, [4, 8, 12, 16]),
    ("int:mul-delta", None, [4, 6, 8]),
    ("int:sum-delta", 8, [2, 4, 8, 16]),
]


def _gadget(name: str, bits: int | None, optimize: str) -> Callable[[int], Circuit]:
    """The gadget built over its width W (``bits`` None) or its count m."""
    if bits is None:
        return lambda v: compile_gadget(name, bits=v, optimize=optimize)
    return lambda v: compile_gadget(name, bits=bits, m=v, optimize=optimize)


def integer_sweeps(progress=None, optimize: str = "size") -> list[Sweep]:
    """Run the default integer-gadget sweeps (``INTEGER_PLAN``), built for ``optimize``."""
    return [run_sweep(gadget if bits is None else f"{gadget} (W={bits})", "W" if bits is None else "m", values,
                      _gadget(gadget, bits, optimize), progress)
            for gadget, bits, values in INTEGER_PLAN]


def markdown(sweeps: list[Sweep], optimize: str = "size") -> str:
    """The sweeps as Markdown tables plus a one-line verdict."""
    lines = ["## Integer gadgets: depth and size" + (", built for depth" if optimize == "depth" else ""), ""]
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
