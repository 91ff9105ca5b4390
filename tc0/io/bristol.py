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

import array
import functools
import io
import itertools
import os

import numpy as np

from tc0.compiler.builder import Builder
from tc0.errors import FormatError
from tc0.files import atomic_write, open_regular, scratch_file
from tc0.io.lowering import AND2, INV, XOR2, ChunkSpill, lower_circuit
from tc0.io.writing import FLUSH_LINES, LineWriter, check_export_names
from tc0.ir.circuit import Circuit
from tc0.ir.names import shown
from tc0.ir.schema import FIRST_INPUT, ONE, ZERO

_ARITY = {"XOR": (2, 1), "AND": (2, 1), "INV": (1, 1), "EQ": (1, 1), "EQW": (1, 1)}
#: codes of the gates an import records (MAND is k ANDs)
_OP_CODES = {"AND": 0, "INV": 1, "XOR": 2}  # in the order of their names, as imports always sorted them
#: the most wires (inputs included) ``read_bristol`` imports unless told otherwise
MAX_WIRES = 1 << 24
#: the longest line ``read_bristol`` reads, in characters (a MAND line of ~10^5 ANDs fits)
MAX_LINE_CHARS = 1 << 22
_OP_NAMES = {AND2: "AND", XOR2: "XOR"}


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


def read_bristol(path, max_wires: int = MAX_WIRES) -> Circuit:
    """Import a Bristol Fashion file as a strict circuit, reading it line by
    line (only regular files: a pipe or device is refused before reading).
    Refuses, before allocating for them, more than ``max_wires`` wires and
    more wires than the file's gate lines can set (every wire but the inputs
    is a gate output, named by at least two bytes of the file)."""
    with open_regular(path, FormatError, "Bristol file") as raw:
        size = os.fstat(raw.fileno()).st_size
        try:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline=None)
            return _parse(_lines(text), size, max_wires)
        except UnicodeDecodeError:
            raise FormatError(f"{path}: not a text file (not UTF-8)") from None
        except FormatError as exc:
            raise FormatError(f"{path}: {exc}", parameters=exc.parameters) from None


def parse_bristol(text: str, max_wires: int = MAX_WIRES) -> Circuit:
    """Import Bristol Fashion text; see ``read_bristol``."""
    return _parse(_lines(io.StringIO(text)), len(text.encode()), max_wires)


def _lines(text):
    """(line number, line) of each non-blank line of the text stream, each
    read with at most ``MAX_LINE_CHARS`` characters."""
    for lineno, line in enumerate(iter(lambda: text.readline(MAX_LINE_CHARS + 1), ""), 1):
        if len(line) > MAX_LINE_CHARS:
            raise FormatError(f"line {lineno}: longer than {MAX_LINE_CHARS} characters")
        if line.strip():
            yield lineno, line


def _parse(lines, size: int, max_wires: int) -> Circuit:
    """The circuit of the non-blank ``(line number, line)`` pairs of a
    Bristol file of ``size`` bytes."""
    header = list(itertools.islice(lines, 3))
    if len(header) < 3:
        raise FormatError("missing header (need 'ngates nwires', input and output lines)")
    counts = _ints(header[0][1].split(), "header", header[0][0])
    if len(counts) != 2:
        raise FormatError(f"line {header[0][0]}: header must be 'ngates nwires'")
    ngates, nwires = counts
    in_widths = _header(header[1][1], header[1][0], "input")
    out_widths = _header(header[2][1], header[2][0], "output")
    n_in, n_out = sum(in_widths), sum(out_widths)
    if not out_widths:
        raise FormatError(f"line {header[2][0]}: the circuit has no output ports")
    if nwires > max_wires:
        raise FormatError(f"header declares {nwires} wires, more than max_wires ({max_wires})",
                          parameters=("max_wires",))
    if n_in + n_out > nwires:
        raise FormatError(f"{n_in} input and {n_out} output wires exceed {nwires} wires")
    if nwires - n_in > size // 2:
        raise FormatError(f"header declares {nwires} wires, more than the inputs and the gates of a "
                          f"{size}-byte file can set")
    gates = _Gates(n_in, nwires)
    body = 0
    for lineno, line in lines:
        body += 1
        if body > ngates:
            raise FormatError(f"header says {ngates} gates, file has more")
        gates.add(lineno, line.split())
    if body != ngates:
        raise FormatError(f"header says {ngates} gates, file has {body}")
    return gates.build(in_widths, out_widths)


