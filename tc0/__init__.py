"""tc0: threshold-circuit compiler and simulator for FlowAR's TC0 claims."""

from tc0.compiler.builder import Builder
from tc0.errors import Tc0Error
from tc0.ir.circuit import Circuit
from tc0.ir.schema import Kind
from tc0.simulator import simulate, simulate_packed

load = Circuit.load
save = Circuit.save

__all__ = ["Builder", "Circuit", "Kind", "Tc0Error", "load", "save", "simulate", "simulate_packed"]
