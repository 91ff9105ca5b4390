"""Circuits written as arrays by hand, bypassing the builder's folding (so MAJ
gates keep constant and repeated fan-ins, AND/OR may read constants)."""

from __future__ import annotations

import numpy as np

from tc0 import Circuit, Kind


def circuit_from_gates(inputs: dict[str, int], gates, outputs: dict[str, list[int]]) -> Circuit:
    """``gates`` is a list of (Kind, fan-in ids) appended after the sources, in order."""
    n_in = sum(inputs.values())
    kinds = [Kind.CONST0, Kind.CONST1] + [Kind.INPUT] * n_in + [k for k, _ in gates]
    counts = [0] * (2 + n_in) + [len(f) for _, f in gates]
    return Circuit(
        kind=np.array(kinds, dtype=np.uint8),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        fanins=np.array([x for _, f in gates for x in f], dtype=np.int32),
        scope=np.zeros(len(kinds), dtype=np.int32),
        scopes=("",),
        inputs=dict(inputs),
        outputs={name: np.array(ids, dtype=np.int64) for name, ids in outputs.items()},
    )