class _Gates:
    """Pass 1 of an import: copies and constants resolved as the gate lines
    arrive, real gates recorded with their levels in chunks of numpy arrays.

    Wires are numbered as in the file, the constants as ``nwires`` (0) and
    ``nwires + 1`` (1). ``src[w - n_in]`` is the canonical wire feeding a
    non-input wire ``w`` (-1: not yet set; an input wire is its own); only
    non-input wires have entries, so a large input port costs nothing here.
    """

    _CHUNK = 1 << 16

    def __init__(self, n_in: int, nwires: int):
        self.n_in, self.nwires = n_in, nwires
        self.src = array.array("q", [-1]) * (nwires - n_in + 2)  # arrays of int64: compact, fast to index
        self.level = array.array("q", [0]) * (nwires - n_in + 2)
        self.src[-2:] = array.array("q", [nwires, nwires + 1])
        self._chunks: list[np.ndarray] = []
        self._rows: list[tuple[int, int, int, int, int]] = []  # (op, a, b, out, level)

    def _source(self, w: int) -> int:
        return w if w < self.n_in else self.src[w - self.n_in]

    def _level(self, w: int) -> int:
        return 0 if w < self.n_in else self.level[w - self.n_in]

    def add(self, lineno: int, tok: list[str]) -> None:
        """Record the gate line ``tok`` (its tokens)."""
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
            raise FormatError(f"line {lineno}: unknown gate type {shown(op)}")
        if len(tok) != 2 + nin + nout + 1:
            raise FormatError(f"line {lineno}: expected {nin} inputs and {nout} outputs")
        wires = _ints(tok[2:-1], "wire numbers", lineno)
        gate_in, gate_out = wires[:nin], wires[nin:]
        nwires, n_in = self.nwires, self.n_in
        if any(w >= nwires for w in gate_out) or (op != "EQ" and any(w >= nwires for w in gate_in)):
            raise FormatError(f"line {lineno}: wire number out of range (nwires = {nwires})")
        if any(w < n_in or self.src[w - n_in] != -1 for w in gate_out) or len(set(gate_out)) < len(gate_out):
            raise FormatError(f"line {lineno}: wire assigned twice")
        if op == "EQ":
            if gate_in[0] not in (0, 1):
                raise FormatError(f"line {lineno}: EQ constant must be 0 or 1")
            self.src[gate_out[0] - n_in] = nwires + gate_in[0]
            return
        resolved = [self._source(w) for w in gate_in]
        if any(r == -1 for r in resolved):
            raise FormatError(f"line {lineno}: gate reads a wire that is not yet set")
        if op == "EQW":
            self.src[gate_out[0] - n_in] = resolved[0]
            return
        k = nout if op == "MAND" else 1
        code = _OP_CODES["AND" if op == "MAND" else op]
        for j in range(k):
            a = resolved[j]
            b = resolved[k + j] if op == "MAND" else (resolved[1] if op != "INV" else a)
            out = gate_out[j]
            lvl = max(self._level(a), self._level(b)) + 1
            self.src[out - n_in] = out
            self.level[out - n_in] = lvl
            self._rows.append((code, a, b, out, lvl))
        if len(self._rows) >= self._CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._chunks.append(np.array(self._rows, dtype=np.int64).reshape(-1, 5))
            self._rows = []

    def build(self, in_widths: list[int], out_widths: list[int]) -> Circuit:
        """Pass 2: the circuit, emitted level by level, one builder call per (level, op)."""
        self._flush()
        n_in, nwires = self.n_in, self.nwires
        rows = np.concatenate(self._chunks) if self._chunks else np.zeros((0, 5), dtype=np.int64)
        self._chunks = []
        op, a, b, out, lvl = rows.T
        src = np.frombuffer(self.src, dtype=np.int64)
        out_src = np.arange(nwires - sum(out_widths), nwires)
        out_src = np.where(out_src < n_in, out_src, src[np.maximum(out_src - n_in, 0)])
        if np.any(out_src == -1):
            raise FormatError("an output wire is never set")
        builder = Builder()
        node = np.full(nwires - n_in + 2, -1, dtype=np.int64)  # node id of each non-input wire
        node[-2:] = ZERO, ONE
        for i, width in enumerate(in_widths):
            builder.input(f"in{i}", width)  # input wire w is node FIRST_INPUT + w

        def node_of(wires: np.ndarray) -> np.ndarray:
            return np.where(wires < n_in, wires + FIRST_INPUT, node[np.maximum(wires - n_in, 0)])

        order = np.lexsort((op, lvl))
        bounds = np.flatnonzero((np.diff(lvl[order]) != 0) | (np.diff(op[order]) != 0)) + 1
        for group in np.split(order, bounds) if len(order) else []:
            x, y = node_of(a[group]), node_of(b[group])
            code = op[group[0]]
            if code == _OP_CODES["AND"]:
                node[out[group] - n_in] = builder.and_(x, y)
            elif code == _OP_CODES["XOR"]:
                node[out[group] - n_in] = builder.xor(x, y)
            else:
                node[out[group] - n_in] = builder.not_(x)
        start = 0
        for i, width in enumerate(out_widths):
            builder.output(f"out{i}", node_of(out_src[start : start + width]))
            start += width
        return builder.build()


