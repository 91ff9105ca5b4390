"""The backends a model runs on, one module each, registered by name:
``float64`` (the math), ``pbit`` (the exact p-bit emulation), ``circuit``
(emits gates), ``cost`` (counts operations) and ``stream`` (each operation
its own small circuits, DESIGN section 9). A new backend subclasses
``tc0.models.backend.Backend`` and is added to ``BACKENDS``."""

from __future__ import annotations

from tc0.errors import ModelError
from tc0.models.backend import Backend
from tc0.models.backends.circuit import CircuitBackend
from tc0.models.backends.cost import CostBackend
from tc0.models.backends.float64 import Float64Backend
from tc0.models.backends.pbit import PbitBackend
from tc0.models.backends.stream import StreamBackend
from tc0.numerics import FloatFormat

BACKENDS: dict[str, type[Backend]] = {
    cls.name: cls for cls in (Float64Backend, PbitBackend, CircuitBackend, CostBackend, StreamBackend)
}
#: the backends that compute values, in registry order (``tc0 run --backend``)
VALUE_BACKENDS = tuple(name for name, cls in BACKENDS.items() if cls.computes_values)


def value_backend(name: str, fmt: FloatFormat | None = None) -> Backend:
    """A backend that computes values, by name; ``fmt`` is the float format of
    those that use one (required there, refused elsewhere)."""
    if name not in VALUE_BACKENDS:
        raise ModelError(f"unknown backend {name!r}; backends that compute values: {', '.join(VALUE_BACKENDS)}",
                         parameters=("backend",))
    cls = BACKENDS[name]
    if not cls.uses_format:
        if fmt is not None:
            users = ", ".join(n for n in VALUE_BACKENDS if BACKENDS[n].uses_format)
            raise ModelError(f"p/e apply to backend {users}", parameters=("p", "e", "backend"))
        return cls()
    if fmt is None:
        raise ModelError(f"backend {name} needs a float format (p, e)", parameters=("backend",))
    return cls(fmt)


__all__ = ["BACKENDS", "VALUE_BACKENDS", "Backend", "CircuitBackend", "CostBackend", "Float64Backend",
           "PbitBackend", "StreamBackend", "value_backend"]
