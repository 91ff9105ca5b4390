"""One piece of a streamed run (DESIGN section 9): one float operation on a
slice of its independent elements, built into its own small circuit with the
real builder and gadgets, measured, simulated on the sample batch when there
is one, compared with the p-bit reference operation, and dropped.

What travels between pieces is ``Wires``: per scalar and bit, whether it is
a constant (and which), the level at which it is ready, the level at which
its negation is (a format built for depth negates a gate by its twin,
``tc0.compiler.negations``: a piece builds the twins of its outputs where
they are shallower than a NOT), and its words on the samples.
``run_piece`` is a pure function of its arguments, so it runs the same in
this process or as a Dask task on any worker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np

from tc0.compiler.builder import WIRE, Builder
from tc0.memory import peak_bytes
from tc0.ir.schema import FIRST_INPUT, ONE, ZERO
from tc0.ir.sweeps import node_levels
from tc0.models.backend import Backend
from tc0.models.backends.circuit import CircuitBackend
from tc0.models.backends.pbit import PbitBackend
from tc0.numerics import FloatFormat
from tc0.simulator import simulate

#: constness of a bit: this value means "not a constant" (else the constant bit, 0 or 1)
VARIABLE = -1


@dataclass(frozen=True)
class Wires:
    """Scalars as a piece sees them: ``const`` (count, width) int8, a bit's
    constant value or ``VARIABLE``; ``level`` (count, width) int32, the depth
    at which each bit is ready, ``neg`` the depth at which its negation is;
    ``words`` (samples, count) of the format's word dtype, their values on the
    samples (None when measuring only)."""

    const: np.ndarray
    level: np.ndarray
    neg: np.ndarray
    words: np.ndarray | None

    @classmethod
    def sources(cls, const: np.ndarray, words: np.ndarray | None) -> Wires:
        """Input or constant bits: ready at level 0, a variable's negation at 1."""
        level = np.zeros(const.shape, np.int32)
        return cls(const, level, (const == VARIABLE).astype(np.int32), words)


@dataclass(frozen=True)
class Piece:
    """One operation on a slice of elements.

    The piece's distinct input scalars are ``sources``: scalar k is entry
    ``source_pos[k]`` of origin ``source_origin[k]`` (an index into the
    origins ``run_piece`` is given). Operand i reads ``sources[gathers[i]]``:
    shape (elements,) for elementwise operations, (elements, m) for ``sum``.
    ``op`` names the ``Backend`` method: the circuit backend builds it, the
    p-bit backend is its reference.
    """

    op: str
    fmt: FloatFormat
    scope: str
    source_origin: np.ndarray
    source_pos: np.ndarray
    gathers: tuple[np.ndarray, ...]
    expected_gates: int

    @property
    def elements(self) -> int:
        return len(self.gathers[0])


@dataclass(frozen=True)
class PieceResult:
    """A piece's outputs and measures: ``size``/``edges`` of its circuit,
    gates per scope path, output words that differ from the p-bit reference
    (``mismatches``), and the peak resident memory of the process that ran it.
    ``wires`` is None once dropped (``measures_of``)."""

    wires: Wires | None
    size: int
    edges: int
    scope_sizes: dict[str, int]
    mismatches: int
    peak_rss: int
    pid: int


def wires_of(origin: Wires | PieceResult) -> Wires:
    """The scalars an origin holds: an input or constant block is its wires, a piece its outputs'."""
    return origin.wires if isinstance(origin, PieceResult) else origin


def gather_wires(source_origin: np.ndarray, source_pos: np.ndarray, origins, fmt: FloatFormat) -> Wires:
    """Scalars of format ``fmt`` gathered from ``origins`` (``Wires`` or ``PieceResult``):
    scalar k is entry ``source_pos[k]`` of ``origins[source_origin[k]]``."""
    width = fmt.width
    origins = [wires_of(o) for o in origins]
    count = len(source_pos)
    const = np.empty((count, width), dtype=np.int8)
    level = np.empty((count, width), dtype=np.int32)
    neg = np.empty((count, width), dtype=np.int32)
    samples = None if origins[0].words is None else origins[0].words.shape[0]
    words = None if samples is None else np.empty((samples, count), dtype=fmt.word_dtype)
    for k, origin in enumerate(origins):
        mine = source_origin == k
        pos = source_pos[mine]
        const[mine], level[mine], neg[mine] = origin.const[pos], origin.level[pos], origin.neg[pos]
        if words is not None:
            words[:, mine] = origin.words[:, pos]
    return Wires(const, level, neg, words)


