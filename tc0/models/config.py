"""``ModelConfig``: the parameters every module takes (the image side n, the
channels c, the options of the fast AAttC variants). A model family
subclasses it with its own parameters (``tc0.models.flowar.config``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tc0.errors import ModelError
from tc0.models.layers.aattc_plan import PolyPlan


def positive_int(name: str, value) -> None:
    """A ModelError naming ``name`` unless ``value`` is a positive integer (bools are not)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ModelError(f"{name} must be a positive integer, got {value!r}", parameters=(name,))


def shape_text(shape: dict) -> str:
    """``ModelConfig.shape()`` (or a result holding its keys) as ``n=4 c=4 K=3 sizes=1,2,4``."""
    parts = []
    for key in ("n", "c", "scales", "sizes", "factor", "out_size", "hidden", "c_out"):
        value = shape.get(key)
        if value is None:
            continue
        name = "K" if key == "scales" else key
        parts.append(f"{name}={','.join(map(str, value)) if isinstance(value, (list, tuple)) else value}")
    return " ".join(parts)


@dataclass(frozen=True)
class ModelConfig:
    """Shape options shared by every module, and the fast modules' AAttC options."""

    n: int
    c: int
    delta: float = 0.01  # AAttC target error, relative to max |V_val|
    r_bound: float = 1.0  # R: bound on the input entries (random inputs are drawn in [-R, R])
    degree: int | None = None  # AAttC polynomial degree (default: the smallest meeting delta)
    strict: bool = False  # refuse inputs with entries beyond R
    poly: PolyPlan | None = None  # derived by ``tc0.models.prepare.prepare``

    #: family parameters a module may be given a value other than the default
    #: for only if it lists them in ``ModuleSpec.parameters``
    exclusive_parameters: ClassVar[tuple[str, ...]] = ()

    def shape(self) -> dict:
        """n, c and the family's shape parameters (K as ``scales``), for results and JSON
        (``ModuleSpec.shape`` keeps those its module takes)."""
        return {"n": self.n, "c": self.c}

    def __post_init__(self):
        for name in ("n", "c"):
            positive_int(name, getattr(self, name))
        for name in ("delta", "r_bound"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
                raise ModelError(f"{name} must be a positive number, got {value!r}", parameters=(name,))
