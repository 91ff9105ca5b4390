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

from tc0.files import atomic_write, scratch_file
from tc0.io.lowering import AND2, INV, ChunkSpill, Xag, gate_groups
from tc0.io.writing import LineWriter, check_export_names
from tc0.ir.circuit import Circuit
from tc0.ir.schema import FIRST_INPUT, ONE, ZERO, Kind

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


def write_blif(circuit: Circuit, path, model: str = "tc0") -> None:
    """Export ``circuit`` as a BLIF ``.model`` (atomically); see the module
    docstring. Written as it goes: the covers group by group while the wide
    MAJ gates are lowered, their gates parked in a scratch file chunk by
    chunk (``tc0.io.lowering.ChunkSpill``) and written after the covers."""
    check_export_names(circuit, model)
    n, first_gate = circuit.n_nodes, circuit.first_gate
    sources = [*_CONST, *(f"{p}[{j}]" for p, w in circuit.inputs.items() for j in range(w))]
    alias: dict[int, str] = {}  # a MAJ gate lowered, or folded to a constant -> its net

    def net(w: int) -> str:
        if w < first_gate:
            return sources[w]
        if w >= n:
            return f"x{w}"
        return alias.get(w) or f"n{w}"

    out_nets = [f"{p}[{j}]" for p, ids in circuit.outputs.items() for j in range(len(ids))]

    def write(spill: ChunkSpill, fh) -> None:
        out = LineWriter(fh)
        out.extend([f".model {model}", _decl(".inputs", sources[FIRST_INPUT:]), _decl(".outputs", out_nets),
                    f".names {_CONST[ZERO]}", f".names {_CONST[ONE]}", "1"])
        xag = Xag(n, spill.add)
        for kind, gates, fanins, k in gate_groups(circuit):
            if kind != Kind.MAJ:
                cube, value = {Kind.AND: ("1", "1"), Kind.OR: ("0", "0"), Kind.NOT: ("0", "1")}[kind]
                for v, row in zip(gates.tolist(), fanins.tolist()):
                    ins = list(dict.fromkeys(row))
                    out.extend([_decl(".names", [*map(net, ins), net(v)]), f"{cube * len(ins)} {value}"])
                continue
            if k <= 0 or k > fanins.shape[1]:
                alias.update(dict.fromkeys(gates.tolist(), _CONST[int(k <= 0)]))
                continue
            srt = np.sort(fanins, axis=1)
            wide = 1 + np.count_nonzero(srt[:, 1:] != srt[:, :-1], axis=1) > MAX_COVER_INPUTS
            if wide.any():
                for v, w in zip(gates[wide].tolist(), xag.threshold(fanins[wide], k).tolist()):
                    alias[v] = net(w)
                xag.checkpoint()
            for v, row in zip(gates[~wide].tolist(), srt[~wide].tolist()):
                ins, weights = np.unique(row, return_counts=True)
                out.extend([_decl(".names", [*map(net, ins.tolist()), net(v)]),
                            *(f"{c} 1" for c in threshold_cover(tuple(weights.tolist()), k))])
        xag.flush()
        for first, op, a, b in spill.chunks():
            for z, o, x, y in zip(range(first, first + len(op)), op.tolist(), a.tolist(), b.tolist()):
                if o == INV:
                    out.extend([f".names {net(x)} {net(z)}", "0 1"])
                else:
                    out.extend([f".names {net(x)} {net(y)} {net(z)}", *(["11 1"] if o == AND2 else ["01 1", "10 1"])])
        for dst, src in zip(out_nets, circuit.output_ids().tolist()):
            out.extend([f".names {net(src)} {dst}", "1 1"])
        out.extend([".end"])
        out.flush()

    with scratch_file(path) as scratch:
        atomic_write(path, functools.partial(write, ChunkSpill(scratch)))
