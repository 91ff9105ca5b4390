"""The size limit of a module, checked from its shapes before anything of
that size is allocated: its inputs and weights together, and every tensor
its definition creates, hold at most ``MAX_SCALARS`` scalars. The tensors
are counted on the cost backend, which allocates nothing in proportion to
the shapes; a fast (AAttC) module not yet prepared is checked as its exact
module, which its calibration runs (``tc0.models.prepare``)."""

from __future__ import annotations

import math

import numpy as np

from tc0.errors import ModelError
from tc0.models.backends import CostBackend
from tc0.models.config import ModelConfig
from tc0.models.module import ModuleSpec
from tc0.models.registry import get_module

#: most scalars of a module's inputs and weights together, and of any tensor it creates
#: (2^24: 128 MiB as float64 values or p-bit words)
MAX_SCALARS = 1 << 24
#: largest resampling factor and number of scales
MAX_FACTOR, MAX_SCALES = 64, 16


def count(spec: ModuleSpec, cfg: ModelConfig) -> CostBackend:
    """The module's definition run on the cost backend (``cfg`` prepared:
    a fast module needs its plan): its operation counts, largest tensor and
    warnings. Checks no limit (``check_size`` does)."""
    B = CostBackend()

    def zeros(shapes: dict) -> dict:
        return {name: B.constant(np.broadcast_to(0.0, shape)) for name, shape in shapes.items()}

    spec.forward(B, zeros(spec.inputs(cfg)), zeros(spec.weights(cfg)), cfg)
    return B


def check_size(spec: ModuleSpec, cfg: ModelConfig) -> CostBackend:
    """``count(spec, cfg)`` if the module fits ``MAX_SCALARS`` (and its
    factor and scales ``MAX_FACTOR`` and ``MAX_SCALES``), else a ModelError
    naming its shape parameters and what is too large."""
    for name, top in (("factor", MAX_FACTOR), ("scales", MAX_SCALES)):
        value = getattr(cfg, "K", None) if name == "scales" and hasattr(cfg, "K") else getattr(cfg, name, None)
        if name in spec.parameters and value is not None and value > top:
            raise ModelError(f"{name} must be in 1..{top}, got {value}", parameters=(name,))
    given = {k: getattr(cfg, k) for k in _shape_parameters(spec)}
    what = f"{spec.name} at " + " ".join(f"{k}={v}" for k, v in given.items() if v is not None)
    declared = sum(math.prod(shape) for shape in (*spec.inputs(cfg).values(), *spec.weights(cfg).values()))
    if declared > MAX_SCALARS:
        _refuse(spec, f"{what}: its inputs and weights hold {declared:,} scalars")
    counted = spec if spec.fast_of is None or cfg.poly is not None else get_module(spec.fast_of)
    cost = count(counted, cfg)
    if cost.largest > MAX_SCALARS:
        _refuse(spec, f"{what} creates a tensor of {cost.largest:,} scalars ({cost.largest_at})")
    return cost


def _shape_parameters(spec: ModuleSpec) -> tuple[str, ...]:
    return ("n", "c") + tuple(k for k in ("scales", "sizes", "factor", "out_size", "hidden", "c_out")
                              if k in spec.parameters)


def _refuse(spec: ModuleSpec, what: str) -> None:
    names = _shape_parameters(spec)
    raise ModelError(f"{what} > the limit {MAX_SCALARS:,} (2^24); choose smaller sizes ({', '.join(names)})",
                     parameters=names)
