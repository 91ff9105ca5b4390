"""``simulate`` and ``simulate_packed``: a circuit run on a batch of input
bits, checked against its ports."""

from __future__ import annotations

import numpy as np

from tc0.errors import SimulationInputError
from tc0.ir.circuit import Circuit
from tc0.simulator.bits import pack_bits, unpack_bits
from tc0.simulator.schedule import DEFAULT_MAX_BYTES, schedule_for


def _check_ports(circuit: Circuit, given) -> None:
    unknown = set(given) - set(circuit.inputs)
    if unknown:
        raise SimulationInputError(f"unknown input port(s): {', '.join(sorted(unknown))}")
    missing = [p for p in circuit.inputs if p not in given]
    if missing:
        raise SimulationInputError(f"missing input port(s): {', '.join(missing)}")


def _check_inputs(circuit: Circuit, inputs: dict) -> int:
    _check_ports(circuit, inputs)
    batch = None
    for name, width in circuit.inputs.items():
        arr = np.asarray(inputs[name])
        if arr.ndim != 2 or arr.shape[1] != width:
            raise SimulationInputError(f"input {name!r}: expected shape (batch, {width}), got {arr.shape}")
        if batch is None:
            batch = arr.shape[0]
        elif arr.shape[0] != batch:
            raise SimulationInputError(f"input {name!r}: batch {arr.shape[0]} differs from {batch}")
    return batch or 0


def simulate_packed(circuit: Circuit, packed: dict[str, np.ndarray], max_bytes: int = DEFAULT_MAX_BYTES,
                    threads: int = 1):
    """Like ``simulate`` on bit-packed ports: each value is ``(width, words)``
    uint64, sample i at bit i % 64 of word i // 64. Returns the same form."""
    _check_ports(circuit, packed)
    words = None
    for name, width in circuit.inputs.items():
        arr = packed[name]
        if arr.dtype != np.uint64 or arr.ndim != 2 or arr.shape[0] != width:
            raise SimulationInputError(f"packed input {name!r}: expected uint64 of shape ({width}, words)")
        words = arr.shape[1] if words is None else words
        if arr.shape[1] != words:
            raise SimulationInputError(f"packed input {name!r}: {arr.shape[1]} words, others have {words}")
    if words is None:
        words = 1
    stacked = (
        np.concatenate([packed[name] for name in circuit.inputs])
        if circuit.inputs
        else np.zeros((0, words), dtype=np.uint64)
    )
    flat = schedule_for(circuit).run(stacked, max_bytes, threads)
    result, start = {}, 0
    for name, ids in circuit.outputs.items():
        result[name] = flat[start : start + len(ids)]
        start += len(ids)
    return result


def simulate(circuit: Circuit, inputs: dict[str, np.ndarray], max_bytes: int = DEFAULT_MAX_BYTES,
             threads: int = 1):
    """Evaluate ``circuit`` on a batch.

    ``inputs`` maps every input port name to a ``(batch, width)`` bool/uint8
    array of bits, least significant first. Returns a dict mapping every output
    port name to a ``(batch, width)`` uint8 array. ``threads`` > 1 shares the
    batch's blocks of samples among that many threads (it pays from a few
    blocks on, tens of thousands of samples; tc0's checks run one process
    per core instead).
    """
    batch = _check_inputs(circuit, inputs)
    packed = {}
    for name in circuit.inputs:
        arr = np.asarray(inputs[name])
        if arr.dtype != bool and not np.issubdtype(arr.dtype, np.integer):
            raise SimulationInputError(f"input {name!r}: bits must be bool or integer 0/1, got dtype {arr.dtype}")
        if arr.dtype != bool and arr.size and (arr.min() < 0 or arr.max() > 1):
            raise SimulationInputError(f"input {name!r}: bits must be 0 or 1")
        packed[name] = pack_bits(arr.astype(np.uint8))
    out = simulate_packed(circuit, packed, max_bytes, threads)
    return {name: unpack_bits(v, batch) for name, v in out.items()}