def write_bristol(circuit: Circuit, path) -> None:
    """Export ``circuit`` as a Bristol Fashion file (atomically); see the
    module docstring. The lowered gates are parked in a scratch file chunk by
    chunk (``tc0.io.lowering.ChunkSpill``) until the header's counts are
    known, then numbered and written; nothing the size of the lowered
    netlist is held in memory."""
    check_export_names(circuit)
    with scratch_file(path) as scratch:
        spill = ChunkSpill(scratch)
        reads = np.zeros(2, dtype=bool)  # whether some gate reads the constant 0, 1

        def park(first, op, a, b) -> None:
            read = np.concatenate([a, b[op != INV]])
            reads[:] |= [np.any(read == ZERO), np.any(read == ONE)]
            spill.add(first, op, a, b)

        xag, wire = lower_circuit(circuit, park)
        atomic_write(path, functools.partial(_write_lowered, circuit, xag, wire, reads, spill))


def _write_lowered(circuit: Circuit, xag, wire: np.ndarray, reads: np.ndarray, spill, fh) -> None:
    """Write the Bristol file of ``circuit`` lowered to ``xag`` (whose gates
    are in ``spill``; ``wire`` per node, ``reads`` the constants read) to ``fh``."""
    base, n_in = xag.n_base, circuit.n_inputs
    out_src = wire[circuit.output_ids()]
    n_out = len(out_src)
    _, first_use = np.unique(out_src, return_index=True)
    direct = np.zeros(n_out, dtype=bool)
    direct[first_use] = out_src[first_use] >= base  # the gate's own wire is the output wire
    consts = [c for c in (ZERO, ONE) if reads[c]]
    const_number = np.full(2, -1, dtype=np.int64)
    const_number[consts] = n_in + np.arange(len(consts))
    n_gates = xag.n_wires - base
    first_inner = n_in + len(consts)
    nwires = first_inner + n_gates - int(direct.sum()) + n_out
    out_wire = nwires - n_out + np.arange(n_out)
    order = np.argsort(out_src[direct])  # the direct output wires, rising, with a sentinel past the last
    direct_src = np.append(out_src[direct][order], np.iinfo(np.int64).max)
    direct_number = np.append(out_wire[direct][order], -1)

    def number(w: np.ndarray) -> np.ndarray:
        """The Bristol wire of each Xag wire: inputs first, then the constants
        read, the other gates in emission order, the outputs last."""
        pos = np.searchsorted(direct_src, w)
        inner = np.where(direct_src[pos] == w, direct_number[pos], first_inner + (w - base) - pos)
        source = np.where(w < FIRST_INPUT, const_number[np.minimum(w, ONE)], w - FIRST_INPUT)
        return np.where(w < base, source, inner)

    out = LineWriter(fh)
    n_lines = len(consts) + n_gates + n_out - int(direct.sum())
    out.extend([f"{n_lines} {nwires}",
                " ".join(map(str, [len(circuit.inputs), *circuit.inputs.values()])),
                " ".join(map(str, [len(circuit.outputs), *(len(v) for v in circuit.outputs.values())])),
                ""])
    out.extend(f"1 1 {c} {const_number[c]} EQ" for c in consts)
    for first, op, a, b in spill.chunks():
        for lo in range(0, len(op), FLUSH_LINES):
            o, x = op[lo : lo + FLUSH_LINES], a[lo : lo + FLUSH_LINES]
            y = np.where(o == INV, x, b[lo : lo + FLUSH_LINES])
            z = first + lo + np.arange(len(o))
            out.extend([f"1 1 {na} {nz} INV" if code == INV else f"2 1 {na} {nb} {nz} {_OP_NAMES[code]}"
                        for code, na, nb, nz in zip(o.tolist(), *(number(w).tolist() for w in (x, y, z)))])
    copied = out_src[~direct]
    out.extend(f"1 1 {src} {dst} EQ" if src <= ONE else f"1 1 {number_of} {dst} EQW"
               for src, number_of, dst in zip(copied.tolist(), number(copied).tolist(), out_wire[~direct].tolist()))
    out.flush()
