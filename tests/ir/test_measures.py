"""Direct tests of ``tc0.ir.measures``: gate counts, fan-in histogram,
critical path, per-scope breakdown, ``stats`` and ``summary_line``.

Oracles: a small circuit counted by hand, Python counts over the node
arrays, and networkx's longest path in the DAG of (the ancestors of) the
outputs for the depth.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import re
from collections import Counter

import networkx as nx
import numpy as np
import pytest
from handmade import circuit_from_gates

import tc0
from tc0 import Kind
from tc0.ir.measures import (
    critical_path,
    critical_stages,
    fanin_histogram,
    gate_counts,
    scope_breakdown,
    stats,
    summary_line,
)

# ---------------------------------------------------------------- a circuit counted by hand


def hand_circuit():
    """a (3 bits), b (2 bits); g1 = AND(a0, a1) in s1; g2 = OR(g1, a2, b0) and
    g3 = NOT g2 in s2; g4 = MAJ(g3, b1, a0) in s1/inner. Outputs y = (g4, g1),
    z = (a2,). Levels: g1 1, g2 2, g3 3, g4 4."""
    b = tc0.Builder()
    a, bb = b.input("a", 3), b.input("b", 2)
    with b.scope("s1"):
        g1 = b.and_(a[0], a[1])
    with b.scope("s2"):
        g2 = b.or_(g1, a[2], bb[0])
        g3 = b.not_(g2)
    with b.scope("s1"), b.scope("inner"):
        g4 = b.gate(Kind.MAJ, np.array([g3, bb[1], a[0]]))
    b.output("y", np.array([g4, g1]))
    b.output("z", a[2:3])
    return b.build()


def test_hand_circuit_counts():
    c = hand_circuit()
    assert gate_counts(c) == {"AND": 1, "OR": 1, "NOT": 1, "MAJ": 1}
    assert fanin_histogram(c) == {1: 1, 2: 1, 3: 2}
    assert (c.size, c.edges, c.depth) == (4, 2 + 3 + 1 + 3, 4)


def test_hand_circuit_stats():
    s = stats(hand_circuit())
    assert s == {
        "size": 4,
        "depth": 4,
        "edges": 9,
        "inputs": 5,
        "outputs": 3,
        "gates": {"AND": 1, "OR": 1, "NOT": 1, "MAJ": 1},
        "input_ports": {"a": 3, "b": 2},
        "output_ports": {"y": 2, "z": 1},
        "fanin_histogram": {"1": 1, "2": 1, "3": 2},
        "max_fanin": 3,
    }


def test_hand_circuit_critical_path():
    c = hand_circuit()
    path = critical_path(c)
    assert len(path) == 5
    kinds = [Kind(int(c.kind[v])) for v in path]
    assert kinds == [Kind.INPUT, Kind.AND, Kind.OR, Kind.NOT, Kind.MAJ]
    assert path[0] in (2, 3)  # a0 or a1
    assert path[-1] == int(c.outputs["y"][0])


def test_hand_circuit_critical_stages():
    """The path g1 (s1), g2 g3 (s2), g4 (s1/inner): three stages by hand."""
    assert critical_stages(hand_circuit()) == [
        {"scope": "s1", "levels": 1, "ends_at": 1},
        {"scope": "s2", "levels": 2, "ends_at": 3},
        {"scope": "s1/inner", "levels": 1, "ends_at": 4},
    ]


@pytest.mark.parametrize("gadget", ["float:add", "float:mul", "int:add"])
def test_critical_stages_of_gadgets_add_up_to_networkx_depth(gadget):
    from tc0.compiler.catalog import compile_gadget

    c = compile_gadget(gadget, p=6, e=5) if gadget.startswith("float") else compile_gadget(gadget, bits=8)
    graph = nx.DiGraph()
    for v in range(c.first_gate, c.n_nodes):
        graph.add_edges_from((int(u), v) for u in c.fanin_of(v))
    depth = nx.dag_longest_path_length(graph)
    stages = critical_stages(c)
    assert sum(row["levels"] for row in stages) == depth == stages[-1]["ends_at"]
    assert all(a["scope"] != b["scope"] for a, b in itertools.pairwise(stages))  # runs are maximal
    assert all(row["scope"].startswith(gadget) for row in stages)


def test_hand_circuit_scope_breakdown():
    c = hand_circuit()
    assert scope_breakdown(c) == [
        {"scope": "s2", "size": 2, "depth_on_critical_path": 2},
        {"scope": "s1", "size": 1, "depth_on_critical_path": 1},
        {"scope": "s1/inner", "size": 1, "depth_on_critical_path": 1},
    ]
    top = scope_breakdown(c, group=lambda path: path.split("/")[0])
    assert top == [
        {"scope": "s1", "size": 2, "depth_on_critical_path": 2},
        {"scope": "s2", "size": 2, "depth_on_critical_path": 2},
    ]
    assert scope_breakdown(c, group=lambda path: "all") == [{"scope": "all", "size": 4, "depth_on_critical_path": 4}]


def test_top_scope_is_named_top():
    b = tc0.Builder()
    x = b.input("x", 3)
    g = b.and_(x[0], x[1])
    with b.scope("inner"):
        h = b.or_(g, x[2])
        k = b.or_(x[0], x[2])
    b.output("y", np.array([h, k]))
    rows = scope_breakdown(b.build())
    assert rows == [
        {"scope": "inner", "size": 2, "depth_on_critical_path": 1},
        {"scope": "(top)", "size": 1, "depth_on_critical_path": 1},
    ]


def test_summary_line_numbers():
    line = summary_line(hand_circuit(), "hand")
    assert "\n" not in line
    assert line.startswith("hand")
    assert re.search(r"i/o\s*=\s*5/\s*3\b", line), line
    assert re.search(r"gates\s*=\s*4\s*\(AND 1, OR 1, NOT 1, MAJ 1\)", line), line
    assert re.search(r"edges\s*=\s*9\b", line), line
    assert re.search(r"lev\s*=\s*4$", line), line
    assert summary_line(hand_circuit()).startswith("circuit")


# ---------------------------------------------------------------- random circuits, networkx oracle


def random_circuit(seed: int, n_inputs: int = 6, n_gates: int = 60):
    """Random AND/OR/NOT/MAJ gates over earlier nodes (repeats and constants
    among the fan-ins), built in a handful of nested scopes."""
    rng = random.Random(seed)
    b = tc0.Builder()
    pool = [0, 1] + [int(v) for v in b.input("x", n_inputs)] + [int(v) for v in b.input("w", 2)]
    scopes = ["alpha", "beta", "alpha/deep", "gamma"]
    for _ in range(n_gates):
        names = rng.choice(scopes + [""]).split("/")
        f = rng.randint(1, 7)
        fan = np.array([rng.choice(pool[-12:] if rng.random() < 0.6 else pool) for _ in range(f)])
        kind = rng.choice([Kind.AND, Kind.OR, Kind.NOT, Kind.MAJ])
        with contextlib.ExitStack() as stack:
            for n in names:
                if n:
                    stack.enter_context(b.scope(n))
            g = int(b.not_(fan[0]) if kind == Kind.NOT else b.gate(kind, fan))
        if g > 1:  # a gate folded to a constant is not drawn again (the pool would collapse)
            pool.append(g)
    outs = rng.sample(pool[2:], k=5) + [pool[-1]]
    b.output("y", np.array(outs))
    b.output("src", np.array([pool[2]]))  # an output that is a source
    return b.build()


def output_depth_networkx(circuit) -> int:
    """Longest source-to-output path (edges = gates on it) with networkx."""
    g = nx.DiGraph()
    g.add_nodes_from(range(circuit.n_nodes))
    for v in range(circuit.first_gate, circuit.n_nodes):
        g.add_edges_from((int(u), v) for u in circuit.fanin_of(v))
    outs = set(circuit.output_ids().tolist())
    keep = set(outs)
    for o in outs:
        keep |= nx.ancestors(g, o)
    return nx.dag_longest_path_length(g.subgraph(keep))


def assert_real_critical_path(circuit):
    path = critical_path(circuit)
    assert len(path) == circuit.depth + 1
    assert path[0] < circuit.first_gate, "must start at a source"
    assert path[-1] in set(circuit.output_ids().tolist()), "must end at an output"
    for u, v in itertools.pairwise(path):
        assert v >= circuit.first_gate
        assert u in circuit.fanin_of(v).tolist(), f"{u} is not a fan-in of {v}"
    return path


@pytest.mark.parametrize("seed", range(12))
def test_random_circuit_measures(seed):
    c = random_circuit(seed)
    assert c.depth >= 2
    # depth against networkx
    assert c.depth == output_depth_networkx(c)
    path = assert_real_critical_path(c)
    # counts against Python loops over the node arrays
    kinds = Counter(Kind(int(k)).name for k in c.kind[c.first_gate :])
    assert gate_counts(c) == {name: kinds.get(name, 0) for name in ("AND", "OR", "NOT", "MAJ")}
    fanins = Counter(len(c.fanin_of(v)) for v in range(c.first_gate, c.n_nodes))
    assert fanin_histogram(c) == dict(fanins)
    s = stats(c)
    assert s["size"] == sum(kinds.values()) == c.n_nodes - c.first_gate
    assert s["edges"] == sum(f * n for f, n in fanins.items())
    assert s["max_fanin"] == max(fanins, default=0)
    assert s["inputs"] == 8 and s["outputs"] == 7
    # scope breakdown against a count per scope path
    rows = scope_breakdown(c)
    by_scope = Counter(c.scopes[c.scope[v]] or "(top)" for v in range(c.first_gate, c.n_nodes))
    assert {r["scope"]: r["size"] for r in rows} == dict(by_scope)
    assert sum(r["size"] for r in rows) == c.size
    on_path = Counter(c.scopes[c.scope[v]] or "(top)" for v in path[1:])
    assert {r["scope"]: r["depth_on_critical_path"] for r in rows} == {s: on_path.get(s, 0) for s in by_scope}
    assert sum(r["depth_on_critical_path"] for r in rows) == c.depth
    sizes = [r["size"] for r in rows]
    assert sizes == sorted(sizes, reverse=True)


@pytest.mark.parametrize("seed", range(4))
def test_scope_breakdown_grouped(seed):
    c = random_circuit(50 + seed)

    def first(path):
        return path.split("/")[0] or "(top)"

    rows = scope_breakdown(c, group=first)
    want = Counter(first(c.scopes[c.scope[v]]) for v in range(c.first_gate, c.n_nodes))
    assert {r["scope"]: r["size"] for r in rows} == dict(want)
    assert sum(r["size"] for r in rows) == c.size
    assert sum(r["depth_on_critical_path"] for r in rows) == c.depth
    assert [r["scope"] for r in rows] == sorted(want, key=lambda s: (-want[s], s))


# ---------------------------------------------------------------- hand-made corner cases


def test_critical_path_ignores_deeper_dead_gates():
    """A chain deeper than every output that feeds no output: the path and
    depth are the outputs' (networkx on the whole DAG would say 3)."""
    gates = [(Kind.AND, [2, 3]), (Kind.NOT, [4]), (Kind.NOT, [5]), (Kind.OR, [2, 3])]
    c = circuit_from_gates({"x": 2}, gates, {"y": [7]})
    assert c.depth == 1 == output_depth_networkx(c)
    assert assert_real_critical_path(c)[-1] == 7
    assert gate_counts(c) == {"AND": 1, "OR": 1, "NOT": 2, "MAJ": 0}


