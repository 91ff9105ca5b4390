"""networkx view of small circuits, and GraphML / DOT export.

Node schema of ``to_networkx`` (a ``networkx.DiGraph``):

* one node per source and gate, keyed by the circuit's node id (an ``int``;
  GraphML and DOT write it as the decimal string);
* ``type``: one of CONST0, CONST1, INPUT, AND, OR, NOT, MAJ;
* INPUT nodes: ``port`` (port name) and ``bit`` (0 = least significant);
* gates: ``scope``, the module/gadget path that built the gate ("" at top);
* nodes that drive output bits: ``outputs``, the space-separated list of
  ``name[bit]`` they drive (port names never contain spaces);
* graph attributes ``input_ports`` and ``output_ports``: ``name:width``
  entries, space-separated, in port order.

Edges go from each fan-in to its gate. A ``DiGraph`` (not a ``MultiDiGraph``)
with an ``int`` edge attribute ``multiplicity``: the number of times the
fan-in occurs in the gate's fan-in list (a MAJ weight; always 1 for gates the
builder made, except MAJ). The sum of the multiplicities is ``circuit.edges``;
fan-in order is not kept, which loses nothing since every gate is symmetric.
Edges carry no ``weight``, so ``nx.dag_longest_path_length`` counts gates and
equals ``circuit.depth`` whenever every gate reaches an output (always so for
built circuits).

DOT is written by tc0 itself from that graph (no pydot/pygraphviz
dependency for a format this simple): every node and edge attribute above is
written as a quoted DOT attribute, plus ``label``, ``shape`` and
``peripheries`` (2 for output drivers) for viewing; edges of multiplicity
m > 1 are labelled ``xm``.

networkx holds a node in a few hundred bytes of dicts, so circuits above
``MAX_GRAPH_NODES`` nodes are refused with an ``ExportError``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from tc0.ir.circuit import Circuit
from tc0.ir.schema import Kind
from tc0.errors import ExportError
from tc0.files import atomic_write

MAX_GRAPH_NODES = 200_000
_SHAPES = {"CONST0": "plaintext", "CONST1": "plaintext", "INPUT": "invtriangle"}


def _ports(ports: dict) -> str:
    return " ".join(f"{name}:{width}" for name, width in ports.items())


def to_networkx(circuit: Circuit) -> nx.DiGraph:
    """The circuit as a ``networkx.DiGraph``; see the module docstring for the schema."""
    if circuit.n_nodes > MAX_GRAPH_NODES:
        raise ExportError(
            f"circuit has {circuit.n_nodes} nodes, above the networkx export limit of "
            f"{MAX_GRAPH_NODES} nodes (use the native, Bristol or BLIF format)"
        )
    graph = nx.DiGraph(
        input_ports=_ports(circuit.inputs),
        output_ports=_ports({name: len(ids) for name, ids in circuit.outputs.items()}),
    )
    type_names = np.array([k.name for k in Kind])[circuit.kind]
    graph.add_nodes_from((v, {"type": str(t)}) for v, t in enumerate(type_names))
    for port in circuit.inputs:
        for bit, v in enumerate(circuit.input_ids(port).tolist()):
            graph.nodes[v].update(port=port, bit=bit)
    for v in range(circuit.first_gate, circuit.n_nodes):
        graph.nodes[v]["scope"] = circuit.scopes[circuit.scope[v]]
    drives: dict[int, list[str]] = {}
    for name, ids in circuit.outputs.items():
        for bit, v in enumerate(ids.tolist()):
            drives.setdefault(v, []).append(f"{name}[{bit}]")
    for v, names in drives.items():
        graph.nodes[v]["outputs"] = " ".join(names)
    gate = np.repeat(np.arange(circuit.n_nodes), circuit.fanin_counts())
    pairs, mult = np.unique(np.stack([circuit.fanins.astype(np.int64), gate], axis=1), axis=0, return_counts=True)
    graph.add_edges_from((u, v, {"multiplicity": m}) for (u, v), m in zip(pairs.tolist(), mult.tolist()))
    return graph


def write_graphml(circuit: Circuit, path) -> None:
    """Write ``to_networkx(circuit)`` as GraphML (atomically); ``nx.read_graphml`` loads it."""
    graph = to_networkx(circuit)
    atomic_write(path, lambda fh: nx.write_graphml(graph, fh))


def _quote(value) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs: dict) -> str:
    return ", ".join(f"{key}={_quote(value)}" for key, value in attrs.items())


def write_dot(circuit: Circuit, path) -> None:
    """Write ``to_networkx(circuit)`` as a Graphviz DOT digraph (atomically)."""
    graph = to_networkx(circuit)
    lines = ["digraph tc0 {", f"  graph [{_attrs(graph.graph)}];", "  rankdir=BT;"]
    for v, data in graph.nodes(data=True):
        kind = data["type"]
        label = {"CONST0": "0", "CONST1": "1", "INPUT": f"{data.get('port')}[{data.get('bit')}]"}.get(kind, kind)
        if "outputs" in data:
            label += "\n" + data["outputs"]
        view = {"label": label, "shape": _SHAPES.get(kind, "ellipse"), "peripheries": 2 if "outputs" in data else 1}
        lines.append(f"  {v} [{_attrs({**data, **view})}];")
    for u, v, data in graph.edges(data=True):
        view = {"label": f"x{data['multiplicity']}"} if data["multiplicity"] > 1 else {}
        lines.append(f"  {u} -> {v} [{_attrs({**data, **view})}];")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode()))
