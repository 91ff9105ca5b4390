"""Constant depth and polynomial size of the catalog's integer gadgets.

The TC0 claim for integer arithmetic is: depth independent of the width W and
of the operand count m, size polynomial in both. These tests build the
catalog circuits over a range of W (or m), assert one depth for the whole
range, and fit log(size) against log(W) (or log(m)) by least squares; the
fitted exponent is printed (``pytest -s``) and put in the assertion message.
"""

from __future__ import annotations

import numpy as np
import pytest

from tc0.compiler.catalog import compile_gadget

WIDTHS = [8, 16, 32, 64, 128]
SUM_MS = [2, 3, 4, 8, 16, 32, 64, 128, 256]


def fitted_exponent(xs, ys) -> float:
    """Least-squares slope of log(y) against log(x)."""
    slope, _ = np.polyfit(np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float)), 1)
    return float(slope)


def _measure(name, params, fixed):
    rows = []
    for p in params:
        c = compile_gadget(name, **{**fixed, **p})
        rows.append((p, c.depth, c.size, c.edges))
    return rows


def _report(label, rows, xs):
    sizes, edges = [r[2] for r in rows], [r[3] for r in rows]
    e_size, e_edges = fitted_exponent(xs, sizes), fitted_exponent(xs, edges)
    table = "; ".join(f"{x}: depth {r[1]} size {r[2]} edges {r[3]}" for x, r in zip(xs, rows))
    msg = f"{label}: size ~ x^{e_size:.2f}, edges ~ x^{e_edges:.2f} [{table}]"
    print("\n" + msg)
    return e_size, e_edges, msg


@pytest.mark.parametrize("name,size_bound,edge_bound", [("int:add", 4.0, 4.0), ("int:cmp", 4.0, 4.0)])
def test_depth_constant_in_width(name, size_bound, edge_bound):
    """int:add (depth 4) and int:cmp (depth 4) have one depth for W = 8..128."""
    rows = _measure(name, [{"bits": w} for w in WIDTHS], {})
    depths = {r[1] for r in rows}
    e_size, e_edges, msg = _report(f"{name} vs W", rows, WIDTHS)
    assert len(depths) == 1, f"{name}: depth varies with W: {msg}"
    assert depths == {4}, msg
    assert e_size < size_bound, f"{name}: size grows faster than W^{size_bound}: {msg}"
    assert e_edges < edge_bound, f"{name}: edges grow faster than W^{edge_bound}: {msg}"
    assert all(r1[2] <= r2[2] for r1, r2 in zip(rows, rows[1:])), f"size not monotone in W: {msg}"


def test_iterated_sum_depth_constant_in_m():
    """int:sum at W=16 over m = 2..256: depth 4 at m=2, 7 at m=3, and a single
    depth, 10, for every m >= 4 (the threshold is m = 4: from there the
    column-count round and the block round are both needed). Size is
    polynomial in m with a fitted exponent below 3."""
    rows = _measure("int:sum", [{"m": m} for m in SUM_MS], {"bits": 16})
    e_size, e_edges, msg = _report("int:sum (W=16) vs m", rows, SUM_MS)
    depth = {r[0]["m"]: r[1] for r in rows}
    assert depth[2] == 4 and depth[3] == 7, msg
    assert {d for m, d in depth.items() if m >= 4} == {10}, f"depth not constant for m >= 4: {msg}"
    assert e_size < 3, f"int:sum size grows faster than m^3: {msg}"
    assert e_edges < 3, f"int:sum edges grow faster than m^3: {msg}"


def test_iterated_sum_depth_constant_in_width():
    """int:sum with m = 8 over W = 8..128: one depth (10); size polynomial in W."""
    rows = _measure("int:sum", [{"bits": w} for w in WIDTHS], {"m": 8})
    e_size, e_edges, msg = _report("int:sum (m=8) vs W", rows, WIDTHS)
    assert {r[1] for r in rows} == {10}, msg
    assert e_size < 3, msg


def test_multiply_depth_constant_in_width():
    """int:mul over W = 4..64: one depth (11) from W = 4 on; size polynomial (exponent < 4)."""
    widths = [4, 8, 16, 32, 64]
    rows = _measure("int:mul", [{"bits": w} for w in widths], {})
    e_size, e_edges, msg = _report("int:mul vs W", rows, widths)
    assert {r[1] for r in rows} == {11}, msg
    assert e_size < 4, msg
    assert e_edges < 5, msg


def test_maximum_depth_constant():
    """int:max: depth 6 for every m >= 2 and every W; size polynomial in m (exponent < 3)."""
    ms = [2, 4, 8, 16, 32]
    rows = _measure("int:max", [{"m": m} for m in ms], {"bits": 8})
    e_size, _, msg = _report("int:max (W=8) vs m", rows, ms)
    assert {r[1] for r in rows} == {6}, msg
    assert e_size < 3, msg
    rows_w = _measure("int:max", [{"bits": w} for w in WIDTHS], {"m": 4})
    e_size_w, _, msg_w = _report("int:max (m=4) vs W", rows_w, WIDTHS)
    assert {r[1] for r in rows_w} == {6}, msg_w
    assert e_size_w < 4, msg_w


@pytest.mark.slow
def test_wide_gadgets_depth_slow():
    """Larger instances (slow): int:add at W=256, int:sum at m=256 W=64, int:max at m=128 W=16."""
    assert compile_gadget("int:add", 256).depth == 4
    assert compile_gadget("int:sum", 64, 256).depth == 10
    assert compile_gadget("int:max", 16, 128).depth == 6