def test_critical_path_through_repeated_and_constant_fanins():
    gates = [(Kind.MAJ, [2, 2, 1, 0, 3]), (Kind.AND, [4, 4, 1]), (Kind.OR, [0, 5])]
    c = circuit_from_gates({"x": 2}, gates, {"y": [6]})
    path = assert_real_critical_path(c)
    assert path[1:] == [4, 5, 6] and c.depth == 3
    assert fanin_histogram(c) == {5: 1, 3: 1, 2: 1}


def test_output_of_only_sources():
    c = circuit_from_gates({"x": 2}, [], {"y": [3, 0, 1]})
    assert c.depth == 0
    assert critical_path(c) in ([3], [0], [1])
    assert gate_counts(c) == {"AND": 0, "OR": 0, "NOT": 0, "MAJ": 0}
    assert fanin_histogram(c) == {}
    assert scope_breakdown(c) == []
    s = stats(c)
    assert (s["size"], s["depth"], s["edges"], s["max_fanin"], s["fanin_histogram"]) == (0, 0, 0, 0, {})


def test_no_outputs_has_no_critical_path():
    c = circuit_from_gates({"x": 2}, [(Kind.AND, [2, 3])], {})
    assert critical_path(c) == []
    assert scope_breakdown(c) == [{"scope": "(top)", "size": 1, "depth_on_critical_path": 0}]
