"""Simulating a circuit on Python ints (ports least significant bit first),
shared by the builder tests (tests/compiler/test_builder.py) and the native
file tests (tests/ir/test_native.py)."""

from __future__ import annotations

import numpy as np

import tc0


def to_bits(values, width):
    return np.array([[(v >> i) & 1 for i in range(width)] for v in values], dtype=np.uint8)


def from_bits(bits):
    return [sum(int(b) << i for i, b in enumerate(row)) for row in bits]


def simulate_ints(c, inputs: dict[str, list[int]]) -> dict[str, list[int]]:
    out = tc0.simulate(c, {p: to_bits(v, c.inputs[p]) for p, v in inputs.items()})
    return {p: from_bits(v) for p, v in out.items()}
