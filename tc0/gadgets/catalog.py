"""The named gadgets ``tc0 compile`` builds, with their ports and parameter ranges.

Port conventions: binary gadgets read ports ``a`` and ``b``; ``int:sum`` and
``int:max`` read one port ``x`` of M numbers concatenated (number j at bits
j*W upward). Results are port ``y`` (``int:cmp``: ``lt`` and ``eq``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tc0.builder import Builder
from tc0.circuit import Circuit
from tc0.errors import GadgetError
from tc0.gadgets import integer

MAX_BITS = 256
MAX_M = 1024


@dataclass(frozen=True)
class GadgetSpec:
    """How to build one named gadget."""

    name: str
    summary: str
    uses_m: bool
    build: Callable[[Builder, int, int], None]  # (builder, bits, m) -> declares ports
    max_bits: int = MAX_BITS
    max_m: int = MAX_M


def _binary(fn):
    def build(b: Builder, bits: int, m: int) -> None:
        b.output("y", fn(b, b.input("a", bits), b.input("b", bits)))

    return build


def _cmp(b: Builder, bits: int, m: int) -> None:
    x, y = b.input("a", bits), b.input("b", bits)
    b.output("lt", integer.less_than(b, x, y)[None])
    b.output("eq", integer.equal(b, x, y)[None])


def _over_m(fn):
    def build(b: Builder, bits: int, m: int) -> None:
        b.output("y", fn(b, b.input("x", bits * m).reshape(m, bits)))

    return build


GADGETS: dict[str, GadgetSpec] = {
    spec.name: spec
    for spec in (
        GadgetSpec("int:add", "a + b, W+1 bits (depth 4)", False, _binary(integer.add)),
        GadgetSpec("int:sub", "a - b mod 2^(W+1), two's complement, top bit = borrow (depth 4)", False,
                   _binary(integer.sub)),
        GadgetSpec("int:cmp", "lt = [a < b], eq = [a == b] (depth 4)", False, _cmp),
        GadgetSpec("int:mul", "a * b, 2W bits (depth 11)", False, _binary(integer.multiply), max_bits=64),
        GadgetSpec("int:sum", "sum of M W-bit numbers, W + ceil(log2 M) bits (depth 10 for M >= 4)", True,
                   _over_m(integer.iterated_sum), max_m=256),
        GadgetSpec("int:max", "maximum of M W-bit numbers, W bits (depth 6)", True,
                   _over_m(integer.maximum), max_m=128),
    )
}


def compile_gadget(name: str, bits: int, m: int | None = None) -> Circuit:
    """Build gadget ``name`` for width ``bits`` (and operand count ``m``)."""
    spec = GADGETS.get(name)
    if spec is None:
        raise GadgetError(f"unknown gadget {name!r}; known: {', '.join(GADGETS)}")
    if not 1 <= bits <= spec.max_bits:
        raise GadgetError(f"{name}: --bits must be in 1..{spec.max_bits}, got {bits}")
    if spec.uses_m:
        if m is None:
            raise GadgetError(f"{name} needs --m (the number of operands)")
        if not 1 <= m <= spec.max_m:
            raise GadgetError(f"{name}: --m must be in 1..{spec.max_m}, got {m}")
    elif m is not None:
        raise GadgetError(f"{name} takes no --m")
    b = Builder()
    with b.scope(name):
        spec.build(b, bits, m or 1)
    return b.build()
