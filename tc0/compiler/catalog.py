"""The named gadgets ``tc0 compile`` builds, with their ports and parameter ranges.

Port conventions: binary gadgets read ports ``a`` and ``b`` (unary float ops:
``a``); ``int:sum``, ``int:max``, ``int:prod``, ``float:sum`` and
``float:prod`` read one port ``x`` of M numbers concatenated (number j at bits
j*W upward, W = p + e + 1 for floats); ``float:dot`` reads ports ``a`` and
``b`` of M floats each. Results are port ``y`` (``int:cmp``: ``lt`` and
``eq``); float results are words in the encoding of DESIGN section 3,
``float:lt``/``float:eq`` one bit.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tc0.compiler.builder import Builder
from tc0.compiler.front_door import compile_circuit
from tc0.ir.circuit import Circuit
from tc0.errors import GadgetError
from tc0.numerics import FloatFormat
from tc0.numerics.format import METHODS
from tc0.compiler.gadgets import floats as fgadgets
from tc0.compiler.gadgets import crt, integer, weighted

MAX_BITS = 256
DEFAULT_BITS = 16
MAX_M = 1024


@dataclass(frozen=True)
class GadgetSpec:
    """How to build one named gadget."""

    name: str
    summary: str
    uses_m: bool
    build: Callable[[Builder, int, int], None]  # (builder, bits, m) -> declares ports
    max_bits: int = MAX_BITS
    max_m: int = MAX_M


def _binary(fn, port: str = "y"):
    def build(b: Builder, bits: int, m: int) -> None:
        b.output(port, np.reshape(fn(b, b.input("a", bits), b.input("b", bits)), -1))  # a one-bit result: 1 bit

    return build


def _cmp(b: Builder, bits: int, m: int) -> None:
    x, y = b.input("a", bits), b.input("b", bits)
    b.output("lt", integer.less_than(b, x, y)[None])
    b.output("eq", integer.equal(b, x, y)[None])


def _over_m(fn):
    def build(b: Builder, bits: int, m: int) -> None:
        b.output("y", fn(b, b.input("x", bits * m).reshape(m, bits)))

    return build


GADGETS: dict[str, GadgetSpec] = {
    spec.name: spec
    for spec in (
        GadgetSpec("int:add", "a + b, W+1 bits (depth 4)", False, _binary(integer.add)),
        GadgetSpec("int:sub", "a - b mod 2^(W+1), two's complement, top bit = borrow (depth 4)", False,
                   _binary(integer.sub)),
        GadgetSpec("int:cmp", "lt = [a < b], eq = [a == b] (depth 4)", False, _cmp),
        GadgetSpec("int:mul", "a * b, 2W bits (depth 11)", False, _binary(integer.multiply), max_bits=64),
        GadgetSpec("int:sum", "sum of M W-bit numbers, W + ceil(log2 M) bits (depth 10 for M >= 4)", True,
                   _over_m(integer.iterated_sum), max_m=256),
        GadgetSpec("int:max", "maximum of M W-bit numbers, W bits (depth 6)", True,
                   _over_m(integer.maximum), max_m=128),
        GadgetSpec("int:prod", "product of M W-bit numbers, M*W bits (Chinese remaindering)", True,
                   _over_m(crt.iterated_product), max_bits=32, max_m=32),
        # the depth records (docs/gadgets.md): small W only, their edges grow as W^6 and more
        GadgetSpec("int:lt-delta", "lt = [a < b] in depth 3, weights polynomial in W: about W^6 edges "
                   "(W = 32: 6.1e8 edges, 10 GB to build)", False, _binary(weighted.less_than_delta, "lt"), max_bits=32),
        GadgetSpec("int:lt-weights", "lt = [a < b] as one threshold gate, weights 2^j (depth 2, 2^(W+2) edges)", False,
                   _binary(weighted.less_than_weights, "lt"), max_bits=24),
        GadgetSpec("int:add-delta", "a + b, W+1 bits, in depth 3, weights polynomial in W: about W^7 edges "
                   "(W = 20: 3.2e8 edges, 3.7 GB to build)", False, _binary(weighted.add_delta), max_bits=20),
        GadgetSpec("int:sum-delta", "sum of M W-bit numbers through int:add-delta (depth 5 built for depth)", True,
                   _over_m(weighted.sum_delta), max_bits=16, max_m=16),
        GadgetSpec("int:mul-delta", "a * b, 2W bits, through int:add-delta (depth 6 built for depth)", False,
                   _binary(weighted.multiply_delta), max_bits=10),
    )
}


#: input ports of a float gadget, by its shape; "reduce" and "pair" ports hold M words
SHAPE_PORTS = {"unary": ("a",), "binary": ("a", "b"), "reduce": ("x",), "pair": ("a", "b")}


def shape_operands(shape: str, cases) -> tuple:
    """Input cases, one per row ((N, 1), (N, 2), (N, M) or (N, 2, M) by
    ``shape``), split into one array per port of ``SHAPE_PORTS[shape]``."""
    if shape == "reduce":
        return (cases,)
    return tuple(cases[:, i] for i in range(len(SHAPE_PORTS[shape])))


@dataclass(frozen=True)
class FloatGadgetSpec:
    """A float gadget: its operation, input shape and size limit on M."""

    name: str
    summary: str
    shape: str  # "unary", "binary", "reduce" (port x of M floats) or "pair" (ports a, b of M floats)
    op: Callable
    max_m: int = 0


FLOAT_GADGETS: dict[str, FloatGadgetSpec] = {
    spec.name: spec
    for spec in (
        FloatGadgetSpec("float:add", "a + b, correctly rounded", "binary", fgadgets.add),
        FloatGadgetSpec("float:sub", "a - b, correctly rounded", "binary", fgadgets.sub),
        FloatGadgetSpec("float:mul", "a * b, correctly rounded", "binary", fgadgets.mul),
        FloatGadgetSpec("float:div", "a / b, correctly rounded (x/0 = +-max, 0/0 = 0)", "binary", fgadgets.div),
        FloatGadgetSpec("float:lt", "[a < b], one bit", "binary", fgadgets.less_than),
        FloatGadgetSpec("float:eq", "[a == b], one bit", "binary", fgadgets.equal),
        FloatGadgetSpec("float:max", "max(a, b)", "binary", fgadgets.maximum),
        FloatGadgetSpec("float:sqrt", "sqrt(a), correctly rounded (0 for a < 0)", "unary", fgadgets.sqrt),
        FloatGadgetSpec("float:exp", "exp(a), faithfully rounded", "unary", fgadgets.exp),
        FloatGadgetSpec("float:relu", "max(a, 0)", "unary", fgadgets.relu),
        FloatGadgetSpec("float:sum", "sum of M floats (DESIGN's truncated-sum semantics)", "reduce", fgadgets.sum_,
                        max_m=256),
        FloatGadgetSpec("float:prod", "product of M floats, rounded once", "reduce", fgadgets.prod, max_m=32),
        FloatGadgetSpec("float:dot", "dot product of two vectors of M floats", "pair", fgadgets.dot, max_m=256),
    )
}


def float_spec(name: str) -> FloatGadgetSpec:
    """The float gadget ``name`` ("float:add" or "add")."""
    full = name if name.startswith("float:") else f"float:{name}"
    if full not in FLOAT_GADGETS:
        if name in GADGETS:
            raise GadgetError(f"{name} is an integer gadget, not a float gadget")
        raise GadgetError(f"unknown float gadget {name!r}; known: {', '.join(FLOAT_GADGETS)}")
    return FLOAT_GADGETS[full]


def _build_float(b: Builder, spec: FloatGadgetSpec, fmt: FloatFormat, m: int) -> None:
    port_shape = (m, fmt.width) if spec.shape in ("reduce", "pair") else (fmt.width,)  # M words or one
    ports = [b.input(name, math.prod(port_shape)).reshape(port_shape) for name in SHAPE_PORTS[spec.shape]]
    b.output("y", np.asarray(spec.op(b, fmt, *ports)).reshape(-1))


#: the float gadgets with more than one algorithm (``--method``, DESIGN section 10)
METHOD_GADGETS = ("float:div", "float:sqrt", "float:exp")
#: ``--method`` values: a method of ``METHODS``, or "auto" (the smaller circuit at the given format)
METHOD_CHOICES = (*METHODS, "auto")


#: the largest p of module runs, reports and gadget tables (e up to p + 1 there): each prices or
#: builds many gadgets at the format, which a bound keeps to seconds and megabytes
MAX_MODULE_P = 128


def float_format(p: int | None, e: int | None, *, method: str = "table", modules: bool = False,
                 optimize: str = "size") -> FloatFormat:
    """The format (p, e) with div/sqrt/exp by ``method``, built for ``optimize``, as a GadgetError on
    bad values. Any width (DESIGN section 10): words past 64 bits are Python
    integers on the reference paths. ``modules``: for module runs, reports
    and gadget tables, p and e are also bounded by ``MAX_MODULE_P``."""
    if p is None:
        raise GadgetError("float gadgets need p (significand bits)", parameters=("p",))
    try:
        fmt = FloatFormat(p, e, method, optimize)
    except ValueError as exc:
        raise GadgetError(str(exc), parameters=getattr(exc, "parameters", ())) from None
    if modules and (fmt.p > MAX_MODULE_P or fmt.e > MAX_MODULE_P + 1):
        raise GadgetError(f"modules, reports and gadget tables take p up to {MAX_MODULE_P} and e up to "
                          f"{MAX_MODULE_P + 1}, got p = {fmt.p}, e = {fmt.e}", parameters=("p", "e"))
    return fmt


def gadget_method(name: str, method: str | None, p: int | None = None, e: int | None = None,
                  m: int | None = None) -> str:
    """The method gadget ``name`` is built with: "table" when ``method`` is
    None; for "auto", the method whose circuit is smaller at (p, e) (the
    table method where both are equal, the series where the table's ROM is
    refused). A method named for a gadget that has only one is a GadgetError."""
    if method is None:
        return "table"
    _check_method(method)
    if name not in METHOD_GADGETS:
        if method == "auto":
            return "table"
        raise GadgetError(f"{name} has a single algorithm; --method {method} applies to {', '.join(METHOD_GADGETS)} "
                          "(and to modules, through them)", parameters=("method",))
    return _smaller_method((name,), p, e, m) if method == "auto" else method


def module_format(p: int, e: int | None, method: str | None = None, optimize: str = "size") -> FloatFormat:
    """The format (p, e) of module runs, reports and gadget tables (p and e
    bounded by ``MAX_MODULE_P``), its div, sqrt and exp by ``method``:
    "table" when None; for "auto", the method whose three gadgets together
    are smaller there."""
    float_format(p, e, modules=True)  # a bad format is refused before any gadget is priced
    if method is None:
        method = "table"
    _check_method(method)
    if method == "auto":
        method = _smaller_method(METHOD_GADGETS, p, e)
    return float_format(p, e, modules=True, method=method, optimize=optimize)


def _check_method(method: str) -> None:
    if method not in METHOD_CHOICES:
        raise GadgetError(f"method must be one of {', '.join(METHOD_CHOICES)}, got {method!r}",
                          parameters=("method",))


def _smaller_method(names, p, e, m=None) -> str:
    """The method whose gadgets ``names`` have the fewest gates in all at
    (p, e) (the table method on a tie; a method that refuses the format does not count)."""
    float_format(p, e)  # a bad format is refused as such
    sizes = {}
    for method in METHODS:
        try:
            sizes[method] = sum(gadget_stats(name, None, m, p, e, method).size for name in names)
        except GadgetError:
            continue
    return min(sizes, key=sizes.get)


def compile_gadget(name: str, bits: int | None = None, m: int | None = None, p: int | None = None,
                   e: int | None = None, method: str | None = None, optimize: str = "size") -> Circuit:
    """Build gadget ``name``: integer gadgets take ``bits`` (and ``m``), float
    gadgets ``p`` (and ``e``, ``m``, and ``method`` for div/sqrt/exp: see ``gadget_method``);
    ``optimize``: "size" or "depth" (see ``Builder``)."""
    if gadget_family(name, bits, p, e) == "float":
        return _compile_float(FLOAT_GADGETS[name], m, p, e, gadget_method(name, method, p, e, m), optimize)
    if method is not None:
        raise GadgetError(f"{name} is an integer gadget: it has no --method", parameters=("method",))
    spec = GADGETS[name]
    if bits is None:
        bits = DEFAULT_BITS
    if not 1 <= bits <= spec.max_bits:
        raise GadgetError(f"{name}: bits must be in 1..{spec.max_bits}, got {bits}", parameters=("bits",))
    _check_m(name, m, spec.max_m if spec.uses_m else 0)
    return _build(name, lambda b: spec.build(b, bits, m or 1), optimize)


#: the "standard" float operations whose largest depth is the paper's d_std
D_STD_GADGETS = ("float:add", "float:mul", "float:lt")


@dataclass(frozen=True)
class GadgetStats:
    """Measures of one compiled gadget, and the seconds its build took."""

    size: int
    edges: int
    depth: int
    seconds: float


def gadget_stats(name: str, bits: int | None = None, m: int | None = None, p: int | None = None,
                 e: int | None = None, method: str | None = None, optimize: str = "size") -> GadgetStats:
    """The measures of ``compile_gadget(name, bits, m, p, e, method, optimize)``, built
    once per process. ``method`` may be a format's method whatever the
    gadget: those with a single algorithm ignore it."""
    return _stats(name, bits, m, p, e, method if name in METHOD_GADGETS else None, optimize)


@functools.lru_cache(maxsize=None)
def _stats(name: str, bits: int | None, m: int | None, p: int | None, e: int | None,
           method: str | None, optimize: str) -> GadgetStats:
    start = time.perf_counter()
    circuit = compile_gadget(name, bits, m, p, e, method, optimize)
    return GadgetStats(circuit.size, circuit.edges, circuit.depth, time.perf_counter() - start)


def gadget_family(name: str, bits: int | None, p: int | None, e: int | None) -> str:
    """"int" or "float" for a known gadget name, refusing unknown names and
    parameters of the other family."""
    if name in FLOAT_GADGETS:
        if bits is not None:
            raise GadgetError(f"{name} is a float gadget: use p/e, not bits", parameters=("bits", "p", "e"))
        return "float"
    if name not in GADGETS:
        raise GadgetError(f"unknown gadget {name!r}; known: {', '.join([*GADGETS, *FLOAT_GADGETS])}")
    if p is not None or e is not None:
        raise GadgetError(f"{name} is an integer gadget: use bits, not p/e", parameters=("bits", "p", "e"))
    return "int"


def _compile_float(spec: FloatGadgetSpec, m, p, e, method: str, optimize: str) -> Circuit:
    fmt = float_format(p, e, method=method, optimize=optimize)
    _check_m(spec.name, m, spec.max_m)
    return _build(spec.name, lambda b: _build_float(b, spec, fmt, m or 1), optimize)


def _check_m(name: str, m: int | None, max_m: int) -> None:
    """``max_m`` = 0: the gadget takes no m; otherwise m is required in 1..max_m."""
    if not max_m:
        if m is not None:
            raise GadgetError(f"{name} takes no m", parameters=("m",))
        return
    if m is None:
        raise GadgetError(f"{name} needs m (the number of operands)", parameters=("m",))
    if not 1 <= m <= max_m:
        raise GadgetError(f"{name}: m must be in 1..{max_m}, got {m}", parameters=("m",))


def _build(name: str, declare: Callable[[Builder], None], optimize: str) -> Circuit:
    return compile_circuit(lambda b, checkpoint: declare(b), scope=name, optimize=optimize)
