"""Integer gadgets (tc0.compiler.gadgets.integer), checked against Python
integers.

Every test builds a circuit, simulates it on one batch of inputs, and compares
each output with the value Python's unbounded integers give. The expected
values are computed only from the specification (``x + y``, ``x < y``, ...),
never from the library. Widths up to 4 are exhaustive; wider widths use edge
cases (0, 1, all ones, the top bit alone, alternating patterns, carries that
ripple through every bit, equal and nearly equal operands) plus random values
(tests/int_cases.py)."""

from __future__ import annotations

import itertools
import random

import pytest
from int_cases import (
    assert_all_equal,
    concat,
    edge_values,
    number_lists,
    operand_pairs,
    rand_value,
)
from int_simulation import from_bits, to_bits

import tc0
from tc0 import Builder
from tc0.compiler.gadgets import integer
from tc0.errors import GadgetError
from tc0.ir.schema import Kind

SMALL_WIDTHS = [1, 2, 3, 4]
WIDE_WIDTHS = [8, 16, 32, 63, 64]
ALL_WIDTHS = SMALL_WIDTHS + WIDE_WIDTHS


# --------------------------------------------------------------------------- helpers
def run(build, inputs: dict[str, tuple[int, list[int]]]):
    """Build a circuit with input ports ``{name: (width, values)}`` and the
    outputs ``build(b, **port_ids)`` returns; simulate it on the values in one
    batch. Returns ``({output: [ints]}, circuit)``."""
    b = Builder()
    ids = {name: b.input(name, width) for name, (width, _) in inputs.items()}
    outputs = build(b, **ids)
    for name, out in outputs.items():
        b.output(name, out)
    circuit = b.build()
    result = tc0.simulate(circuit, {name: to_bits(vals, w) for name, (w, vals) in inputs.items()})
    return {name: from_bits(v) for name, v in result.items()}, circuit


def out_width(circuit, name: str) -> int:
    return len(circuit.outputs[name])


# --------------------------------------------------------------------------- add / sub
@pytest.mark.parametrize("w", ALL_WIDTHS)
def test_add(w, rnd):
    xs, ys = operand_pairs(w, rnd)
    out, c = run(lambda b, x, y: {"s": integer.add(b, x, y)}, {"x": (w, xs), "y": (w, ys)})
    assert out_width(c, "s") == w + 1
    assert_all_equal(out["s"], [x + y for x, y in zip(xs, ys)], f"add W={w}", xs, ys)


@pytest.mark.parametrize("w", ALL_WIDTHS)
def test_sub(w, rnd):
    xs, ys = operand_pairs(w, rnd)
    out, c = run(lambda b, x, y: {"d": integer.sub(b, x, y)}, {"x": (w, xs), "y": (w, ys)})
    assert out_width(c, "d") == w + 1
    want = [(x - y) % (1 << (w + 1)) for x, y in zip(xs, ys)]
    assert_all_equal(out["d"], want, f"sub W={w}", xs, ys)


# --------------------------------------------------------------------------- comparisons
@pytest.mark.parametrize("w", ALL_WIDTHS)
def test_comparisons(w, rnd):
    xs, ys = operand_pairs(w, rnd)

    def build(b, x, y):
        return {
            "lt": integer.less_than(b, x, y)[None],
            "eq": integer.equal(b, x, y)[None],
            "ge": integer.greater_equal(b, x, y)[None],
        }

    out, c = run(build, {"x": (w, xs), "y": (w, ys)})
    assert all(out_width(c, p) == 1 for p in ("lt", "eq", "ge"))
    assert_all_equal(out["lt"], [int(x < y) for x, y in zip(xs, ys)], f"less_than W={w}", xs, ys)
    assert_all_equal(out["eq"], [int(x == y) for x, y in zip(xs, ys)], f"equal W={w}", xs, ys)
    assert_all_equal(out["ge"], [int(x >= y) for x, y in zip(xs, ys)], f"greater_equal W={w}", xs, ys)


def test_comparisons_return_leading_shape():
    b = Builder()
    x = b.input("x", 3 * 5).reshape(3, 5)
    y = b.input("y", 3 * 5).reshape(3, 5)
    assert integer.less_than(b, x, y).shape == (3,)
    assert integer.equal(b, x, y).shape == (3,)
    assert integer.greater_equal(b, x, y).shape == (3,)


