"""A module compiled to a circuit through the compiler's front door: its
size estimated (``estimate``) and held against the gate budget, then its
definition run on the circuit backend.

Circuit ports of a module: one input port per input array (DESIGN section 5
names, in the module's order), then, with ``weights_as_inputs``, one per
weight array (named as in the weights file, e.g. ``scale1.tf.attn.W_Q``).
Each port holds its tensor's words row-major, word j at bits
``j*width .. j*width + width - 1`` (LSB first). The single output port ``Y``
holds the output tensor the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tc0.compiler.front_door import compile_circuit
from tc0.ir.circuit import Circuit
from tc0.models.backends import CircuitBackend
from tc0.models.config import ModelConfig
from tc0.models.estimate import estimate
from tc0.models.module import ModuleSpec
from tc0.models.prepare import prepare
from tc0.numerics import FloatFormat

#: default gate budget of ``build_circuit`` (about 8 GB of builder memory)
DEFAULT_MAX_GATES = 40_000_000


def build_circuit(
    spec: ModuleSpec,
    cfg: ModelConfig,
    fmt: FloatFormat,
    weights: dict,
    *,
    weights_as_inputs: bool = False,
    max_gates: int = DEFAULT_MAX_GATES,
    progress: Callable[[int, int], None] | None = None,
) -> Circuit:
    """The module's circuit (ports: see the module docstring).

    Refuses (``GateBudgetError``) when the estimate exceeds ``max_gates`` and
    stops as soon as the builder holds more than ``max_gates`` nodes.
    ``progress`` is called with the builder's node count and the estimated
    size after every float operation.
    """
    cfg = prepare(spec, cfg, weights)
    est = estimate(spec, cfg, fmt, weights)

    def declare(b, checkpoint) -> None:
        B = CircuitBackend(b, fmt, checkpoint)
        x = {name: B.input(name, shape) for name, shape in spec.inputs(cfg).items()}
        if weights_as_inputs:
            w = {name: B.input(name, np.shape(arr)) for name, arr in weights.items()}
        else:
            w = {name: B.constant(arr) for name, arr in weights.items()}
        b.output("Y", spec.forward(B, x, w, cfg))

    return compile_circuit(declare, scope=spec.name, expected_gates=est.gates, expected_edges=est.edges,
                           max_gates=max_gates, what=f"{spec.name} at n={cfg.n} c={cfg.c} p={fmt.p}",
                           progress=progress, optimize=fmt.optimize)
