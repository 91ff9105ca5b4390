"""The circuit: ``Circuit`` and its node schema (``schema``), the compiled
sweeps over it (``sweeps``: levels, liveness, renumbering), its measures
(``measures``) and the native ``.tc0`` file (``native``). Imports nothing
above it."""

from tc0.ir.circuit import Circuit
from tc0.ir.schema import Kind

__all__ = ["Circuit", "Kind"]
