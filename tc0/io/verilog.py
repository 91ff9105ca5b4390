"""Structural Verilog-2001 export.

One module; one ``input [W-1:0]`` / ``output [W-1:0]`` vector per port (bit 0
is the port's least significant bit) and one wire per gate, named ``g<id>``
after its node id:

* AND / OR: ``wire g7 = &{a[0], g5};`` (``|{...}`` for OR);
* NOT: ``wire g8 = ~g7;``
* MAJ over F fan-ins: the fan-ins zero-extended to ``w = F.bit_length()``
  bits and summed, compared with ``F // 2``:
  ``wire g9 = ({1'd0, a[0]} + {1'd0, g8} + {1'd0, 1'b1}) > 2'd1;``
  (repeated fan-ins are repeated, constants are ``1'b0``/``1'b1``), so every
  operand has the width of the sum and no simulator or linter has to guess.

Port names that are not plain identifiers, or are Verilog/SystemVerilog
keywords, are written as escaped identifiers (``\\name ``).
"""

from __future__ import annotations

import re

import numpy as np

from tc0.errors import CircuitError
from tc0.files import atomic_write
from tc0.io.writing import check_export_names
from tc0.ir.circuit import Circuit
from tc0.ir.schema import Kind

_KEYWORDS = frozenset(
    """
    accept_on alias always always_comb always_ff always_latch and assert assign assume automatic before begin bind
    bins binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle checker class clocking cmos config
    const constraint context continue cover covergroup coverpoint cross deassign default defparam design disable
    dist do edge else end endcase endchecker endclass endclocking endconfig endfunction endgenerate endgroup
    endinterface endmodule endpackage endprimitive endprogram endproperty endspecify endsequence endtable endtask
    enum event eventually expect export extends extern final first_match for force foreach forever fork forkjoin
    function generate genvar global highz0 highz1 if iff ifnone ignore_bins illegal_bins implements implies import
    incdir include initial inout input inside instance int integer interconnect interface intersect join join_any
    join_none large let liblist library local localparam logic longint macromodule matches medium modport module
    nand negedge nettype new nexttime nmos nor noshowcancelled not notif0 notif1 null or output package packed
    parameter pmos posedge primitive priority program property protected pull0 pull1 pulldown pullup
    pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase randsequence rcmos real realtime ref reg
    reject_on release repeat restrict return rnmos rpmos rtran rtranif0 rtranif1 s_always s_eventually s_nexttime
    s_until s_until_with scalared sequence shortint shortreal showcancelled signed small soft solve specify
    specparam static string strong strong0 strong1 struct super supply0 supply1 sync_accept_on sync_reject_on
    table tagged task this throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand trior
    trireg type typedef union unique unique0 unsigned until until_with untyped use uwire var vectored virtual void
    wait wait_order wand weak weak0 weak1 while wildcard wire with within wor xnor xor
    """.split()
)
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
#: gates formatted per write (bounds the memory of an export)
CHUNK_GATES = 1 << 16


def verilog_name(name: str) -> str:
    """``name`` as a Verilog identifier: plain if possible, else escaped."""
    if _PLAIN.fullmatch(name) and name not in _KEYWORDS:
        return name
    return f"\\{name} "


def write_verilog(circuit: Circuit, path, module: str = "tc0_circuit") -> None:
    """Write ``circuit`` to ``path`` as a structural Verilog-2001 module (atomically).

    Input and output port names must differ (Verilog has one namespace for
    ports); a clash is a ``CircuitError``. Port and module names outside
    tc0's name rule are an ``ExportError``. Written ``CHUNK_GATES`` gates at a time.
    """
    check_export_names(circuit, module)
    clash = set(circuit.inputs) & set(circuit.outputs)
    if clash:
        raise CircuitError(
            f"port(s) {', '.join(sorted(clash))} are both input and output; Verilog needs distinct names")
    ports = [*circuit.inputs, *circuit.outputs]
    prefix = "g"
    while any(re.fullmatch(re.escape(prefix) + r"\d+", p) for p in ports):
        prefix += "_"
    sources = ["1'b0", "1'b1"]
    for name, width in circuit.inputs.items():
        sources += [f"{verilog_name(name)}[{i}]" for i in range(width)]

    def ref(v: int) -> str:
        return sources[v] if v < circuit.first_gate else f"{prefix}{v}"

    def write(fh) -> None:
        fh.write(f"module {verilog_name(module)}({', '.join(verilog_name(p) for p in ports)});\n".encode())
        for name, width in circuit.inputs.items():
            fh.write(f"  input [{width - 1}:0] {verilog_name(name)};\n".encode())
        for name, ids in circuit.outputs.items():
            fh.write(f"  output [{len(ids) - 1}:0] {verilog_name(name)};\n".encode())
        for lo in range(circuit.first_gate, circuit.n_nodes, CHUNK_GATES):
            hi = min(lo + CHUNK_GATES, circuit.n_nodes)
            kinds = circuit.kind[lo:hi].tolist()
            offsets = (circuit.offsets[lo : hi + 1] - circuit.offsets[lo]).tolist()
            fanins = circuit.fanins[circuit.offsets[lo] : circuit.offsets[hi]].tolist()
            lines = [
                f"  wire {prefix}{v} = {_expression(kind, [ref(u) for u in fanins[a:b]])};\n"
                for v, kind, a, b in zip(range(lo, hi), kinds, offsets[:-1], offsets[1:])
            ]
            fh.write("".join(lines).encode())
        for name, ids in circuit.outputs.items():
            bits = ", ".join(ref(int(v)) for v in np.asarray(ids)[::-1])
            fh.write(f"  assign {verilog_name(name)} = {{{bits}}};\n".encode())
        fh.write(b"endmodule\n")

    atomic_write(path, write)


def _expression(kind: int, args: list[str]) -> str:
    """The right-hand side of one gate's wire."""
    if kind == Kind.NOT:
        return f"~{args[0]}"
    if kind == Kind.AND:
        return f"&{{{', '.join(args)}}}"
    if kind == Kind.OR:
        return f"|{{{', '.join(args)}}}"
    width = len(args).bit_length()
    pad = f"{{{width - 1}'d0, " if width > 1 else "{"
    terms = " + ".join(f"{pad}{a}}}" for a in args)
    return f"({terms}) > {width}'d{len(args) // 2}"


__all__ = ["verilog_name", "write_verilog"]