# --------------------------------------------------------------------------- mux
@pytest.mark.parametrize("w", [1, 2, 3, 8, 64])
def test_mux(w, rnd):
    if w <= 3:
        cases = list(itertools.product(range(2), range(1 << w), range(1 << w)))
    else:
        edges = edge_values(w)
        cases = [(s, a, c) for s in (0, 1) for a in edges for c in edges]
        cases += [(rnd.getrandbits(1), rand_value(rnd, w), rand_value(rnd, w)) for _ in range(300)]
    sels, ones, zeros = (list(t) for t in zip(*cases))
    out, c = run(lambda b, s, a, z: {"y": integer.mux(b, s[0], a, z)},
                 {"s": (1, sels), "a": (w, ones), "z": (w, zeros)})
    assert out_width(c, "y") == w
    assert_all_equal(out["y"], [a if s else z for s, a, z in cases], f"mux W={w}", sels, ones, zeros)


def test_mux_batched_selects():
    """A leading axis of selects: lane i picks between its own two numbers."""
    rnd = random.Random(7)
    lanes, w = 4, 6
    cases = [[(rnd.getrandbits(1), rnd.getrandbits(w), rnd.getrandbits(w)) for _ in range(lanes)] for _ in range(200)]

    def build(b, s, a, z):
        return {"y": integer.mux(b, s, a.reshape(lanes, w), z.reshape(lanes, w))}

    out, _ = run(build, {
        "s": (lanes, [concat([c[0] for c in row], 1) for row in cases]),
        "a": (lanes * w, [concat([c[1] for c in row], w) for row in cases]),
        "z": (lanes * w, [concat([c[2] for c in row], w) for row in cases]),
    })
    want = [concat([a if s else z for s, a, z in row], w) for row in cases]
    assert out["y"] == want


# --------------------------------------------------------------------------- shifts
def _shift_oracle(x, s, ow, left):
    if s >= 2 * (ow + 64):  # everything is shifted out (avoid building huge Python ints)
        return 0
    return ((x << s) if left else (x >> s)) % (1 << ow)


def _check_shifts(w, amount_width, ow, xs, amounts):
    def build(b, x, a):
        return {
            "l": integer.shift_left(b, x, a, ow),
            "r": integer.shift_right(b, x, a, ow),
        }

    out, c = run(build, {"x": (w, xs), "a": (amount_width, amounts)})
    want_w = ow or w
    assert out_width(c, "l") == want_w and out_width(c, "r") == want_w
    label = f"W={w} amount bits={amount_width} out_width={ow}"
    want_l = [_shift_oracle(x, s, want_w, True) for x, s in zip(xs, amounts)]
    want_r = [_shift_oracle(x, s, want_w, False) for x, s in zip(xs, amounts)]
    assert_all_equal(out["l"], want_l, "shift_left " + label, xs, amounts)
    assert_all_equal(out["r"], want_r, "shift_right " + label, xs, amounts)


@pytest.mark.parametrize("w", SMALL_WIDTHS)
def test_shifts_exhaustive(w):
    needed = max(1, (w - 1).bit_length())
    for amount_width in sorted({1, needed, needed + 2, 5}):
        for ow in sorted({None, max(1, w - 1), w, w + 3}, key=lambda v: -1 if v is None else v):
            cases = list(itertools.product(range(1 << w), range(1 << amount_width)))
            xs, amounts = (list(t) for t in zip(*cases))
            _check_shifts(w, amount_width, ow, xs, amounts)


@pytest.mark.parametrize("w", WIDE_WIDTHS)
@pytest.mark.parametrize("extra_amount_bits", [0, 3, 70])
def test_shifts_wide(w, extra_amount_bits, rnd):
    """Amounts 0..W+2, amounts >= W, and amounts far wider than needed
    (70 extra bits: amounts with bits above 2^64)."""
    amount_width = (w - 1).bit_length() + extra_amount_bits
    top = (1 << amount_width) - 1
    amounts_pool = sorted({s for s in range(w + 3) if s <= top} | {top, top >> 1, 1 << (amount_width - 1)}
                          | {s & top for s in (w, w + 1, 2 * w, 64, 65, 127, 128)})
    xs, amounts = [], []
    for s in amounts_pool:
        for x in edge_values(w)[::2] + [rand_value(rnd, w) for _ in range(4)]:
            xs.append(x)
            amounts.append(s)
    _check_shifts(w, amount_width, None, xs, amounts)