def measures_of(result: PieceResult) -> PieceResult:
    """``result`` without its wires: what of a piece is gathered to the process that streams."""
    return replace(result, wires=None)


def _apply(backend: Backend, op: str, operands) -> np.ndarray:
    """``op`` on ``backend`` (a sum reduces the operand's last scalar axis)."""
    return backend.sum(operands[0], axis=-1) if op == "sum" else getattr(backend, op)(*operands)


def _with_twins(b: Builder, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(level, negation's level) of the output bits ``out``, building the
    twins of those whose twin is shallower than a NOT (an output port of
    their own, so they are counted as one build would count them where used)."""
    level, neg = b.levels_of(out)
    level, neg = level.astype(np.int32), np.minimum(neg, level + 1).astype(np.int32)
    twinned = (neg <= level) & (out >= b.first_gate)
    if twinned.any():
        twins = b.not_(out[twinned])
        b.output("Y_negated", twins)
        neg[twinned] = b.levels_of(twins)[0]
    return level, neg


def run_piece(piece: Piece, *origins) -> PieceResult:
    """Build, measure and (when the origins carry words) simulate and check one piece."""
    fmt = piece.fmt
    src = gather_wires(piece.source_origin, piece.source_pos, origins, fmt)
    count, width = src.const.shape
    b = Builder(expected_gates=piece.expected_gates, optimize=fmt.optimize)
    by_depth = fmt.optimize == "depth"
    with b.scope(piece.scope):
        port = b.input("X", count * width).reshape(count, width)
        if by_depth:
            b.set_source_levels(port, src.level, src.neg)
        wires = np.where(src.const == VARIABLE, port, np.where(src.const == 1, ONE, ZERO)).astype(WIRE)
        out = _apply(CircuitBackend(b, fmt), piece.op, [wires[g] for g in piece.gathers])
        b.output("Y", out)
        if by_depth:
            level, neg = _with_twins(b, out)
    circuit = b.build(levels=False)  # its levels start at the inputs' (below); simulate computes its own
    ids = circuit.outputs["Y"].reshape(piece.elements, width)
    if not by_depth:
        start = np.zeros(circuit.first_gate, dtype=np.int32)
        start[FIRST_INPUT:] = src.level.reshape(-1)
        level = node_levels(circuit.offsets, circuit.fanins, start)[ids]
        neg = level + 1
    const = np.where(ids == ZERO, 0, np.where(ids == ONE, 1, VARIABLE)).astype(np.int8)
    scope_sizes = np.bincount(circuit.scope[circuit.first_gate:], minlength=len(circuit.scopes))
    words, mismatches = None, 0
    if src.words is not None:
        samples = src.words.shape[0]
        bits = fmt.to_bits(src.words).reshape(samples, -1)
        out_bits = simulate(circuit, {"X": bits})["Y"].reshape(samples, piece.elements, width)
        words = fmt.from_bits(out_bits)
        expected = _apply(PbitBackend(fmt), piece.op, [src.words[:, g] for g in piece.gathers])
        mismatches = int(np.count_nonzero(words != expected))
    return PieceResult(
        wires=Wires(const, level, np.where(const == VARIABLE, neg, 0).astype(np.int32), words),
        size=circuit.size,
        edges=circuit.edges,
        scope_sizes={circuit.scopes[i]: int(s) for i, s in enumerate(scope_sizes) if s},
        mismatches=mismatches,
        peak_rss=peak_bytes(),
        pid=os.getpid(),
    )
