"""A module run on a backend that computes values: its inputs and weights
(float64 arrays) loaded as the backend's constants, its definition run, the
output in the backend's own form (``backend.values`` turns it into float64)."""

from __future__ import annotations

from tc0.models.backend import Backend
from tc0.models.config import ModelConfig
from tc0.models.module import ModuleSpec
from tc0.models.prepare import check_bound, prepare
from tc0.numerics import FloatFormat


def run(spec: ModuleSpec, cfg: ModelConfig, backend: Backend, inputs: dict, weights: dict):
    """The module's output on ``backend`` (float64: values; pbit: words, the
    inputs and weights rounded to the format first). ``backend.warnings``
    then tell what the output does not show (float64: overflow, underflow;
    a layer norm that cannot depend on its input). Sizes are the caller's
    to check first (``tc0.models.limits.check_size``)."""
    cfg = prepare(spec, cfg, weights)
    check_bound(cfg, inputs)
    loaded = {name: backend.constant(arr) for name, arr in inputs.items()}
    loaded_weights = {name: backend.constant(arr) for name, arr in weights.items()}
    return spec.forward(backend, loaded, loaded_weights, cfg)


def rounded(fmt: FloatFormat, arrays: dict) -> dict:
    """The arrays rounded to the format, as float64 values."""
    return {name: fmt.decode(fmt.encode(arr)) for name, arr in arrays.items()}
