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
from tc0.models.config import ModelConfig, shape_text
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
    shape = spec.shape(cfg)
    for name, top in (("factor", MAX_FACTOR), ("scales", MAX_SCALES)):
        if shape.get(name) is not None and shape[name] > top:
            raise ModelError(f"{name} must be in 1..{top}, got {shape[name]}", parameters=(name,))
    what = f"{spec.name} at {shape_text(shape)}"
    declared = sum(math.prod(shape) for shape in (*spec.inputs(cfg).values(), *spec.weights(cfg).values()))
    if declared > MAX_SCALARS:
        _refuse(shape, f"{what}: its inputs and weights hold {declared:,} scalars")
    counted = spec if spec.fast_of is None or cfg.poly is not None else get_module(spec.fast_of)
    cost = count(counted, cfg)
    if cost.largest > MAX_SCALARS:
        _refuse(shape, f"{what} creates a tensor of {cost.largest:,} scalars ({cost.largest_at})")
    return cost


def _refuse(shape: dict, what: str) -> None:
    names = tuple(shape)
    raise ModelError(f"{what} > the limit {MAX_SCALARS:,} (2^24); choose smaller sizes ({', '.join(names)})",
                     parameters=names)
