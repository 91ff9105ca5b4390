"""The one front door every build goes through: a description of the ports
and gates (``declare``), an estimate that sizes the builder's storage and is
held against the gate budget before any gate exists, a guard on the budget
while building, then ``Builder.build``: prune, renumber, levels."""

from __future__ import annotations

from collections.abc import Callable

from tc0.compiler.builder import Builder
from tc0.errors import GateBudgetError
from tc0.ir.circuit import Circuit

#: ``declare(builder, checkpoint)`` declares the ports and gates; it calls
#: ``checkpoint()`` now and then (after every float operation, say) so the
#: budget is guarded and progress reported while it builds
Declare = Callable[[Builder, Callable[[], None]], None]


def compile_circuit(
    declare: Declare,
    *,
    scope: str,
    expected_gates: int = 0,
    expected_edges: int = 0,
    max_gates: int | None = None,
    what: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    optimize: str = "size",
) -> Circuit:
    """The circuit ``declare`` describes, its gates under the scope ``scope``.

    ``expected_gates``/``expected_edges`` (an upper-bound estimate, optional)
    size the storage up front. With ``max_gates``, an estimate above it is
    refused before building and a build passing it is stopped at the next
    checkpoint (``GateBudgetError``; ``what`` names the circuit in the message,
    default ``scope``). ``progress`` is called at every checkpoint with the
    nodes built so far and ``expected_gates``. ``optimize``: see ``Builder``.
    """
    what = what or scope
    if max_gates is not None:
        if max_gates < 1:
            raise GateBudgetError(f"max_gates must be >= 1, got {max_gates}", parameters=("max_gates",))
        if expected_gates > max_gates:
            raise GateBudgetError(
                f"{what} is estimated at {expected_gates:,} gates (an upper bound) > max_gates {max_gates:,}; "
                "choose smaller sizes or raise max_gates", parameters=("max_gates",))
    b = Builder(expected_gates=expected_gates, expected_edges=expected_edges, optimize=optimize)

    def checkpoint() -> None:
        if max_gates is not None and b.n_nodes > max_gates:
            raise GateBudgetError(f"{what} passed max_gates {max_gates:,} while building; "
                                  "choose smaller sizes or raise max_gates", parameters=("max_gates",))
        if progress is not None:
            progress(b.n_nodes, expected_gates)

    with b.scope(scope):
        declare(b, checkpoint)
    return b.build()
