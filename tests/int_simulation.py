"""Circuits run on Python ints (ports least significant bit first) and on
random input bits, shared by the builder, native-file, gadget, catalog,
simulator and export tests. The bit conversions are written here with plain
numpy, apart from tc0's own (``tc0.simulator.bits``)."""

from __future__ import annotations

import numpy as np

import tc0


def to_bits(values, width: int) -> np.ndarray:
    """Python ints -> (batch, width) uint8 bits, least significant first."""
    nbytes = (width + 7) // 8
    for v in values:
        assert 0 <= v < (1 << width), f"test bug: {v} does not fit in {width} bits"
    buf = b"".join(int(v).to_bytes(nbytes, "little") for v in values)
    arr = np.frombuffer(buf, dtype=np.uint8).reshape(len(values), nbytes)
    return np.unpackbits(arr, axis=1, bitorder="little")[:, :width].copy()


def from_bits(bits: np.ndarray) -> list[int]:
    """(batch, width) 0/1 bits, least significant first -> Python ints."""
    bits = np.asarray(bits, dtype=np.uint8)
    assert set(np.unique(bits)) <= {0, 1}
    packed = np.packbits(bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]



def simulate_ints(c, inputs: dict[str, list[int]]) -> dict[str, list[int]]:
    out = tc0.simulate(c, {p: to_bits(v, c.inputs[p]) for p, v in inputs.items()})
    return {p: from_bits(v) for p, v in out.items()}


def random_inputs(circuit, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Uniform random bits for every input port: (batch, width) uint8."""
    rng = np.random.default_rng(seed)
    return {p: rng.integers(0, 2, size=(batch, w), dtype=np.uint8) for p, w in circuit.inputs.items()}
