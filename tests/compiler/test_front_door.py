"""Direct tests of ``tc0.compiler.front_door.compile_circuit``: the circuit
it returns is the one ``declare`` describes, under the given scope; the gate
budget is held against the estimate before building and at every checkpoint
while building; progress is reported at checkpoints.

Oracles: Python integer addition (the declared adder simulated exhaustively),
and the test's own records of when ``declare`` and the callbacks ran."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tc0
from tc0.compiler.front_door import compile_circuit
from tc0.compiler.gadgets import integer
from tc0.errors import GateBudgetError, Tc0Error

W = 4


def declare_adder(b, checkpoint):
    x, y = b.input("a", W), b.input("b", W)
    s = integer.add(b, x, y)
    checkpoint()
    b.output("y", s)
    b.output("maj", b.gate(tc0.Kind.MAJ, np.array([x[0], x[1], y[0]])))  # a gate built directly in declare
    checkpoint()


def bits(values, width):
    return np.array([[(v >> j) & 1 for j in range(width)] for v in values], dtype=np.uint8)


def ints(rows):
    return [sum(int(bit) << j for j, bit in enumerate(row)) for row in rows]


def test_returns_the_declared_circuit():
    circuit = compile_circuit(declare_adder, scope="adder")
    assert circuit.inputs == {"a": W, "b": W}
    assert {k: len(v) for k, v in circuit.outputs.items()} == {"y": W + 1, "maj": 1}
    pairs = list(itertools.product(range(1 << W), repeat=2))
    out = tc0.simulate(circuit, {"a": bits([a for a, _ in pairs], W), "b": bits([b for _, b in pairs], W)})
    assert ints(out["y"]) == [a + b for a, b in pairs]
    assert ints(out["maj"]) == [int((a & 1) + ((a >> 1) & 1) + (b & 1) >= 2) for a, b in pairs]


def test_gates_carry_the_scope():
    circuit = compile_circuit(declare_adder, scope="adder")
    gate_scopes = {circuit.scopes[s] for s in circuit.scope[circuit.first_gate :]}
    assert gate_scopes, "the adder has gates"
    assert all(s == "adder" or s.startswith("adder/") for s in gate_scopes), gate_scopes
    assert "adder" in gate_scopes  # the MAJ built directly in declare
    assert any(s.startswith("adder/") for s in gate_scopes)  # the gadget's own scope nests inside


def test_estimate_above_budget_is_refused_before_declare():
    calls = []

    def declare(b, checkpoint):
        calls.append("declared")
        declare_adder(b, checkpoint)

    with pytest.raises(GateBudgetError) as info:
        compile_circuit(declare, scope="adder", expected_gates=1001, max_gates=1000)
    assert calls == []
    assert "max_gates" in info.value.parameters
    message = str(info.value)
    assert "adder" in message and "1,001" in message and "1,000" in message
    assert isinstance(info.value, Tc0Error) and isinstance(info.value, ValueError)


def test_estimate_equal_to_budget_builds():
    circuit = compile_circuit(declare_adder, scope="adder", expected_gates=1000, max_gates=1000)
    assert circuit.size > 0


def test_what_names_the_circuit():
    with pytest.raises(GateBudgetError, match="my adder"):
        compile_circuit(declare_adder, scope="adder", expected_gates=10, max_gates=5, what="my adder")


@pytest.mark.parametrize("max_gates", [0, -1, -1000])
def test_max_gates_below_one_is_refused(max_gates):
    calls = []

    def declare(b, checkpoint):
        calls.append("declared")

    with pytest.raises(GateBudgetError) as info:
        compile_circuit(declare, scope="s", max_gates=max_gates)
    assert calls == []
    assert "max_gates" in info.value.parameters
    assert str(max_gates) in str(info.value)


def chain_declare(record, steps=12):
    """Builds a chain x <- NOT(x AND a), 10 gates per step, with a checkpoint
    after each step; ``record`` gets the builder's node count at every
    checkpoint."""

    def declare(b, checkpoint):
        x, a = b.input("x", 2)
        for _ in range(steps):
            for _ in range(5):
                x = b.not_(b.and_(x, a))
            record.append(b.n_nodes)
            checkpoint()
        b.output("y", np.array([x]))

    return declare


def test_a_build_passing_the_budget_stops_at_the_next_checkpoint():
    record = []
    max_gates = 45
    with pytest.raises(GateBudgetError) as info:
        compile_circuit(chain_declare(record), scope="chain", max_gates=max_gates)
    assert "max_gates" in info.value.parameters
    assert "chain" in str(info.value)
    # it ran up to the first checkpoint past the budget, and no further
    assert record[-1] > max_gates
    assert all(n <= max_gates for n in record[:-1])
    assert len(record) < 12


def test_within_budget_every_checkpoint_passes():
    record = []
    circuit = compile_circuit(chain_declare(record), scope="chain", max_gates=10_000)
    assert len(record) == 12 and circuit.size == 120 and circuit.depth == 120


def test_no_budget_no_limit():
    record = []
    circuit = compile_circuit(chain_declare(record, steps=3), scope="chain")
    assert circuit.size == 30


def test_progress_reports_nodes_and_the_estimate_at_checkpoints():
    record, seen = [], []
    compile_circuit(chain_declare(record, steps=5), scope="chain", expected_gates=77,
                    progress=lambda nodes, total: seen.append((nodes, total)))
    assert seen == [(n, 77) for n in record]
    assert [n for n, _ in seen] == sorted(n for n, _ in seen) and seen[0][0] > 3


def test_progress_not_called_past_the_budget():
    record, seen = [], []
    with pytest.raises(GateBudgetError):
        compile_circuit(chain_declare(record), scope="chain", max_gates=45, expected_gates=40,
                        progress=lambda nodes, total: seen.append(nodes))
    assert seen == record[:-1]


def test_progress_defaults_to_no_estimate():
    seen = []
    compile_circuit(declare_adder, scope="adder", progress=lambda nodes, total: seen.append(total))
    assert seen == [0, 0]
