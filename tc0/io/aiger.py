"""AIGER import and export (combinational: no latches), binary ``aig`` and
ASCII ``aag`` (AIGER 1.9's header and sections; https://fmv.jku.at/aiger/).

An AIGER file is an and-inverter graph: variable 0 is the constant false,
literal 2v is variable v and 2v + 1 its negation; inputs are variables
1 .. I, AND gates the variables after them, each ``lhs rhs0 rhs1``.

Export lowers the gates as for Bristol (``tc0.io.lowering``: AND trees, De
Morgan ORs, MAJ as adder tree plus comparator) to 2-input AND/XOR + INV; an
INV is a literal's sign bit (no gate) and XOR(a, b) is three ANDs,
AND(NOT AND(a, b), NOT AND(NOT a, NOT b)). Inputs are numbered in port
order, the ANDs in emission order, and a symbol table names every input and
output bit ``port[bit]``. The lowered gates are parked in a scratch file;
the export holds one 8-byte literal per lowered wire.

Import reads both forms. Counts are checked against the file's size before
anything is allocated; latches, AIGER 1.9's bad/constraint/justice/fairness
sections, literals out of range, ASCII gates that read an undefined
variable and truncated binary deltas are refused with one line naming them.
Ports come from the symbol table when its names spell ports ``name[bit]``
(as tc0 writes them); otherwise the inputs are one port ``x`` and the
outputs one port ``y``. The gates are levelized and built one level per
builder call.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit

from tc0.compiler.builder import Builder
from tc0.errors import FormatError
from tc0.files import atomic_write, open_regular, scratch_file
from tc0.io.lowering import AND2, INV, ChunkSpill, lower_circuit
from tc0.io.writing import LineWriter, check_export_names
from tc0.ir.circuit import Circuit
from tc0.ir.names import ports_of_bits
from tc0.ir.schema import FIRST_INPUT, MAX_NODES

#: the largest file ``read_aiger`` reads, in bytes, unless told otherwise
MAX_BYTES = 1 << 30
#: the most variables an ASCII file may leave undefined (M beyond I + L + A)
_MAX_UNUSED = 1 << 20


# ----------------------------------------------------------------------------- export
def write_aiger(circuit: Circuit, path, binary: bool = True) -> None:
    """Export ``circuit`` as AIGER (atomically): binary ``aig`` or ASCII ``aag``."""
    check_export_names(circuit)
    with scratch_file(path) as scratch:
        spill = ChunkSpill(scratch)
        xag, wire = lower_circuit(circuit, spill.add)
        atomic_write(path, functools.partial(_write, circuit, xag.n_wires, wire, spill, binary))


@njit(cache=True)
def _number(op, a, b, first, lit, var):
    """Literals of a chunk's wires (INV: the sign bit; AND2: one variable;
    XOR2: three, the last its output); returns the last variable used."""
    for i in range(len(op)):
        w = first + i
        if op[i] == INV:
            lit[w] = lit[a[i]] ^ 1
        else:
            var += 1 if op[i] == AND2 else 3
            lit[w] = 2 * var
    return var


@njit(cache=True)
def _and_rows(op, a, b, first, lit, rows):
    """The AND gates (lhs, rhs0, rhs1) of a chunk into ``rows``; returns how many."""
    n = 0
    for i in range(len(op)):
        if op[i] == INV:
            continue
        x, y, z = lit[a[i]], lit[b[i]], lit[first + i]
        if op[i] == AND2:
            rows[n, 0], rows[n, 1], rows[n, 2] = z, max(x, y), min(x, y)
            n += 1
        else:
            both, neither = z - 4, z - 2
            rows[n, 0], rows[n, 1], rows[n, 2] = both, max(x, y), min(x, y)
            rows[n + 1, 0], rows[n + 1, 1], rows[n + 1, 2] = neither, max(x ^ 1, y ^ 1), min(x ^ 1, y ^ 1)
            rows[n + 2, 0], rows[n + 2, 1], rows[n + 2, 2] = z, neither + 1, both + 1
            n += 3
    return n


@njit(cache=True)
def _encode(rows, out):
    """Binary AIGER deltas of AND rows: lhs - rhs0, rhs0 - rhs1, 7 bits a byte; returns the length."""
    n = 0
    for r in range(len(rows)):
        for delta in (rows[r, 0] - rows[r, 1], rows[r, 1] - rows[r, 2]):
            while delta >= 0x80:
                out[n] = (delta & 0x7F) | 0x80
                delta >>= 7
                n += 1
            out[n] = delta
            n += 1
    return n


def _write(circuit: Circuit, n_wires: int, wire: np.ndarray, spill: ChunkSpill, binary: bool, fh) -> None:
    n_in = circuit.n_inputs
    lit = np.zeros(n_wires, dtype=np.int64)
    lit[1] = 1
    lit[FIRST_INPUT : FIRST_INPUT + n_in] = 2 * np.arange(1, n_in + 1)
    var = n_in
    for first, op, a, b in spill.chunks():
        var = _number(op, a, b, first, lit, var)
    outputs = lit[wire[circuit.output_ids()]]
    out = LineWriter(fh)
    out.extend([f"{'aig' if binary else 'aag'} {var} {n_in} 0 {len(outputs)} {var - n_in}"])
    if not binary:
        out.extend(map(str, (2 * np.arange(1, n_in + 1)).tolist()))
    out.extend(map(str, outputs.tolist()))
    for first, op, a, b in spill.chunks():
        rows = np.empty((3 * len(op), 3), dtype=np.int64)
        rows = rows[: _and_rows(op, a, b, first, lit, rows)]
        if binary:
            out.flush()
            buf = np.empty(20 * len(rows) + 1, dtype=np.uint8)
            fh.write(buf[: _encode(rows, buf)].tobytes())
        else:
            out.extend(f"{x} {y} {z}" for x, y, z in rows.tolist())
    out.extend(_symbols("i", circuit.inputs.items()))
    out.extend(_symbols("o", ((name, len(ids)) for name, ids in circuit.outputs.items())))
    out.extend(["c", "written by tc0"])
    out.flush()


def _symbols(letter: str, ports) -> list[str]:
    lines = []
    for name, width in ports:
        lines += [f"{letter}{len(lines) + j} {name}[{j}]" for j in range(width)]
    return lines


# ----------------------------------------------------------------------------- import
def read_aiger(path, max_bytes: int = MAX_BYTES) -> Circuit:
    """Import an AIGER file (``aig`` or ``aag``); see the module docstring."""
    with open_regular(path, FormatError, "AIGER file") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FormatError(f"AIGER file {path}: larger than {max_bytes:,} bytes")
    return parse_aiger(data, f"AIGER file {path}")


def parse_aiger(data: bytes, what: str = "AIGER input") -> Circuit:
    """The circuit of AIGER bytes ``data`` (``what`` names them in errors)."""
    end = data.find(b"\n")
    header = data[: end if end >= 0 else len(data)].decode("ascii", "replace").split()
    if not header or header[0] not in ("aig", "aag"):
        raise FormatError(f"{what}: not AIGER (the header must start with 'aig' or 'aag')")
    binary = header[0] == "aig"
    counts = _counts(header, what)
    m, n_in, _, n_out, n_and = counts
    pos = end + 1
    minimum = (2 if binary else 6) * n_and + (2 * n_out) + (0 if binary else 2 * n_in)
    if end < 0 or len(data) - pos < minimum:
        raise FormatError(f"{what}: the header declares {n_in:,} inputs, {n_out:,} outputs and {n_and:,} AND gates, "
                          f"more than its {len(data):,} bytes can hold")
    lines = _LineReader(data, pos, what)
    if binary:
        inputs = 2 * np.arange(1, n_in + 1, dtype=np.int64)
    else:
        inputs = np.array([lines.literal("input", k) for k in range(n_in)], dtype=np.int64)
    outputs = np.array([lines.literal("output", k) for k in range(n_out)], dtype=np.int64)
    if binary:
        rows, lines.pos = _decode(data, lines.pos, n_in, n_and, what)
    else:
        rows = np.array([lines.numbers("AND gate", k, 3) for k in range(n_and)], dtype=np.int64).reshape(n_and, 3)
    in_names, out_names = _symbol_table(data, lines.pos, n_in, n_out)
    return _build(m, inputs, outputs, rows, in_names, out_names, what)


def _counts(header: list[str], what: str) -> list[int]:
    if len(header) < 6 or not all(t.isdigit() for t in header[1:]):
        raise FormatError(f"{what}: the header must be '{header[0]} M I L O A' with non-negative integers")
    counts = [int(t) for t in header[1:]]
    m, n_in, n_latch, n_out, n_and = counts[:5]
    if n_latch:
        raise FormatError(f"{what}: {n_latch:,} latches: a sequential circuit; tc0 reads combinational AIGER only")
    if any(counts[5:]):
        raise FormatError(f"{what}: AIGER 1.9 bad-state/constraint/justice/fairness sections are not read")
    if m < n_in + n_and or (header[0] == "aig" and m != n_in + n_and):
        raise FormatError(f"{what}: M = {m:,} does not match I + L + A = {n_in + n_and:,}")
    if m > n_in + n_and + _MAX_UNUSED:
        raise FormatError(f"{what}: M = {m:,} leaves more than {_MAX_UNUSED:,} variables unused "
                          "(tc0 allocates per variable)")
    if m + 2 > MAX_NODES:
        raise FormatError(f"{what}: M = {m:,} variables do not fit tc0's node ids")
    if n_out == 0:
        raise FormatError(f"{what}: no outputs")
    return counts[:5]


class _LineReader:
    """ASCII lines of AIGER bytes from ``pos`` on."""

    def __init__(self, data: bytes, pos: int, what: str):
        self.data, self.pos, self.what = data, pos, what

    def numbers(self, section: str, k: int, count: int) -> list[int]:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            end = len(self.data)
            if end == self.pos:
                raise FormatError(f"{self.what}: truncated: {section} {k} is missing")
        tokens = self.data[self.pos : end].split()
        self.pos = end + 1
        if len(tokens) != count or not all(t.isdigit() for t in tokens):
            raise FormatError(f"{self.what}: {section} {k} must be {count} non-negative integer(s)")
        return [int(t) for t in tokens]

    def literal(self, section: str, k: int) -> int:
        return self.numbers(section, k, 1)[0]


@njit(cache=True)
def _decode_deltas(data, pos, n_in, n_and, rows):
    """Binary AND rows from ``pos``; returns (position after, -1) or (position, bad gate)."""
    for i in range(n_and):
        lhs = 2 * (n_in + i + 1)
        rows[i, 0] = lhs
        prev = lhs
        for j in (1, 2):
            delta, shift = 0, 0
            while True:
                if pos >= len(data) or shift > 56:
                    return pos, i
                byte = data[pos]
                pos += 1
                delta |= (byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    break
            if (j == 1 and delta == 0) or delta > prev:
                return pos, i
            rows[i, j] = prev - delta
            prev = rows[i, j]
    return pos, -1


def _decode(data: bytes, pos: int, n_in: int, n_and: int, what: str):
    rows = np.empty((n_and, 3), dtype=np.int64)
    pos, bad = _decode_deltas(np.frombuffer(data, dtype=np.uint8), pos, n_in, n_and, rows)
    if bad >= 0:
        raise FormatError(f"{what}: binary AND gate {bad:,} of {n_and:,}: truncated or out-of-range deltas")
    return rows, pos


def _symbol_table(data: bytes, pos: int, n_in: int, n_out: int) -> tuple[list, list]:
    names = {"i": [None] * n_in, "o": [None] * n_out}
    for line in data[pos:].decode("utf-8", "replace").splitlines():
        if line == "c":
            break
        kind, _, rest = line.partition(" ")
        if kind[:1] in names and kind[1:].isdigit() and int(kind[1:]) < len(names[kind[0]]):
            names[kind[0]][int(kind[1:])] = rest
    return names["i"], names["o"]


@njit(cache=True)
def _levels(m, rows, defined):
    """Per AND row its level (1 + its deeper operand's); -1 - r if row r reads an
    undefined variable or defines an input, a defined variable or an odd literal."""
    level = np.zeros(m + 1, dtype=np.int64)
    out = np.empty(len(rows), dtype=np.int64)
    for r in range(len(rows)):
        lhs = rows[r, 0]
        if lhs & 1 or lhs < 2 or lhs > 2 * m or defined[lhs >> 1]:
            return -1 - r, out
        deepest = 0
        for j in (1, 2):
            v = rows[r, j] >> 1
            if rows[r, j] > 2 * m + 1 or not defined[v]:
                return -1 - r, out
            deepest = max(deepest, level[v])
        level[lhs >> 1] = deepest + 1
        defined[lhs >> 1] = True
        out[r] = deepest + 1
    return 0, out


def _build(m, inputs, outputs, rows, in_names, out_names, what) -> Circuit:
    n_in = len(inputs)
    if ((inputs & 1) | (inputs < 2) | (inputs > 2 * m)).any() or len(np.unique(inputs)) != n_in:
        raise FormatError(f"{what}: input literals must be distinct even literals 2 .. 2M")
    if (outputs > 2 * m + 1).any():
        raise FormatError(f"{what}: output literal {int(outputs.max()):,} is beyond 2M + 1 = {2 * m + 1:,}")
    defined = np.zeros(m + 1, dtype=np.bool_)
    defined[0] = True
    defined[inputs >> 1] = True
    status, level = _levels(m, rows, defined)
    if status < 0:
        raise FormatError(f"{what}: AND gate {-1 - status:,} defines a variable twice, an input or an odd "
                          "literal, or reads a variable not defined before it (or beyond M)")
    if not defined[outputs >> 1].all():
        raise FormatError(f"{what}: an output reads a variable no input or AND gate defines")
    b = Builder(expected_gates=2 * len(rows))
    node = np.zeros(m + 1, dtype=np.int64)
    start = 0
    for name, width in ports_of_bits(in_names, "x") if n_in else []:
        node[inputs[start : start + width] >> 1] = b.input(name, width)
        start += width

    def literal_nodes(lits):
        nodes = node[lits >> 1]
        negated = (lits & 1) == 1
        if negated.any():
            nodes = nodes.copy()
            nodes[negated] = b.not_(nodes[negated])
        return nodes

    order = np.argsort(level, kind="stable")
    cuts = np.flatnonzero(np.diff(level[order])) + 1
    for group in np.split(order, cuts) if len(rows) else []:
        r = rows[group]
        node[r[:, 0] >> 1] = b.and_(literal_nodes(r[:, 1]), literal_nodes(r[:, 2]))
    out_nodes = literal_nodes(outputs)
    start = 0
    for name, width in ports_of_bits(out_names, "y"):
        b.output(name, out_nodes[start : start + width])
        start += width
    return b.build()
