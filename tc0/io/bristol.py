"""Bristol Fashion import and export.

Format: ``ngates nwires`` / ``niv w...`` / ``nov w...`` then one gate per line
``nin nout in... out... OP`` with OP in XOR, AND, INV, EQ (input is the
literal 0/1), EQW (copy), MAND (k ANDs). Input wires come first, outputs are
the last wires. Imported ports are named ``in0, in1, ...`` and ``out0, ...``.

Import levelizes the gate list first and then emits each (level, operation)
group with one builder call, so a 10^5-gate file builds in bulk. XOR is
lowered to the strict basis as (a OR b) AND NOT(a AND b).

Export writes one Bristol input value per input port and one output value per
output port, in port order, with the gates lowered as in
``tc0.io.lowering`` (AND trees, De Morgan ORs, MAJ as adder tree plus
comparator). Constants are EQ gates; an output bit whose driver is a gate not
already driving an earlier output bit is that gate's wire, every other output
bit (an input, a constant, a repeated bit) is an EQW/EQ copy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tc0.compiler.builder import Builder
from tc0.ir.circuit import Circuit
from tc0.ir.schema import FIRST_INPUT, ONE, ZERO
from tc0.errors import FormatError
from tc0.io.lowering import AND2, INV, XOR2, lower_circuit
from tc0.files import atomic_write

_ARITY = {"XOR": (2, 1), "AND": (2, 1), "INV": (1, 1), "EQ": (1, 1), "EQW": (1, 1)}


def _ints(tokens, what, lineno):
    try:
        values = [int(t) for t in tokens]
    except ValueError:
        raise FormatError(f"line {lineno}: {what} must be integers") from None
    if any(v < 0 for v in values):
        raise FormatError(f"line {lineno}: {what} must be non-negative")
    return values


def _header(line, lineno, what):
    values = _ints(line.split(), what, lineno)
    if not values or values[0] != len(values) - 1:
        raise FormatError(f"line {lineno}: {what} line must give a count followed by that many widths")
    if any(w < 1 for w in values[1:]):
        raise FormatError(f"line {lineno}: {what} widths must be >= 1")
    return values[1:]


def read_bristol(path) -> Circuit:
    """Import a Bristol Fashion file as a strict circuit."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read ({exc})") from None
    try:
        return parse_bristol(text)
    except FormatError as exc:
        raise FormatError(f"{path}: {exc}") from None


