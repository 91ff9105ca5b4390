"""BLIF import: the flat combinational subset ABC and Yosys write (``.model``,
``.inputs``, ``.outputs``, ``.names`` covers, ``.end``; lines continued with
``\\``, ``#`` comments). The writer is ``tc0.io.blif``.

A ``.names`` block is a cover: each cube line (``1`` the input, ``0`` its
negation, ``-`` absent) is an AND of literals, the block the OR of its cubes
when the output column is 1 (the on-set), the NOT of that OR when it is 0
(the off-set); with no inputs it is a constant. Blocks may come in any
order; they are built in topological order.

Refused with one line naming the line or net: ``.latch`` (a sequential
circuit), any other directive, a second ``.model``, cubes of the wrong width
or with other characters, on-set and off-set lines in one cover, a net
defined twice or never, and a combinational loop. Ports come from the net
names where they spell ``port[j]`` (as tc0, ABC and Yosys write them); else
the inputs are one port ``x``, the outputs one port ``y``.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from tc0.compiler.builder import Builder
from tc0.errors import FormatError
from tc0.files import open_regular
from tc0.ir.circuit import Circuit
from tc0.ir.names import ports_of_bits
from tc0.ir.schema import ONE, ZERO, Kind

#: the largest file ``read_blif`` reads, in bytes, unless told otherwise
MAX_BYTES = 1 << 30


def read_blif(path, max_bytes: int = MAX_BYTES) -> Circuit:
    """Import a BLIF file; see the module docstring."""
    with open_regular(path, FormatError, "BLIF file") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FormatError(f"BLIF file {path}: larger than {max_bytes:,} bytes")
    return parse_blif(data.decode("utf-8", "replace"), f"BLIF file {path}")


class _Cover:
    def __init__(self, inputs: list[str], output: str, line: int):
        self.inputs, self.output, self.line = inputs, output, line
        self.cubes: list[str] = []
        self.value: str | None = None


def _logical_lines(text: str):
    """(line number, tokens) per logical line: comments dropped, ``\\`` continuations joined."""
    pending, first = [], 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip()
        if not pending:
            first = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        tokens = " ".join([*pending, line]).split()
        pending = []
        if tokens:
            yield first, tokens


def parse_blif(text: str, what: str = "BLIF input") -> Circuit:
    """The circuit of BLIF ``text`` (``what`` names it in errors)."""
    inputs: list[str] = []
    outputs: list[str] = []
    covers: list[_Cover] = []
    models = 0
    for number, tokens in _logical_lines(text):
        head = tokens[0]
        where = f"{what}, line {number}"
        if head == ".model":
            models += 1
            if models > 1:
                raise FormatError(f"{where}: a second .model; tc0 reads one flat model")
        elif head == ".inputs":
            inputs += tokens[1:]
        elif head == ".outputs":
            outputs += tokens[1:]
        elif head == ".names":
            if len(tokens) < 2:
                raise FormatError(f"{where}: .names needs an output net")
            covers.append(_Cover(tokens[1:-1], tokens[-1], number))
        elif head == ".end":
            break
        elif head in (".latch", ".mlatch"):
            raise FormatError(f"{where}: {head}: a sequential circuit; tc0 reads combinational BLIF only")
        elif head.startswith("."):
            raise FormatError(f"{where}: unsupported directive {head} (tc0 reads .model, .inputs, .outputs, "
                              ".names and .end)")
        elif not covers:
            raise FormatError(f"{where}: a cube line outside any .names")
        else:
            _add_cube(covers[-1], tokens, where)
    return _build(inputs, outputs, covers, what)


def _add_cube(cover: _Cover, tokens: list[str], where: str) -> None:
    k = len(cover.inputs)
    cube, value = ("", tokens[0]) if k == 0 and len(tokens) == 1 else (tokens[0], tokens[-1])
    if len(tokens) != (1 if k == 0 else 2) or len(cube) != k or set(cube) - set("01-") or value not in ("0", "1"):
        raise FormatError(f"{where}: a cube of .names {cover.output} must be {k} of 0/1/- and an output 0 or 1")
    if cover.value not in (None, value):
        raise FormatError(f"{where}: .names {cover.output} mixes on-set and off-set cubes")
    cover.value = value
    cover.cubes.append(cube)


def _order(inputs: list[str], covers: list[_Cover], what: str) -> list[_Cover]:
    """The covers in topological order, after the net checks."""
    defined: dict[str, _Cover | None] = dict.fromkeys(inputs)
    if len(defined) != len(inputs):
        raise FormatError(f"{what}: an input net is declared twice")
    for cover in covers:
        if cover.output in defined:
            raise FormatError(f"{what}, line {cover.line}: net {cover.output} is defined twice")
        defined[cover.output] = cover
    readers: dict[str, list[_Cover]] = {}
    waiting = {}
    for cover in covers:
        for net in cover.inputs:
            if net not in defined:
                raise FormatError(f"{what}, line {cover.line}: net {net} is read but never defined")
        needs = {net for net in cover.inputs if defined[net] is not None}
        waiting[id(cover)] = len(needs)
        for net in needs:
            readers.setdefault(net, []).append(cover)
    ready = deque(c for c in covers if waiting[id(c)] == 0)
    order = []
    while ready:
        cover = ready.popleft()
        order.append(cover)
        for reader in readers.get(cover.output, ()):
            waiting[id(reader)] -= 1
            if waiting[id(reader)] == 0:
                ready.append(reader)
    if len(order) != len(covers):
        stuck = next(c for c in covers if waiting[id(c)] > 0)
        raise FormatError(f"{what}: a combinational loop through net {stuck.output} (line {stuck.line})")
    return order


def _build(inputs: list[str], outputs: list[str], covers: list[_Cover], what: str) -> Circuit:
    if not outputs:
        raise FormatError(f"{what}: no .outputs")
    order = _order(inputs, covers, what)
    for net in outputs:
        if net not in inputs and all(c.output != net for c in covers):
            raise FormatError(f"{what}: output net {net} is never defined")
    b = Builder(expected_gates=sum(len(c.cubes) + 1 for c in covers))
    node: dict[str, int] = {}
    start = 0
    for name, width in ports_of_bits(inputs, "x") if inputs else []:
        node.update(zip(inputs[start : start + width], b.input(name, width).tolist()))
        start += width
    for cover in order:
        node[cover.output] = _cover_node(b, cover, node)
    out_nodes = np.array([node[net] for net in outputs])
    start = 0
    for name, width in ports_of_bits(outputs, "y"):
        b.output(name, out_nodes[start : start + width])
        start += width
    return b.build()


def _cover_node(b: Builder, cover: _Cover, node: dict[str, int]) -> int:
    fanins = np.array([node[net] for net in cover.inputs], dtype=np.int64)
    read_negated = np.array([any(cube[i] == "0" for cube in cover.cubes) for i in range(len(fanins))], dtype=bool)
    negated = fanins.copy()
    if read_negated.any():
        negated[read_negated] = b.not_(fanins[read_negated])
    terms = []
    for cube in cover.cubes:
        literals = [fanins[i] if c == "1" else negated[i] for i, c in enumerate(cube) if c != "-"]
        terms.append(int(b.gate(Kind.AND, np.array(literals))) if literals else ONE)
    on = int(b.gate(Kind.OR, np.array(terms))) if terms else ZERO
    return on if cover.value != "0" else int(b.not_(on))
