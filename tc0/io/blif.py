"""BLIF export (Berkeley Logic Interchange Format, combinational subset).

One ``.model`` with ``.inputs``, ``.outputs`` and one ``.names`` cover per
gate. Net names:

* input bit j of port ``a`` is ``a[j]``, output bit j of port ``s`` is
  ``s[j]`` (the bracket style of ABC and Yosys);
* the constants are ``$false`` and ``$true``, gate ``v`` is ``n<v>``, and an
  extra net made by lowering a wide MAJ is ``x<i>``. Port-bit names end in
  ``]`` and the others do not, so they never collide.

Covers: AND is the single cube ``11..1 1``; OR is the off-set cube
``00..0 0``; NOT is ``0 1``; duplicate AND/OR fan-ins are dropped. A MAJ has
its constant fan-ins folded into a threshold k over its variable fan-ins, a
repeated fan-in becoming a weight. With at most ``MAX_COVER_INPUTS`` (10)
distinct variables it is one cover listing its minimal true sets (at most
C(10, 5) = 252 cubes); a wider MAJ is lowered to 2-input AND/XOR and NOT
``.names`` exactly as in the Bristol export (``tc0.io.lowering``), so the
file stays linear in the circuit's edges. Each output bit is a buffer
``.names <driver> s[j]`` / ``1 1``. Long name lists are continued with ``\\``.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from tc0.ir.circuit import Circuit
from tc0.ir.schema import FIRST_INPUT, ONE, ZERO, Kind
from tc0.errors import ExportError
from tc0.io.lowering import AND2, INV, Xag, gate_groups
from tc0.files import atomic_write

MAX_COVER_INPUTS = 10
_NAMES_PER_LINE = 16
_CONST = ("$false", "$true")


@functools.lru_cache(maxsize=4096)
def threshold_cover(weights: tuple[int, ...], k: int) -> tuple[str, ...]:
    """Cubes (one char per variable) of "sum of the weights of the 1 variables >= k":
    the minimal true sets, i.e. a prime irredundant cover of this monotone function."""
    cubes = []
    for chosen in itertools.product((0, 1), repeat=len(weights)):
        total = sum(w for w, c in zip(weights, chosen) if c)
        if total >= k and all(total - w < k for w, c in zip(weights, chosen) if c):
            cubes.append("".join("1" if c else "-" for c in chosen))
    return tuple(cubes)


def _decl(keyword: str, nets) -> str:
    """``keyword`` followed by the net names, continued with backslashes every few names."""
    nets = list(nets)
    chunks = [" ".join(nets[i : i + _NAMES_PER_LINE]) for i in range(0, len(nets), _NAMES_PER_LINE)]
    return " \\\n  ".join([f"{keyword} {chunks[0]}" if chunks else keyword, *chunks[1:]])


def _check_ports(circuit: Circuit) -> None:
    for name in [*circuit.inputs, *circuit.outputs]:
        if "#" in name or "\\" in name:
            raise ExportError(f"port name {name!r} cannot be written to BLIF (contains '#' or '\\')")


def write_blif(circuit: Circuit, path, model: str = "tc0") -> None:
    """Export ``circuit`` as a BLIF ``.model`` (atomically); see the module docstring."""
    _check_ports(circuit)
    n = circuit.n_nodes
    names = [*_CONST, *(f"{p}[{j}]" for p, w in circuit.inputs.items() for j in range(w))]
    names += [f"n{v}" for v in range(circuit.first_gate, n)]
    xag = Xag(n)

    def net(w: int) -> str:
        return names[w] if w < n else f"x{w}"

    covers: list[tuple[list[int], int, list[str]]] = []  # (fan-in nodes, node, cube lines)
    for kind, gates, fanins, k in gate_groups(circuit):
        if kind != Kind.MAJ:
            cube, value = {Kind.AND: ("1", "1"), Kind.OR: ("0", "0"), Kind.NOT: ("0", "1")}[kind]
            for v, row in zip(gates.tolist(), fanins.tolist()):
                ins = list(dict.fromkeys(row))
                covers.append((ins, v, [f"{cube * len(ins)} {value}"]))
            continue
        r = fanins.shape[1]
        if k <= 0 or k > r:
            for v in gates.tolist():
                names[v] = _CONST[int(k <= 0)]
            continue
        srt = np.sort(fanins, axis=1)
        distinct = 1 + np.count_nonzero(srt[:, 1:] != srt[:, :-1], axis=1)
        wide = distinct > MAX_COVER_INPUTS
        if wide.any():
            for v, w in zip(gates[wide].tolist(), xag.threshold(fanins[wide], k).tolist()):
                names[v] = net(w)
        for v, row in zip(gates[~wide].tolist(), srt[~wide].tolist()):
            ins, weights = np.unique(row, return_counts=True)
            cubes = threshold_cover(tuple(weights.tolist()), k)
            covers.append((ins.tolist(), v, [f"{c} 1" for c in cubes]))

    out_nets = [f"{p}[{j}]" for p, ids in circuit.outputs.items() for j in range(len(ids))]
    lines = [f".model {model}", _decl(".inputs", names[FIRST_INPUT : circuit.first_gate]), _decl(".outputs", out_nets)]
    lines += [f".names {_CONST[ZERO]}", f".names {_CONST[ONE]}", "1"]
    for ins, v, cubes in covers:
        lines.append(_decl(".names", [*(net(u) for u in ins), net(v)]))
        lines += cubes
    op, a, b = xag.gates()
    for i, (o, x, y) in enumerate(zip(op.tolist(), a.tolist(), b.tolist())):
        z = net(n + i)
        if o == INV:
            lines += [f".names {net(x)} {z}", "0 1"]
        else:
            lines += [f".names {net(x)} {net(y)} {z}", *(["11 1"] if o == AND2 else ["01 1", "10 1"])]
    for dst, src in zip(out_nets, circuit.output_ids().tolist()):
        lines += [f".names {net(src)} {dst}", "1 1"]
    lines.append(".end")
    text = "\n".join(lines) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode()))