@pytest.mark.parametrize("w,ow", [(8, 3), (8, 20), (16, 40), (63, 64), (64, 1)])
def test_shifts_out_width(w, ow, rnd):
    amount_width = max(w, ow).bit_length() + 1
    xs, amounts = [], []
    for s in range(max(w, ow) + 3):
        for x in edge_values(w)[::3] + [rand_value(rnd, w)]:
            xs.append(x)
            amounts.append(s)
    _check_shifts(w, amount_width, ow, xs, amounts)


# --------------------------------------------------------------------------- leading_one
def _leading_one_oracle(x):
    return (1 << (x.bit_length() - 1), x.bit_length() - 1) if x else (0, 0)


@pytest.mark.parametrize("w", [1, 2, 3, 4, 5, 6, 8, 16, 32, 63, 64])
def test_leading_one(w, rnd):
    if w <= 6:
        xs = list(range(1 << w))
    else:
        xs = edge_values(w) + [1 << k for k in range(w)] + [(1 << (k + 1)) - 1 for k in range(w)]
        xs += [rand_value(rnd, w) for _ in range(300)]
    assert 0 in xs

    def build(b, x):
        onehot, position = integer.leading_one(b, x)
        return {"onehot": onehot, "pos": position}

    out, c = run(build, {"x": (w, xs)})
    assert out_width(c, "onehot") == w
    assert out_width(c, "pos") == max(1, (w - 1).bit_length())
    assert_all_equal(out["onehot"], [_leading_one_oracle(x)[0] for x in xs], f"leading_one onehot W={w}", xs)
    assert_all_equal(out["pos"], [_leading_one_oracle(x)[1] for x in xs], f"leading_one position W={w}", xs)


# --------------------------------------------------------------------------- weighted_count
@pytest.mark.parametrize("weights", [
    [1], [2], [7], [1, 1], [1, 2], [1, 1, 1], [1, 2, 4, 8], [3, 5], [0, 2, 0, 1], [2, 2, 2],
    [1, 2, 3, 4, 5], [10, 1], [4, 4], [1, 1, 1, 1, 1, 1, 1], [16], [5, 9, 3, 1, 1, 1],
])
def test_weighted_count_exhaustive(weights):
    f = len(weights)
    xs = list(range(1 << f))
    out, c = run(lambda b, x: {"y": integer.weighted_count(b, x, weights)}, {"x": (f, xs)})
    assert out_width(c, "y") == sum(weights).bit_length()
    want = [sum(wt for i, wt in enumerate(weights) if (x >> i) & 1) for x in xs]
    assert_all_equal(out["y"], want, f"weighted_count {weights}", xs)


@pytest.mark.parametrize("weights", [[1] * 40, list(range(1, 13)), [1, 2, 4, 8, 16, 32, 64, 128, 3, 3, 3]])
def test_weighted_count_random(weights, rnd):
    f = len(weights)
    xs = [0, (1 << f) - 1] + [rnd.getrandbits(f) for _ in range(500)]
    out, c = run(lambda b, x: {"y": integer.weighted_count(b, x, weights)}, {"x": (f, xs)})
    assert out_width(c, "y") == sum(weights).bit_length()
    want = [sum(wt for i, wt in enumerate(weights) if (x >> i) & 1) for x in xs]
    assert_all_equal(out["y"], want, f"weighted_count {weights}", xs)


def test_weighted_count_batched():
    """Leading axes: 3 lanes of 4 wires each, one shared weight vector."""
    weights = [3, 1, 2, 5]
    xs = list(range(1 << 12))

    def build(b, x):
        return {"y": integer.weighted_count(b, x.reshape(3, 4), weights)}

    out, c = run(build, {"x": (12, xs)})
    L = sum(weights).bit_length()
    assert out_width(c, "y") == 3 * L

    def lane_sum(x, lane):
        return sum(wt for i, wt in enumerate(weights) if (x >> (4 * lane + i)) & 1)

    want = [concat([lane_sum(x, lane) for lane in range(3)], L) for x in xs]
    assert_all_equal(out["y"], want, "batched weighted_count", xs)