def parse_bristol(text: str) -> Circuit:
    """Import Bristol Fashion text; see ``read_bristol``."""
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    if len(lines) < 3:
        raise FormatError("missing header (need 'ngates nwires', input and output lines)")
    counts = _ints(lines[0][1].split(), "header", lines[0][0])
    if len(counts) != 2:
        raise FormatError(f"line {lines[0][0]}: header must be 'ngates nwires'")
    ngates, nwires = counts
    in_widths = _header(lines[1][1], lines[1][0], "input")
    out_widths = _header(lines[2][1], lines[2][0], "output")
    n_in, n_out = sum(in_widths), sum(out_widths)
    if n_in + n_out > nwires:
        raise FormatError(f"{n_in} input and {n_out} output wires exceed {nwires} wires")
    body = lines[3:]
    if len(body) != ngates:
        raise FormatError(f"header says {ngates} gates, file has {len(body)}")
    settable = n_in + sum(len(line.split()) for _, line in body)  # bounds the wires gates can set
    if nwires > settable:
        raise FormatError(f"header declares {nwires} wires, more than the inputs and gates can set")

    # Pass 1: resolve copies and constants; record real gates with their levels.
    # src[w] = the canonical wire feeding w (-1: unset); constants are wires
    # nwires (const 0) and nwires + 1 (const 1).
    const0, const1 = nwires, nwires + 1
    src = np.full(nwires + 2, -1, dtype=np.int64)
    level = np.zeros(nwires + 2, dtype=np.int64)
    src[:n_in] = np.arange(n_in)
    src[const0], src[const1] = const0, const1
    ops, ins_a, ins_b, outs, levels = [], [], [], [], []
    for lineno, line in body:
        tok = line.split()
        if len(tok) < 3:
            raise FormatError(f"line {lineno}: gate line too short")
        op = tok[-1]
        nin, nout = _ints(tok[:2], "gate arity", lineno)
        if op == "MAND":
            if nin != 2 * nout or nout < 1:
                raise FormatError(f"line {lineno}: MAND needs 2k inputs and k outputs")
        elif op in _ARITY:
            if (nin, nout) != _ARITY[op]:
                raise FormatError(f"line {lineno}: {op} takes {_ARITY[op][0]} input(s) and 1 output")
        else:
            raise FormatError(f"line {lineno}: unknown gate type {op!r}")
        if len(tok) != 2 + nin + nout + 1:
            raise FormatError(f"line {lineno}: expected {nin} inputs and {nout} outputs")
        wires = _ints(tok[2:-1], "wire numbers", lineno)
        gate_in, gate_out = wires[:nin], wires[nin:]
        if any(w >= nwires for w in gate_out) or (op != "EQ" and any(w >= nwires for w in gate_in)):
            raise FormatError(f"line {lineno}: wire number out of range (nwires = {nwires})")
        if any(src[w] != -1 for w in gate_out):
            raise FormatError(f"line {lineno}: wire assigned twice")
        if op == "EQ":
            if gate_in[0] not in (0, 1):
                raise FormatError(f"line {lineno}: EQ constant must be 0 or 1")
            src[gate_out[0]] = const1 if gate_in[0] else const0
            continue
        resolved = [src[w] for w in gate_in]
        if any(r == -1 for r in resolved):
            raise FormatError(f"line {lineno}: gate reads a wire that is not yet set")
        if op == "EQW":
            src[gate_out[0]] = resolved[0]
            continue
        k = nout if op == "MAND" else 1
        for j in range(k):
            a = resolved[j]
            b = resolved[k + j] if op == "MAND" else (resolved[1] if op != "INV" else a)
            out = gate_out[j]
            src[out] = out
            lvl = max(level[a], level[b]) + 1
            level[out] = lvl
            ops.append("AND" if op == "MAND" else op)
            ins_a.append(a)
            ins_b.append(b)
            outs.append(out)
            levels.append(lvl)
    out_wires = np.arange(nwires - n_out, nwires)
    if np.any(src[out_wires] == -1):
        raise FormatError("an output wire is never set")

    # Pass 2: emit level by level, one builder call per (level, op).
    b = Builder()
    node = np.full(nwires + 2, -1, dtype=np.int64)
    node[const0], node[const1] = ZERO, ONE
    start = 0
    for i, width in enumerate(in_widths):
        node[start : start + width] = b.input(f"in{i}", width)
        start += width
    ops_arr = np.array(ops)
    a_arr, b_arr, out_arr, lvl_arr = (np.array(v, dtype=np.int64) for v in (ins_a, ins_b, outs, levels))
    order = np.lexsort((ops_arr, lvl_arr)) if len(ops) else np.zeros(0, dtype=np.int64)
    bounds = np.flatnonzero((np.diff(lvl_arr[order]) != 0) | (ops_arr[order][1:] != ops_arr[order][:-1])) + 1
    for group in np.split(order, bounds) if len(order) else []:
        op = ops_arr[group[0]]
        x, y = node[a_arr[group]], node[b_arr[group]]
        if op == "AND":
            node[out_arr[group]] = b.and_(x, y)
        elif op == "XOR":
            node[out_arr[group]] = b.xor(x, y)
        else:
            node[out_arr[group]] = b.not_(x)
    start = nwires - n_out
    for i, width in enumerate(out_widths):
        b.output(f"out{i}", node[src[start : start + width]])
        start += width
    return b.build()


def write_bristol(circuit: Circuit, path) -> None:
    """Export ``circuit`` as a Bristol Fashion file (atomically); see the module docstring."""
    xag, wire = lower_circuit(circuit)
    op, a, b = xag.gates()
    base, n_in = xag.n_base, circuit.n_inputs
    out_src = wire[circuit.output_ids()]
    n_out = len(out_src)
    _, first_use = np.unique(out_src, return_index=True)
    direct = np.zeros(n_out, dtype=bool)
    direct[first_use] = out_src[first_use] >= base  # the gate's own wire is the output wire
    read = np.concatenate([a, b[op != INV]])
    consts = [c for c in (ZERO, ONE) if np.any(read == c)]

    number = np.full(xag.n_wires, -1, dtype=np.int64)
    number[FIRST_INPUT:base] = np.arange(n_in)
    number[consts] = n_in + np.arange(len(consts))
    n_gates = len(op)
    inner = n_gates - int(direct.sum())
    nwires = n_in + len(consts) + inner + n_out
    out_wire = nwires - n_out + np.arange(n_out)
    number[out_src[direct]] = out_wire[direct]
    gate_wire = base + np.arange(n_gates)
    rest = gate_wire[number[gate_wire] < 0]
    number[rest] = n_in + len(consts) + np.arange(len(rest))

    na, nb, nz = number[a], number[np.maximum(b, 0)], number[gate_wire]
    op_name = {AND2: "AND", XOR2: "XOR"}
    lines = [f"1 1 {c} {number[c]} EQ" for c in consts]
    lines += [
        f"1 1 {x} {z} INV" if o == INV else f"2 1 {x} {y} {z} {op_name[o]}"
        for o, x, y, z in zip(op.tolist(), na.tolist(), nb.tolist(), nz.tolist())
    ]
    for src, dst in zip(out_src[~direct].tolist(), out_wire[~direct].tolist()):
        lines.append(f"1 1 {src} {dst} EQ" if src <= ONE else f"1 1 {number[src]} {dst} EQW")
    header = [
        f"{len(lines)} {nwires}",
        " ".join(map(str, [len(circuit.inputs), *circuit.inputs.values()])),
        " ".join(map(str, [len(circuit.outputs), *(len(v) for v in circuit.outputs.values())])),
        "",
    ]
    text = "\n".join(header + lines) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode()))
