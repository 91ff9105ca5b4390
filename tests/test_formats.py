"""BLIF, GraphML and DOT export.

Every exported file is read back by something other than the writer (a
test-only BLIF cover evaluator, Yosys + ABC when installed, networkx's GraphML
reader, a test-only DOT parser) and must compute the simulator's function on
random inputs; the graph views must also give networkx's own longest path,
node and edge counts equal to ``circuit.depth``, ``size`` and ``edges``.
"""

from __future__ import annotations

import graphlib
import random
import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from handmade import circuit_from_gates

from tc0 import Builder, Circuit, Kind, simulate
from tc0.errors import ExportError
from tc0.io.blif import MAX_COVER_INPUTS, threshold_cover, write_blif
from tc0.io.bristol import read_bristol
from tc0.io.graph import MAX_GRAPH_NODES, to_networkx, write_dot, write_graphml

BRISTOL = Path(__file__).resolve().parents[2] / "shared/circuits/bristol"


# ---------------------------------------------------------------- circuits under test


def maj_circuit() -> Circuit:
    """A gadget-like builder circuit: narrow and wide MAJ with weights and constants."""
    b = Builder()
    x, y = b.input("x", 8), b.input("y", 6)
    with b.scope("count"):
        narrow = b.gate(Kind.MAJ, [x[0], x[1], x[1], y[0], 1, 0, 1])
        wide = b.threshold(np.concatenate([x, y]), 6)  # 14 distinct fan-ins: lowered in BLIF
        weighted = b.threshold(np.concatenate([x, x[:3], x[:1]]), 5)  # weights 3,2,2,1,...
    with b.scope("mix"):
        mixed = b.xor(b.or_(narrow, wide), b.and_(weighted, y[5]))
    b.output("s", np.stack([narrow, wide, weighted, mixed]))
    b.output("t", np.concatenate([b.not_(x[:2]), [1, 0, int(y[2]), int(narrow)]]))
    circuit = b.build()
    assert (circuit.kind == Kind.MAJ).sum() == 3
    return circuit


def raw_circuit() -> Circuit:
    """Arrays made by hand (no builder folding): MAJ with repeated and constant
    fan-ins, AND/OR with constant and duplicate fan-ins, fan-in 1 gates."""
    gates = [
        (Kind.MAJ, [2, 2, 3, 0, 1]),  # 6
        (Kind.MAJ, [4, 4, 5, 5, 2, 1, 0, 0]),  # 7
        (Kind.AND, [2, 1, 3, 3]),  # 8
        (Kind.OR, [4, 0, 4]),  # 9
        (Kind.NOT, [7]),  # 10
        (Kind.MAJ, [6, 7, 8, 9, 10, 10, 10]),  # 11
        (Kind.AND, [5]),  # 12
        (Kind.MAJ, [1, 1, 0]),  # 13
    ]
    return circuit_from_gates({"a": 2, "b": 2}, gates, {"y": list(range(6, 14)), "z": [0, 1, 3]})


@pytest.fixture(scope="module")
def adder64() -> Circuit:
    path = BRISTOL / "adder64.txt"
    if not path.exists():
        pytest.skip(f"Bristol test circuits not found: {path} is absent (needs ../shared/circuits/bristol)")
    return read_bristol(path)


@pytest.fixture(params=["maj", "raw", "adder64"])
def circuit(request) -> Circuit:
    if request.param == "adder64":
        return request.getfixturevalue("adder64")
    return maj_circuit() if request.param == "maj" else raw_circuit()


def random_inputs(circuit: Circuit, batch: int = 300, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.integers(0, 2, size=(batch, w), dtype=np.uint8) for name, w in circuit.inputs.items()}


def bits_by_net(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{port}[{j}]": bits[:, j].astype(bool) for port, bits in inputs.items() for j in range(bits.shape[1])}


def ports_from_nets(values: dict[str, np.ndarray], circuit: Circuit) -> dict[str, np.ndarray]:
    return {
        name: np.stack([values[f"{name}[{j}]"] for j in range(len(ids))], axis=1).astype(np.uint8)
        for name, ids in circuit.outputs.items()
    }


def assert_same_outputs(got: dict[str, np.ndarray], circuit: Circuit, inputs) -> None:
    want = simulate(circuit, inputs)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=f"output {name}")


# ---------------------------------------------------------------- BLIF


def parse_blif(text: str):
    """Test-only BLIF reader: (inputs, outputs, {net: (fan-in nets, cube lines)})."""
    text = re.sub(r"#.*", "", text).replace("\\\n", " ")
    inputs, outputs, covers, current = [], [], {}, None
    for line in text.splitlines():
        tok = line.split()
        if not tok:
            continue
        if tok[0] == ".inputs":
            inputs += tok[1:]
        elif tok[0] == ".outputs":
            outputs += tok[1:]
        elif tok[0] == ".names":
            assert tok[-1] not in covers, f"net {tok[-1]} driven twice"
            current = covers[tok[-1]] = (tok[1:-1], [])
        elif tok[0] in (".model", ".end"):
            current = None
        else:
            assert not tok[0].startswith("."), f"unexpected BLIF directive {tok[0]}"
            current[1].append(tok if current[0] else ["", tok[0]])
    return inputs, outputs, covers