def test_weighted_count_all_zero_weights():
    b = Builder()
    x = b.input("x", 3)
    bits = integer.weighted_count(b, x, [0, 0, 0])
    assert bits.shape == (0,)  # bit_length(0) == 0 bits


# --------------------------------------------------------------------------- iterated_sum
EXHAUSTIVE_SUMS = [(w, m) for w in SMALL_WIDTHS for m in range(1, 13) if (1 << w) ** m <= 5000]
RANDOM_SUMS = [(w, m) for w in WIDE_WIDTHS for m in (1, 2, 3, 4, 5, 7, 8, 16, 17, 33, 64)] + [(2, 64), (3, 9), (1, 64)]


def _check_sum(w, m, rnd, column_first=True):
    lists = number_lists(w, m, rnd)
    build = lambda b, x: {"y": integer.iterated_sum(b, x.reshape(m, w), column_first=column_first)}  # noqa: E731
    out, c = run(build, {"x": (m * w, [concat(ns, w) for ns in lists])})
    assert out_width(c, "y") == w + (m - 1).bit_length()
    assert_all_equal(out["y"], [sum(ns) for ns in lists], f"iterated_sum W={w} m={m} column_first={column_first}",
                     lists)


@pytest.mark.parametrize("w,m", EXHAUSTIVE_SUMS)
def test_iterated_sum_exhaustive(w, m, rnd):
    _check_sum(w, m, rnd)


@pytest.mark.parametrize("w,m", RANDOM_SUMS)
def test_iterated_sum_random(w, m, rnd):
    _check_sum(w, m, rnd)


@pytest.mark.parametrize("w,m", [(1, 5), (2, 4), (3, 3), (16, 5), (16, 9), (64, 8)])
def test_iterated_sum_block_method(w, m, rnd):
    """``column_first=False`` (the block method applied directly) is also exact."""
    _check_sum(w, m, rnd, column_first=False)


def test_iterated_sum_batched(rnd):
    """Leading axes: (lanes, m, W) gives one sum per lane."""
    lanes, m, w = 3, 6, 10
    lists = [[[rand_value(rnd, w) for _ in range(m)] for _ in range(lanes)] for _ in range(150)]
    lists.append([[(1 << w) - 1] * m] * lanes)
    width = w + (m - 1).bit_length()
    out, c = run(lambda b, x: {"y": integer.iterated_sum(b, x.reshape(lanes, m, w))},
                 {"x": (lanes * m * w, [concat([concat(ns, w) for ns in row], m * w) for row in lists])})
    assert out_width(c, "y") == lanes * width
    assert out["y"] == [concat([sum(ns) for ns in row], width) for row in lists]


# --------------------------------------------------------------------------- sum_rows
@pytest.mark.parametrize("h,cols", [(1, 5), (2, 6), (3, 4), (4, 3), (5, 2), (6, 2), (12, 1)])
@pytest.mark.parametrize("column_first", [True, False])
def test_sum_rows_exhaustive(h, cols, column_first):
    """Every h x C bit matrix (h*C <= 12): the exact sum of its rows."""
    width = (h * ((1 << cols) - 1)).bit_length()
    mats = list(range(1 << (h * cols)))  # row r = bits r*C .. r*C+C-1
    build = lambda b, x: {"y": integer.sum_rows(b, x.reshape(h, cols), width, column_first=column_first)}  # noqa: E731
    out, c = run(build, {"x": (h * cols, mats)})
    assert out_width(c, "y") == width
    want = [sum((v >> (r * cols)) & ((1 << cols) - 1) for r in range(h)) for v in mats]
    assert_all_equal(out["y"], want, f"sum_rows {h}x{cols} column_first={column_first}", mats)


# The block method alone (column_first=False) grows like (h * 2^bit_length(h))^2 edges,
# so it is only exercised for small h here (see benchmarks/gadgets.py).
@pytest.mark.parametrize("h,cols,column_first", [
    (7, 20, True), (16, 16, True), (40, 9, True), (100, 3, True), (9, 70, True),
    (7, 20, False), (9, 30, False), (12, 5, False),
])
def test_sum_rows_random(h, cols, column_first, rnd):
    width = (h * ((1 << cols) - 1)).bit_length()
    full = (1 << (h * cols)) - 1
    mats = [0, full] + [rnd.getrandbits(h * cols) for _ in range(200)]
    build = lambda b, x: {"y": integer.sum_rows(b, x.reshape(h, cols), width, column_first=column_first)}  # noqa: E731
    out, _ = run(build, {"x": (h * cols, mats)})
    want = [sum((v >> (r * cols)) & ((1 << cols) - 1) for r in range(h)) for v in mats]
    assert_all_equal(out["y"], want, f"sum_rows {h}x{cols} column_first={column_first}", mats)


