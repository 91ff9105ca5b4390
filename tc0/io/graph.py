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

GraphML and DOT are written by tc0 itself, node by node and edge by edge
straight from the circuit's arrays (the same nodes, attributes and order as
``to_networkx``, never a whole graph or document in memory). GraphML is byte
for byte what ``networkx.write_graphml(to_networkx(circuit), path)`` writes.
DOT (no pydot/pygraphviz dependency for a format this simple): every node
and edge attribute above is written as a quoted DOT attribute, plus
``label``, ``shape`` and ``peripheries`` (2 for output drivers) for
viewing; edges of multiplicity m > 1 are labelled ``xm``.

networkx holds a node in a few hundred bytes of dicts, and Graphviz cannot
lay out large graphs, so circuits above ``MAX_GRAPH_NODES`` nodes are
refused with an ``ExportError``.
"""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx
import numpy as np

from tc0.errors import ExportError
from tc0.files import atomic_write
from tc0.io.writing import FLUSH_LINES, LineWriter, check_export_names
from tc0.ir.circuit import Circuit
from tc0.ir.schema import FIRST_INPUT, Kind

MAX_GRAPH_NODES = 200_000
_SHAPES = {"CONST0": "plaintext", "CONST1": "plaintext", "INPUT": "invtriangle"}
_TYPE_NAMES = [k.name for k in Kind]
_GRAPHML_HEAD = [
    "<?xml version='1.0' encoding='utf-8'?>",
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
]


def _ports(ports: dict) -> str:
    return " ".join(f"{name}:{width}" for name, width in ports.items())


def _check_size(circuit: Circuit) -> None:
    if circuit.n_nodes > MAX_GRAPH_NODES:
        raise ExportError(
            f"circuit has {circuit.n_nodes} nodes, above the networkx export limit of "
            f"{MAX_GRAPH_NODES} nodes (use the native, Bristol or BLIF format)"
        )


def _graph_attrs(circuit: Circuit) -> dict[str, str]:
    return {"input_ports": _ports(circuit.inputs),
            "output_ports": _ports({name: len(ids) for name, ids in circuit.outputs.items()})}


def _nodes(circuit: Circuit) -> Iterator[tuple[int, dict]]:
    """``(node id, attributes)`` of every node in id order, the attributes in
    the order ``to_networkx`` has them: type, then port and bit or scope,
    then outputs."""
    ports = [(port, bit) for port, width in circuit.inputs.items() for bit in range(width)]
    drives: dict[int, list[str]] = {}
    for name, ids in circuit.outputs.items():
        for bit, v in enumerate(ids.tolist()):
            drives.setdefault(v, []).append(f"{name}[{bit}]")
    first_gate = circuit.first_gate
    for lo in range(0, circuit.n_nodes, FLUSH_LINES):
        hi = min(lo + FLUSH_LINES, circuit.n_nodes)
        for v, kind, scope in zip(range(lo, hi), circuit.kind[lo:hi].tolist(), circuit.scope[lo:hi].tolist()):
            data = {"type": _TYPE_NAMES[kind]}
            if v >= first_gate:
                data["scope"] = circuit.scopes[scope]
            elif v >= FIRST_INPUT:
                data["port"], data["bit"] = ports[v - FIRST_INPUT]
            if v in drives:
                data["outputs"] = " ".join(drives[v])
            yield v, data


def _edges(circuit: Circuit) -> Iterator[tuple[int, int, int]]:
    """``(fan-in, gate, multiplicity)`` of every distinct edge, sorted by
    fan-in then gate, worked out ``FLUSH_LINES`` fan-in entries at a time."""
    order = np.argsort(circuit.fanins, kind="stable")  # by fan-in, then by edge (so by gate)
    carry = None  # the last pair of the block before: its run may go on
    for lo in range(0, len(order), FLUSH_LINES):
        edge = order[lo : lo + FLUSH_LINES]
        u = circuit.fanins[edge].astype(np.int64)
        v = np.searchsorted(circuit.offsets, edge, side="right") - 1
        new = np.ones(len(edge), dtype=bool)
        new[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        starts = np.flatnonzero(new)
        runs = list(zip(u[starts].tolist(), v[starts].tolist(), np.diff([*starts, len(edge)]).tolist()))
        if carry is not None and runs[0][:2] == carry[:2]:
            runs[0] = (*carry[:2], carry[2] + runs[0][2])
        elif carry is not None:
            yield carry
        yield from runs[:-1]
        carry = runs[-1]
    if carry is not None:
        yield carry


def to_networkx(circuit: Circuit) -> nx.DiGraph:
    """The circuit as a ``networkx.DiGraph``; see the module docstring for the schema."""
    _check_size(circuit)
    graph = nx.DiGraph(**_graph_attrs(circuit))
    graph.add_nodes_from(_nodes(circuit))
    graph.add_edges_from((u, v, {"multiplicity": m}) for u, v, m in _edges(circuit))
    return graph


def _graphml_keys(circuit: Circuit) -> list[tuple[str, str, str, str]]:
    """``(id, for, name, type)`` of the GraphML keys, numbered as networkx
    numbers them: in the order of first use (graph, then nodes, then edges)."""
    node_keys = [(0, 0, "type", "string")]  # (first node, place in that node, name, type)
    if circuit.n_inputs:
        node_keys += [(FIRST_INPUT, 1, "port", "string"), (FIRST_INPUT, 2, "bit", "long")]
    if circuit.size:
        node_keys.append((circuit.first_gate, 3, "scope", "string"))
    if circuit.n_outputs:
        node_keys.append((int(circuit.output_ids().min()), 4, "outputs", "string"))
    keys = [("graph", name, "string") for name in _graph_attrs(circuit)]
    keys += [("node", name, xml_type) for *_, name, xml_type in sorted(node_keys)]
    keys += [("edge", "multiplicity", "long")] if circuit.edges else []
    return [(f"d{i}", *key) for i, key in enumerate(keys)]


def _graphml_data(key: str, value, indent: str) -> str:
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'{indent}<data key="{key}">{text}</data>' if text else f'{indent}<data key="{key}" />'


def write_graphml(circuit: Circuit, path) -> None:
    """Write ``circuit`` as GraphML (atomically), line by line; the bytes
    ``networkx.write_graphml(to_networkx(circuit), path)`` writes, which
    ``nx.read_graphml`` loads."""
    check_export_names(circuit)
    _check_size(circuit)
    keys = _graphml_keys(circuit)
    key_id = {(scope, name): kid for kid, scope, name, _ in keys}

    def write(fh) -> None:
        out = LineWriter(fh, errors="xmlcharrefreplace")  # what ElementTree does with the unencodable
        out.extend(_GRAPHML_HEAD)
        out.extend(f'  <key id="{kid}" for="{scope}" attr.name="{name}" attr.type="{xml_type}" />'
                   for kid, scope, name, xml_type in reversed(keys))
        out.extend(['  <graph edgedefault="directed">'])
        for v, data in _nodes(circuit):
            out.extend([f'    <node id="{v}">', *(_graphml_data(key_id["node", name], value, "      ")
                                                  for name, value in data.items()), "    </node>"])
        multiplicity = key_id.get(("edge", "multiplicity"))
        for u, v, m in _edges(circuit):
            out.extend([f'    <edge source="{u}" target="{v}">', _graphml_data(multiplicity, m, "      "),
                        "    </edge>"])
        out.extend(_graphml_data(key_id["graph", name], value, "    ") for name, value in _graph_attrs(circuit).items())
        out.extend(["  </graph>", "</graphml>"])
        out.flush()

    atomic_write(path, write)


def _quote(value) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs: dict) -> str:
    return ", ".join(f"{key}={_quote(value)}" for key, value in attrs.items())


def write_dot(circuit: Circuit, path) -> None:
    """Write ``circuit`` as a Graphviz DOT digraph (atomically), line by line;
    the graph ``to_networkx(circuit)`` would be."""
    check_export_names(circuit)
    _check_size(circuit)

    def write(fh) -> None:
        out = LineWriter(fh, errors="backslashreplace")
        out.extend(["digraph tc0 {", f"  graph [{_attrs(_graph_attrs(circuit))}];", "  rankdir=BT;"])
        for v, data in _nodes(circuit):
            kind = data["type"]
            label = {"CONST0": "0", "CONST1": "1", "INPUT": f"{data.get('port')}[{data.get('bit')}]"}.get(kind, kind)
            if "outputs" in data:
                label += "\n" + data["outputs"]
            view = {"label": label, "shape": _SHAPES.get(kind, "ellipse"), "peripheries": 2 if "outputs" in data else 1}
            out.extend([f"  {v} [{_attrs({**data, **view})}];"])
        for u, v, m in _edges(circuit):
            view = {"label": f"x{m}"} if m > 1 else {}
            out.extend([f"  {u} -> {v} [{_attrs({'multiplicity': m, **view})}];"])
        out.extend(["}"])
        out.flush()

    atomic_write(path, write)