def eval_blif(text: str, circuit: Circuit, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate the ``.names`` covers of a BLIF text on ``inputs``; returns the output ports."""
    in_nets, out_nets, covers = parse_blif(text)
    batch = len(next(iter(inputs.values())))
    values = bits_by_net(inputs)
    assert sorted(in_nets) == sorted(values)
    order = graphlib.TopologicalSorter({net: ins for net, (ins, _) in covers.items()}).static_order()
    for net in order:
        if net in values:
            continue
        ins, cubes = covers[net]
        polarity = {value for _, value in cubes}
        assert len(polarity) <= 1, f"net {net} mixes on-set and off-set cubes"
        hit = np.zeros(batch, dtype=bool)
        for cube, _ in cubes:
            term = np.ones(batch, dtype=bool)
            for ch, src in zip(cube, ins, strict=True):
                if ch != "-":
                    term &= values[src] == (ch == "1")
            hit |= term
        values[net] = ~hit if polarity == {"0"} else hit
    return ports_from_nets({net: values[net] for net in out_nets}, circuit)


def test_blif_function_matches_simulator(circuit, tmp_path):
    path = tmp_path / "c.blif"
    write_blif(circuit, path)
    inputs = random_inputs(circuit)
    assert_same_outputs(eval_blif(path.read_text(), circuit, inputs), circuit, inputs)


def test_blif_names_and_covers(tmp_path):
    path = tmp_path / "c.blif"
    write_blif(maj_circuit(), path)
    text = path.read_text()
    inputs, outputs, covers = parse_blif(text)
    assert inputs == [f"x[{j}]" for j in range(8)] + [f"y[{j}]" for j in range(6)]
    assert outputs == [f"s[{j}]" for j in range(4)] + [f"t[{j}]" for j in range(6)]
    assert max(len(ins) for ins, _ in covers.values()) <= MAX_COVER_INPUTS  # wide MAJ was lowered
    assert any(name.startswith("x") and not name.endswith("]") for name in covers)
    assert threshold_cover((1, 1, 1), 2) == ("-11", "1-1", "11-")
    assert threshold_cover((3, 1, 1), 3) == ("1--",)
    assert threshold_cover((3, 1, 1), 4) == ("1-1", "11-")


def test_blif_threshold_cover_is_exact():
    rnd = random.Random(3)
    for _ in range(200):
        weights = tuple(rnd.randint(1, 4) for _ in range(rnd.randint(1, 6)))
        k = rnd.randint(1, sum(weights))
        cubes = threshold_cover(weights, k)
        for point in range(1 << len(weights)):
            chosen = [(point >> i) & 1 for i in range(len(weights))]
            covered = any(all(c == "-" or int(c) == b for c, b in zip(cube, chosen)) for cube in cubes)
            assert covered == (sum(w * b for w, b in zip(weights, chosen)) >= k)


def test_blif_refuses_unwritable_port_names(tmp_path):
    b = Builder()
    b.output("bad#name", b.input("a", 1))
    with pytest.raises(ExportError, match="bad#name"):
        write_blif(b.build(), tmp_path / "c.blif")
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys is not on PATH")
def test_blif_through_yosys_and_abc(circuit, tmp_path):
    """Yosys reads the BLIF, ABC re-synthesizes it, and Yosys's own BLIF output
    must still compute the simulator's function."""
    src, dst = tmp_path / "c.blif", tmp_path / "yosys.blif"
    write_blif(circuit, src)
    script = f"read_blif {src}; techmap; opt; abc -g AND,OR,XOR; opt_clean; write_blif {dst}"
    subprocess.run(["yosys", "-q", "-p", script], check=True, capture_output=True, timeout=120)
    inputs = random_inputs(circuit, seed=11)
    assert_same_outputs(eval_blif(dst.read_text(), circuit, inputs), circuit, inputs)


# ---------------------------------------------------------------- GraphML and DOT


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
    inputs = random_inputs(circuit)
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
    inputs = random_inputs(circuit)
    assert_same_outputs(eval_graph(graph, circuit, inputs), circuit, inputs)


def test_dot_escapes_names(tmp_path):
    b = Builder()
    b.output('q"\\', b.not_(b.input('p"x\\', 2)))
    circuit = b.build()
    write_dot(circuit, tmp_path / "c.dot")
    graph = parse_dot((tmp_path / "c.dot").read_text())
    assert graph.nodes[2]["port"] == 'p"x\\'
    assert {graph.nodes[v]["outputs"] for v in (4, 5)} == {'q"\\[0]', 'q"\\[1]'}


def test_graph_exports_refuse_large_circuits(tmp_path):
    b = Builder()
    b.output("y", b.input("x", MAX_GRAPH_NODES)[:1])  # 2 constants + inputs > limit
    big = b.build()
    assert big.n_nodes > MAX_GRAPH_NODES
    for export in (write_graphml, write_dot):
        with pytest.raises(ExportError, match=f"limit of {MAX_GRAPH_NODES} nodes"):
            export(big, tmp_path / "big.out")
    assert not list(tmp_path.iterdir())