def test_sum_rows_zero_padding_above_width():
    """A requested width above the sum's bit length is padded with zero bits."""
    out, c = run(lambda b, x: {"y": integer.sum_rows(b, x.reshape(3, 2), 9)}, {"x": (6, list(range(64)))})
    assert out_width(c, "y") == 9
    assert out["y"] == [sum((v >> (2 * r)) & 3 for r in range(3)) for v in range(64)]


def test_sum_rows_uniform_depth_for_every_row_count():
    def depth(rows):
        b = Builder()
        x = b.input("x", 5 * rows).reshape(rows, 5)
        b.output("y", integer.sum_rows(b, x, 8, uniform=True))
        return b.build().depth

    assert depth(3) == depth(2) == depth(4), {h: depth(h) for h in (2, 3, 4, 5)}


# --------------------------------------------------------------------------- multiply
@pytest.mark.parametrize("wx,wy", [(1, 1), (2, 2), (3, 3), (4, 4), (1, 4), (4, 1), (2, 5), (5, 3), (3, 6)])
def test_multiply_exhaustive(wx, wy):
    cases = list(itertools.product(range(1 << wx), range(1 << wy)))
    xs, ys = (list(t) for t in zip(*cases))
    out, c = run(lambda b, x, y: {"p": integer.multiply(b, x, y)}, {"x": (wx, xs), "y": (wy, ys)})
    assert out_width(c, "p") == wx + wy
    assert_all_equal(out["p"], [x * y for x, y in cases], f"multiply {wx}x{wy}", xs, ys)


@pytest.mark.parametrize("wx,wy", [(8, 8), (16, 16), (32, 32), (63, 63), (64, 64), (64, 1), (1, 64), (24, 5),
                                   (17, 33)])
def test_multiply_wide(wx, wy, rnd):
    if wx == wy:
        xs, ys = operand_pairs(wx, rnd, n_random=200)
    else:
        pool_x, pool_y = edge_values(wx), edge_values(wy)
        cases = [(x, y) for x in pool_x for y in pool_y]
        cases += [(rand_value(rnd, wx), rand_value(rnd, wy)) for _ in range(300)]
        xs, ys = (list(t) for t in zip(*cases))
    out, c = run(lambda b, x, y: {"p": integer.multiply(b, x, y)}, {"x": (wx, xs), "y": (wy, ys)})
    assert out_width(c, "p") == wx + wy
    assert_all_equal(out["p"], [x * y for x, y in zip(xs, ys)], f"multiply {wx}x{wy}", xs, ys)


# --------------------------------------------------------------------------- helpers of the depth builds
@pytest.mark.parametrize("w,count", [(1, 2), (3, 5), (4, 16), (4, 17), (6, 9), (8, 33), (16, 65)])
def test_plus_small(w, count, rnd):
    """(x + d) mod 2^W for every d < count, exhaustive for small W."""
    xs = list(range(1 << w)) if w <= 8 else edge_values(w) + [rand_value(rnd, w) for _ in range(200)]
    out, c = run(lambda b, x: {"y": integer.plus_small(b, x, count)}, {"x": (w, xs)})
    assert out_width(c, "y") == count * w
    assert_all_equal(out["y"], [concat([(x + d) % (1 << w) for d in range(count)], w) for x in xs],
                     f"plus_small W={w} count={count}", xs)


@pytest.mark.parametrize("wx,wy,r,width,low", [(3, 2, 3, None, 0), (4, 3, 2, 8, 2), (5, 4, 5, 8, 3), (8, 8, 3, None, 0),
                                               (12, 7, 4, 20, 9)])
