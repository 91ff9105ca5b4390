"""Streamed runs (DESIGN section 9) against whole builds: equal depth, size
within 3% (the gates one build shares across operations: docs/report.md), every piece and the output bit-exact against the p-bit reference
(``tc0.models.run`` on the pbit backend, an independent emulation)."""

from __future__ import annotations

import numpy as np
import pytest

from tc0.cluster import Runner
from tc0.errors import GateBudgetError
from tc0.models.backends import pieces
from tc0.models.backends.circuit import CircuitBackend
from tc0.models.compile import build_circuit
from tc0.models.module import make_config, random_weights
from tc0.models.registry import MODULES, get_module
from tc0.models.streamed import module_scopes, stream_module
from tc0.numerics import FloatFormat
from tc0.verify.module_check import check_module

FMT = FloatFormat(8, 9)
#: small sizes every module builds whole in a few seconds
SMALL = {name: dict(n=2, c=2, scales=2) for name in ("flowar", "fast-flowar", "var-transformer", "var-reconstruct",
                                                     "var", "fast-var-transformer", "fast-var")}


def _setup(name, **given):
    spec = get_module(name)
    cfg = make_config(spec, **(given or SMALL.get(name, dict(n=2, c=2))))
    return spec, cfg, random_weights(spec, cfg, seed=3)


@pytest.mark.parametrize("name", list(MODULES))
def test_streamed_depth_equals_whole_and_size_within_three_percent(name):
    _streamed_against_whole(name, FMT)


@pytest.mark.parametrize("name", ["attention", "layernorm", "ffn", "flowar"])
def test_streamed_depth_equals_whole_when_built_for_depth(name):
    """Pieces carry each bit's negation level and build their outputs' twins
    (all of them, where one build makes only those some reader negates: 3-15 %
    more gates here, most in ffn, whose products' rounded words feed sums)."""
    _streamed_against_whole(name, FloatFormat(8, 9, optimize="depth"), piece_gates=40_000, excess=1.2)


def _streamed_against_whole(name, fmt, piece_gates=20_000, excess=1.03):
    spec, cfg, weights = _setup(name)
    whole = build_circuit(spec, cfg, fmt, weights)
    streamed = stream_module(spec, cfg, fmt, weights, Runner())
    sliced = stream_module(spec, cfg, fmt, weights, Runner(), piece_gates=piece_gates)
    assert streamed.depth == sliced.depth == whole.depth
    assert whole.size <= streamed.size <= excess * whole.size
    assert sliced.size >= whole.size  # pieces share less than one build, never more
    assert sum(streamed.scope_sizes.values()) == streamed.size


def test_small_pieces_keep_depth():
    """Slicing an operation finer changes which gates pieces share, never the depth."""
    spec, cfg, weights = _setup("attention", n=2, c=4)
    coarse = stream_module(spec, cfg, FMT, weights, Runner())
    fine = stream_module(spec, cfg, FMT, weights, Runner(), piece_gates=30_000)
    assert fine.pieces > 2 * coarse.pieces
    assert fine.depth == coarse.depth and fine.size >= coarse.size


@pytest.mark.parametrize("name,as_inputs,piece_gates", [
    ("attention", False, 50_000), ("layernorm", True, 50_000), ("flowar", False, 1_000_000),
    ("fast-attention", False, 1_000_000)])
def test_streamed_check_is_bit_exact(name, as_inputs, piece_gates):
    spec, cfg, weights = _setup(name)
    result = check_module(spec, cfg, FMT, weights, samples=4, runner=Runner(), piece_gates=piece_gates,
                          weights_as_inputs=as_inputs)
    whole = check_module(spec, cfg, FMT, weights, samples=4, weights_as_inputs=as_inputs)
    assert result["bit_exact"] and result["mismatching_ops"] == []
    assert result["depth"] == whole["depth"] and result["pieces"] >= 1
    assert result["max_abs_err"] == whole["max_abs_err"]


def test_a_wrong_gadget_is_named(monkeypatch):
    """A piece whose circuit differs from its reference operation makes the check fail and names it."""
    monkeypatch.setattr(CircuitBackend, "exp", CircuitBackend.relu)
    spec, cfg, weights = _setup("attention")
    result = check_module(spec, cfg, FMT, weights, samples=2, runner=Runner())
    assert not result["bit_exact"]
    assert {op["op"] for op in result["mismatching_ops"]} == {"exp"}
    assert all("attention" in op["scope"] for op in result["mismatching_ops"])


def test_carried_levels_offset_the_piece():
    """Inputs ready at level L push every output bit of a piece down by exactly L."""
    width = FMT.width
    piece = pieces.Piece(op="mul", fmt=FloatFormat(8, 9), scope="t", source_origin=np.zeros(3, np.int32),
                         source_pos=np.arange(3), gathers=(np.array([0, 1]), np.array([2, 2])), expected_gates=0)
    words = FMT.encode(np.array([[0.5, -1.25, 3.0], [1.0, 2.0, -0.75]]))

    def origin(level):
        const = np.full((3, width), pieces.VARIABLE, np.int8)
        return pieces.Wires(const, np.full((3, width), level, np.int32), np.full((3, width), level + 1, np.int32),
                            words)

    at0, at100 = pieces.run_piece(piece, origin(0)), pieces.run_piece(piece, origin(100))
    variable = at0.wires.const == pieces.VARIABLE
    assert np.array_equal(at100.wires.level[variable], at0.wires.level[variable] + 100)
    assert at0.mismatches == 0 and at0.size == at100.size > 0
    from tc0.numerics import reference as ref
    assert np.array_equal(at0.wires.words, ref.mul(FMT, words[:, [0, 1]], words[:, [2, 2]]))


def test_constant_bits_fold():
    """A constant operand enters as constants: x * 1.0 needs fewer gates than x * y."""
    width = FMT.width
    piece = pieces.Piece(op="mul", fmt=FloatFormat(8, 9), scope="t", source_origin=np.zeros(2, np.int32),
                         source_pos=np.arange(2), gathers=(np.array([0]), np.array([1])), expected_gates=0)
    one = FMT.to_bits(FMT.encode(np.array(1.0))).astype(np.int8)
    const = np.full((2, width), pieces.VARIABLE, np.int8)
    variable = pieces.run_piece(piece, pieces.Wires.sources(const, None))
    const[1] = one
    folded = pieces.run_piece(piece, pieces.Wires.sources(const, None))
    assert 0 < folded.size < variable.size and folded.wires.words is None


def test_piece_budget_below_one_gadget_is_refused():
    spec, cfg, weights = _setup("attention")
    with pytest.raises(GateBudgetError, match=r"piece_gates 100 is smaller than one float:\w+ gadget"):
        stream_module(spec, cfg, FMT, weights, Runner(), piece_gates=100)
    with pytest.raises(GateBudgetError, match="piece_gates must be >= 1"):
        stream_module(spec, cfg, FMT, weights, Runner(), piece_gates=0)


def test_module_scopes_cut_at_the_gadget():
    rows = dict(module_scopes({"m/a/fadd/align": 3, "m/a/fadd": 2, "m/b/fmul": 7, "m": 1}))
    assert rows == {"m/a/fadd": 5, "m/b/fmul": 7, "m": 1}
