"""Read-only views of a circuit: measures, fan-in histogram, critical path,
per-scope breakdown, and the one-line summary (ABC's ``print_stats``)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tc0.ir.circuit import Circuit
from tc0.ir.schema import GATE_KINDS


def gate_counts(circuit: Circuit) -> dict[str, int]:
    """Number of gates of each type, keyed AND, OR, NOT, MAJ."""
    counts = np.bincount(circuit.kind[circuit.first_gate :], minlength=len(GATE_KINDS) + 3)
    return {k.name: int(counts[k]) for k in GATE_KINDS}


def fanin_histogram(circuit: Circuit) -> dict[int, int]:
    """fan-in -> number of gates with that fan-in."""
    values, counts = np.unique(circuit.fanin_counts()[circuit.first_gate :], return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}


def critical_path(circuit: Circuit) -> list[int]:
    """Node ids of one longest path, source first, ending at an output."""
    outs = circuit.output_ids()
    if len(outs) == 0:
        return []
    level = circuit.level
    node = int(outs[np.argmax(level[outs])])
    path = [node]
    while level[node] > 0:
        fan = circuit.fanin_of(node)
        node = int(fan[np.argmax(level[fan])])
        path.append(node)
    return path[::-1]


def critical_stages(circuit: Circuit) -> list[dict]:
    """The critical path as stages: runs of consecutive path gates built in
    one scope, source end first, each with its levels (gates on the path)
    and the level it ends at. The levels add up to the depth."""
    stages: list[dict] = []
    for node in critical_path(circuit):
        if node < circuit.first_gate:
            continue
        scope = circuit.scopes[circuit.scope[node]] or "(top)"
        if stages and stages[-1]["scope"] == scope:
            stages[-1]["levels"] += 1
        else:
            stages.append({"scope": scope, "levels": 1})
        stages[-1]["ends_at"] = int(circuit.level[node])
    return stages


def scope_breakdown(circuit: Circuit, group=None) -> list[dict]:
    """Per scope: gates built there and gates it puts on the critical path.

    ``group`` (a function of the scope path) names the row a scope counts
    under (default: the path itself, "(top)" for the empty one). Rows are
    sorted by size, largest first.
    """

    def name(path: str) -> str:
        return group(path) if group is not None else path or "(top)"

    gates = circuit.scope[circuit.first_gate :]
    sizes = np.bincount(gates, minlength=len(circuit.scopes))
    size_by: Counter[str] = Counter()
    for idx, s in enumerate(sizes):
        if s:
            size_by[name(circuit.scopes[idx])] += int(s)
    on_path: Counter[str] = Counter()
    for node in critical_path(circuit):
        if node >= circuit.first_gate:
            on_path[name(circuit.scopes[circuit.scope[node]])] += 1
    return [
        {"scope": s, "size": size_by[s], "depth_on_critical_path": on_path.get(s, 0)}
        for s in sorted(size_by, key=lambda s: (-size_by[s], s))
    ]


def stats(circuit: Circuit) -> dict:
    """Measures of ``circuit`` as a JSON-ready dict."""
    return {
        "size": circuit.size,
        "depth": circuit.depth,
        "edges": circuit.edges,
        "inputs": circuit.n_inputs,
        "outputs": circuit.n_outputs,
        "gates": gate_counts(circuit),
        "input_ports": dict(circuit.inputs),
        "output_ports": {name: len(ids) for name, ids in circuit.outputs.items()},
        "fanin_histogram": {str(k): v for k, v in fanin_histogram(circuit).items()},
        "max_fanin": max(fanin_histogram(circuit), default=0),
    }


def summary_line(circuit: Circuit, name: str = "circuit") -> str:
    """One line in the manner of ABC's ``print_stats``."""
    g = gate_counts(circuit)
    return (
        f"{name:<12}: i/o = {circuit.n_inputs:>5}/{circuit.n_outputs:>5}  "
        f"gates = {circuit.size:>8} (AND {g['AND']}, OR {g['OR']}, NOT {g['NOT']}, MAJ {g['MAJ']})  "
        f"edges = {circuit.edges:>9}  lev = {circuit.depth:>4}"
    )