def test_multiply_sum(wx, wy, r, width, low, rnd):
    """x * (y_1 + ... + y_r): the window low .. width-1 of the exact value."""
    cases = [(rand_value(rnd, wx), [rand_value(rnd, wy) for _ in range(r)]) for _ in range(300)]
    cases += [((1 << wx) - 1, [(1 << wy) - 1] * r), (0, [1] * r), (1, [0] * r)]
    xs, ys = [x for x, _ in cases], [concat(row, wy) for _, row in cases]
    full = wx + wy + (r - 1).bit_length()
    top = full if width is None else width
    out, c = run(lambda b, x, y: {"p": integer.multiply_sum(b, x, y.reshape(r, wy), width=width, low=low)},
                 {"x": (wx, xs), "y": (r * wy, ys)})
    assert out_width(c, "p") == top - low
    assert_all_equal(out["p"], [_window(x * sum(row), low, top) for x, row in cases], "multiply_sum", xs, ys)


@pytest.mark.parametrize("w,n,width", [(2, 1, 4), (3, 2, 5), (4, 3, 9), (5, 2, 5)])
def test_negated_rows_sum_to_minus(w, n, width, rnd):
    """The rows' sum is -(sum of the given rows) mod 2^width."""
    lists = number_lists(w, n, rnd)
    out, c = run(lambda b, x: {"y": integer.iterated_sum(b, integer.negated_rows(b, x.reshape(n, w), width),
                                                        width=width)},
                 {"x": (n * w, [concat(ns, w) for ns in lists])})
    assert_all_equal(out["y"], [(-sum(ns)) % (1 << width) for ns in lists], "negated_rows", lists)


@pytest.mark.parametrize("w", [1, 3, 4, 9])
def test_less_than_terms_with_also(w, rnd):
    """OR of the terms is [x < y], ANDed with the extra wire."""
    xs, ys = operand_pairs(w, rnd, n_random=100)
    zs = [(x * 7 + y) % 2 for x, y in zip(xs, ys)]
    out, _ = run(lambda b, x, y, z: {"lt": b.gate(Kind.OR, integer.less_than_terms(b, x, y, also=(z[0],)))},
                 {"x": (w, xs), "y": (w, ys), "z": (1, zs)})
    assert_all_equal(out["lt"], [int(x < y and z) for x, y, z in zip(xs, ys, zs)], f"less_than_terms W={w}", xs, ys)


# --------------------------------------------------------------------------- kept bits (width, low)
def _window(value: int, low: int, width: int) -> int:
    """Bits low .. width-1 of a non-negative or two's complement value."""
    return (value % (1 << width)) >> low


def _gates_built(build, widths) -> tuple[int, int]:
    """(gates the builder made, gates the finished circuit keeps) for one gadget."""
    b = Builder()
    ids = [b.input(f"in{k}", w) for k, w in enumerate(widths)]
    b.output("y", build(b, *ids))
    made = b.n_nodes - 2 - sum(widths)
    return made, b.build().size


@pytest.mark.parametrize("w", [1, 2, 3, 4, 9])
def test_add_kept_bits(w, rnd):
    """Every window low .. width-1 of x + y, exhaustive for W <= 4."""
    xs, ys = operand_pairs(w, rnd, n_random=60)
    for width in range(1, w + 2):
        for low in range(width):
            out, c = run(lambda b, x, y: {"s": integer.add(b, x, y, width=width, low=low)},
                         {"x": (w, xs), "y": (w, ys)})
            assert out_width(c, "s") == width - low
            want = [_window(x + y, low, width) for x, y in zip(xs, ys)]
            assert_all_equal(out["s"], want, f"add W={w} bits {low}..{width - 1}", xs, ys)


@pytest.mark.parametrize("w", [1, 3, 4, 9])
def test_sub_kept_bits(w, rnd):
    xs, ys = operand_pairs(w, rnd, n_random=60)
    for width in range(1, w + 2):
        out, c = run(lambda b, x, y: {"d": integer.sub(b, x, y, width=width)}, {"x": (w, xs), "y": (w, ys)})
        assert out_width(c, "d") == width
        assert_all_equal(out["d"], [_window(x - y, 0, width) for x, y in zip(xs, ys)], f"sub W={w} width={width}",
                         xs, ys)


