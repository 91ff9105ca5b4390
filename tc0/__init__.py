"""tc0: threshold-circuit compiler and simulator for FlowAR's TC0 claims."""

from tc0.builder import Builder
from tc0.circuit import Circuit, Kind
from tc0.errors import Tc0Error
from tc0.simulator import simulate, simulate_packed
from tc0.storage import load, save

__all__ = ["Builder", "Circuit", "Kind", "Tc0Error", "load", "save", "simulate", "simulate_packed"]

