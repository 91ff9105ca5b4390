"""GraphML and DOT export.

Every exported file is read back by something other than the writer
(networkx's GraphML reader, a test-only DOT parser) and must compute the
simulator's function on random inputs; the graph views must also give
networkx's own longest path, node and edge counts equal to ``circuit.depth``,
``size`` and ``edges``. The circuits under test are in
tests/export_circuits.py, run by the ``circuit`` fixture of
tests/io/conftest.py."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pytest
from export_circuits import (
    assert_same_outputs,
    maj_circuit,
    ports_from_nets,
)
from int_simulation import random_inputs

from tc0 import Builder, Circuit
from tc0.errors import ExportError
from tc0.io.graph import MAX_GRAPH_NODES, to_networkx, write_dot, write_graphml


def eval_graph(graph: nx.DiGraph, circuit: Circuit, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate a graph in the ``to_networkx`` schema on ``inputs``; returns the output ports."""
    batch = len(next(iter(inputs.values())))
    value: dict = {}
    for v in nx.topological_sort(graph):
        data, preds = graph.nodes[v], graph.pred[v]
        kind = data["type"]
        ins = [value[u] for u in preds]
        if kind in ("CONST0", "CONST1"):
            value[v] = np.full(batch, kind == "CONST1")
        elif kind == "INPUT":
            value[v] = inputs[data["port"]][:, data["bit"]].astype(bool)
        elif kind == "NOT":
            value[v] = ~ins[0]
        elif kind in ("AND", "OR"):
            value[v] = np.logical_and.reduce(ins) if kind == "AND" else np.logical_or.reduce(ins)
        else:
            weights = [preds[u]["multiplicity"] for u in preds]
            value[v] = 2 * sum(w * x.astype(int) for w, x in zip(weights, ins)) > sum(weights)
    nets = {net: value[v] for v, data in graph.nodes(data=True) for net in data.get("outputs", "").split()}
    widths = dict(entry.rsplit(":", 1) for entry in graph.graph["output_ports"].split())
    assert {name: int(w) for name, w in widths.items()} == {n: len(ids) for n, ids in circuit.outputs.items()}
    return ports_from_nets(nets, circuit)


def assert_graph_measures(graph: nx.DiGraph, circuit: Circuit) -> None:
    sources = {"CONST0", "CONST1", "INPUT"}
    assert graph.number_of_nodes() == circuit.n_nodes
    assert sum(data["type"] not in sources for _, data in graph.nodes(data=True)) == circuit.size
    assert sum(m for _, _, m in graph.edges(data="multiplicity")) == circuit.edges
    assert nx.dag_longest_path_length(graph) == circuit.depth


def test_graphml_round_trip(circuit, tmp_path):
    path = tmp_path / "c.graphml"
    write_graphml(circuit, path)
    graph = nx.read_graphml(path, node_type=int)
    assert_graph_measures(graph, circuit)
    ports = {(data["port"], data["bit"]) for _, data in graph.nodes(data=True) if data["type"] == "INPUT"}
    assert ports == {(p, j) for p, w in circuit.inputs.items() for j in range(w)}
    inputs = random_inputs(circuit, 300, 7)
    assert_same_outputs(eval_graph(graph, circuit, inputs), circuit, inputs)


def test_graph_keeps_majority_weights_and_scopes():
    graph = to_networkx(maj_circuit())
    maj = [v for v, t in graph.nodes(data="type") if t == "MAJ"]
    assert any(m > 1 for v in maj for _, _, m in graph.in_edges(v, data="multiplicity"))
    assert {graph.nodes[v]["scope"] for v in maj} == {"count"}
    assert graph.graph["input_ports"] == "x:8 y:6" and graph.graph["output_ports"] == "s:4 t:6"


_DOT_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_DOT_NODE = re.compile(r"^\s*(\d+) \[(.*)\];$")
_DOT_EDGE = re.compile(r"^\s*(\d+) -> (\d+) \[(.*)\];$")
_DOT_GRAPH = re.compile(r"^\s*graph \[(.*)\];$")
_INT_ATTRS = ("bit", "multiplicity")
_VIEW_ATTRS = ("label", "shape", "peripheries")


def parse_dot(text: str) -> nx.DiGraph:
    """Test-only reader of the DOT that write_dot produces, back into the networkx schema."""

    def attrs(s: str) -> dict:
        out = {k: re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], v) for k, v in _DOT_ATTR.findall(s)}
        out = {k: int(v) if k in _INT_ATTRS else v for k, v in out.items() if k not in _VIEW_ATTRS}
        return out

    graph = nx.DiGraph()
    lines = text.splitlines()
    assert lines[0] == "digraph tc0 {" and lines[-1] == "}"
    for line in lines[1:-1]:
        if m := _DOT_EDGE.match(line):
            graph.add_edge(int(m[1]), int(m[2]), **attrs(m[3]))
        elif m := _DOT_NODE.match(line):
            graph.add_node(int(m[1]), **attrs(m[2]))
        elif m := _DOT_GRAPH.match(line):
            graph.graph.update(attrs(m[1]))
        else:
            assert line.strip() == "rankdir=BT;", line
    return graph


def test_dot_round_trip(circuit, tmp_path):
    path = tmp_path / "c.dot"
    write_dot(circuit, path)
    graph = parse_dot(path.read_text())
    expected = to_networkx(circuit)
    assert dict(graph.nodes(data=True)) == dict(expected.nodes(data=True))
    assert sorted(graph.edges(data="multiplicity")) == sorted(expected.edges(data="multiplicity"))
    assert graph.graph == expected.graph
    assert_graph_measures(graph, circuit)
    inputs = random_inputs(circuit, 300, 7)
    assert_same_outputs(eval_graph(graph, circuit, inputs), circuit, inputs)


def test_dot_escapes_scopes(tmp_path):
    """Scopes are free text (port names are not: tests/io/test_hostile_names.py):
    a quote, backslash or newline in one stays inside its quoted attribute."""
    b = Builder()
    x = b.input("x", 2)
    with b.scope('s"x\\\n} digraph'):
        b.output("y", b.not_(x))
    circuit = b.build()
    write_dot(circuit, tmp_path / "c.dot")
    graph = parse_dot((tmp_path / "c.dot").read_text())
    assert {graph.nodes[v]["scope"] for v in (4, 5)} == {'s"x\\\n} digraph'}


def test_graph_exports_refuse_large_circuits(tmp_path):
    b = Builder()
    b.output("y", b.input("x", MAX_GRAPH_NODES)[:1])  # 2 constants + inputs > limit
    big = b.build()
    assert big.n_nodes > MAX_GRAPH_NODES
    for export in (write_graphml, write_dot):
        with pytest.raises(ExportError, match=f"limit of {MAX_GRAPH_NODES} nodes"):
            export(big, tmp_path / "big.out")
    assert not list(tmp_path.iterdir())