@pytest.mark.parametrize("wx,wy", [(1, 1), (3, 3), (4, 2), (2, 5), (7, 6)])
def test_multiply_kept_bits(wx, wy, rnd):
    """Every window of x * y, exhaustive while the operands have 8 bits together."""
    if (1 << (wx + wy)) <= 256:
        cases = list(itertools.product(range(1 << wx), range(1 << wy)))
    else:
        cases = [(x, y) for x in edge_values(wx) for y in edge_values(wy)]
        cases += [(rand_value(rnd, wx), rand_value(rnd, wy)) for _ in range(100)]
    xs, ys = (list(t) for t in zip(*cases))
    for width in range(1, wx + wy + 1):
        for low in range(width):
            out, c = run(lambda b, x, y: {"p": integer.multiply(b, x, y, width=width, low=low)},
                         {"x": (wx, xs), "y": (wy, ys)})
            assert out_width(c, "p") == width - low
            want = [_window(x * y, low, width) for x, y in cases]
            assert_all_equal(out["p"], want, f"multiply {wx}x{wy} bits {low}..{width - 1}", xs, ys)


@pytest.mark.parametrize("w,m", [(2, 3), (3, 5), (8, 9)])
def test_iterated_sum_kept_width(w, m, rnd):
    lists = number_lists(w, m, rnd, n_random=60)
    for width in range(1, w + (m - 1).bit_length() + 1):
        out, c = run(lambda b, x: {"y": integer.iterated_sum(b, x.reshape(m, w), width=width)},
                     {"x": (m * w, [concat(ns, w) for ns in lists])})
        assert out_width(c, "y") == width
        assert_all_equal(out["y"], [_window(sum(ns), 0, width) for ns in lists], f"iterated_sum W={w} m={m}", lists)


@pytest.mark.parametrize("h,cols", [(1, 4), (2, 3), (3, 2), (5, 2)])
def test_sum_rows_kept_bits(h, cols):
    """Windows of a row sum, including ones that start above the sum's top bit
    (all zero) and widths above it (zero padded)."""
    mats = list(range(1 << (h * cols)))
    sums = [sum((v >> (r * cols)) & ((1 << cols) - 1) for r in range(h)) for v in mats]
    top = max(sums).bit_length()
    for width in range(1, top + 3):
        for low in range(width):
            build = lambda b, x: {"y": integer.sum_rows(b, x.reshape(h, cols), width, low=low)}  # noqa: E731
            out, c = run(build, {"x": (h * cols, mats)})
            assert out_width(c, "y") == width - low
            label = f"sum_rows {h}x{cols} bits {low}..{width - 1}"
            assert_all_equal(out["y"], [_window(s, low, width) for s in sums], label, mats)


@pytest.mark.parametrize("w,ow,low", [(3, 6, 2), (4, 4, 3), (8, 20, 9)])
def test_shift_left_kept_bits(w, ow, low, rnd):
    amount_width = ow.bit_length() + 1
    cases = [(x, s) for s in range(ow + 2) for x in edge_values(w)[::2] + [rand_value(rnd, w)]]
    xs, amounts = (list(t) for t in zip(*cases))
    out, c = run(lambda b, x, a: {"l": integer.shift_left(b, x, a, ow, low=low)},
                 {"x": (w, xs), "a": (amount_width, amounts)})
    assert out_width(c, "l") == ow - low
    want = [_shift_oracle(x, s, ow, True) >> low for x, s in cases]
    assert_all_equal(out["l"], want, "shift_left window", xs, amounts)


@pytest.mark.parametrize("name,build,widths", [
    ("add low half", lambda b, x, y: integer.add(b, x, y, width=8), (16, 16)),
    ("add high half", lambda b, x, y: integer.add(b, x, y, low=8), (16, 16)),
    ("sub", lambda b, x, y: integer.sub(b, x, y, width=10), (16, 16)),
    ("multiply middle", lambda b, x, y: integer.multiply(b, x, y, width=20, low=6), (12, 12)),
])
def test_kept_bits_build_few_dropped_gates(name, build, widths):
    """A window's gadget builds (almost) only gates the circuit keeps: the point
    of ``width``/``low`` is that dropped bits cost no memory while building."""
    made, kept = _gates_built(build, widths)
    assert made - kept <= 0.01 * made, f"{name}: {made - kept} of {made} gates built and dropped"


@pytest.mark.parametrize("call", [
    lambda b, x, y: integer.add(b, x, y, width=0),
    lambda b, x, y: integer.add(b, x, y, width=6),  # W + 1 = 5 bits at most
    lambda b, x, y: integer.add(b, x, y, width=3, low=3),
    lambda b, x, y: integer.sub(b, x, y, width=6),
    lambda b, x, y: integer.multiply(b, x, y, width=9),
    lambda b, x, y: integer.multiply(b, x, y, low=-1),
])
def test_kept_bits_out_of_range(call):
    b = Builder()
    with pytest.raises(GadgetError, match="kept bits"):
        call(b, b.input("x", 4), b.input("y", 4))


# --------------------------------------------------------------------------- maximum
EXHAUSTIVE_MAX = [(w, m) for w in SMALL_WIDTHS for m in range(1, 13) if (1 << w) ** m <= 5000]
RANDOM_MAX = [(w, m) for w in WIDE_WIDTHS for m in (1, 2, 3, 5, 16)] + [(8, 33), (2, 20)]


MAXIMA = {"all_pairs": integer.maximum, "thresholds": integer.maximum_by_thresholds}


def _check_max(w, m, rnd, maximum=integer.maximum):
    lists = number_lists(w, m, rnd)
    if (1 << w) ** m > 5000:  # ties: draw from a tiny pool so equal maxima are common
        pool = [rand_value(rnd, w) for _ in range(3)]
        lists += [[rnd.choice(pool) for _ in range(m)] for _ in range(100)]
    out, c = run(lambda b, x: {"y": maximum(b, x.reshape(m, w))},
                 {"x": (m * w, [concat(ns, w) for ns in lists])})
    assert out_width(c, "y") == w and c.depth <= 6
    assert_all_equal(out["y"], [max(ns) for ns in lists], f"maximum W={w} m={m}", lists)


@pytest.mark.parametrize("kind", MAXIMA)
@pytest.mark.parametrize("w,m", EXHAUSTIVE_MAX)
def test_maximum_exhaustive(w, m, rnd, kind):
    _check_max(w, m, rnd, MAXIMA[kind])


@pytest.mark.parametrize("w,m", RANDOM_MAX)
def test_maximum_random(w, m, rnd):
    _check_max(w, m, rnd)


@pytest.mark.parametrize("w,m", [(1, 40), (4, 100), (9, 70), (12, 3)])
def test_maximum_by_thresholds_random(w, m, rnd):
    _check_max(w, m, rnd, integer.maximum_by_thresholds)


@pytest.mark.parametrize("kind", MAXIMA)
def test_maximum_batched(rnd, kind):
    lanes, m, w = 2, 4, 7
    lists = [[[rand_value(rnd, w) for _ in range(m)] for _ in range(lanes)] for _ in range(300)]
    out, _ = run(lambda b, x: {"y": MAXIMA[kind](b, x.reshape(lanes, m, w))},
                 {"x": (lanes * m * w, [concat([concat(ns, w) for ns in row], m * w) for row in lists])})
    assert out["y"] == [concat([max(ns) for ns in row], w) for row in lists]


# --------------------------------------------------------------------------- batched binary gadgets
def test_binary_gadgets_batched(rnd):
    """Leading axes (3 lanes of W=9) on add/sub/multiply/less_than: lane i only sees lane i."""
    lanes, w = 3, 9
    rows = [[(rand_value(rnd, w), rand_value(rnd, w)) for _ in range(lanes)] for _ in range(300)]
    rows.append([((1 << w) - 1, 1)] * lanes)

    def build(b, x, y):
        x, y = x.reshape(lanes, w), y.reshape(lanes, w)
        return {"s": integer.add(b, x, y), "d": integer.sub(b, x, y), "p": integer.multiply(b, x, y),
                "lt": integer.less_than(b, x, y)}

    out, _ = run(build, {"x": (lanes * w, [concat([p[0] for p in r], w) for r in rows]),
                         "y": (lanes * w, [concat([p[1] for p in r], w) for r in rows])})
    assert out["s"] == [concat([x + y for x, y in r], w + 1) for r in rows]
    assert out["d"] == [concat([(x - y) % (1 << (w + 1)) for x, y in r], w + 1) for r in rows]
    assert out["p"] == [concat([x * y for x, y in r], 2 * w) for r in rows]
    assert out["lt"] == [concat([int(x < y) for x, y in r], 1) for r in rows]
