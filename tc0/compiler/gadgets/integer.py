"""Constant-depth integer gadgets over wire tensors.

Every gadget takes a ``Builder`` and id arrays whose last axis is the bits of
an unsigned number, least significant first, and works on all leading axes at
once (a gadget applied to a tensor of 10^4 numbers is still one builder call
per step). No depth below depends on the width W or the operand count m.

Depths (gate levels from the inputs; derivations in docs/gadgets.md):

* ``add`` 4 (``add_blocked`` 8), ``sub`` 4, ``less_than`` 4, ``equal`` 3, ``greater_equal`` 4;
* ``mux`` 3, ``shift_left``/``shift_right`` 3, ``leading_one`` 2 (position 3);
* ``weighted_count`` 3 (the binary value of a weighted sum of bits);
* ``iterated_sum`` of m numbers: 4 (m = 2), 7 (m = 3), 10 (m >= 4);
* ``multiply`` 11 (W >= 4), ``multiply_sum`` (x times a sum of rows) the
  same; ``maximum`` of m >= 2 numbers 6; ``plus_small`` (x + d for every
  small d) 7.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from tc0.compiler.builder import WIRE, Builder, as_wires
from tc0.ir.schema import ONE, ZERO, Kind
from tc0.errors import GadgetError

def filled(shape, node: int = ZERO) -> np.ndarray:
    """A writable wire array of ``shape``, every entry the constant ``node``."""
    return np.full(shape, node, dtype=WIRE)


def const_bits(value: int, width: int, lead=()) -> np.ndarray:
    """Wire array of the constant ``value`` (unsigned, ``width`` bits, LSB first)."""
    bits = np.array([(value >> i) & 1 for i in range(width)], dtype=bool)
    return np.broadcast_to(Builder.const(bits, (width,)), tuple(lead) + (width,))


def fit(x, width: int) -> np.ndarray:
    """The unsigned wire integer x zero-extended or truncated to ``width`` bits."""
    x = as_wires(x)
    if x.shape[-1] >= width:
        return x[..., :width]
    return cat_bits(x, const_bits(0, width - x.shape[-1], x.shape[:-1]))


def cat_bits(*parts) -> np.ndarray:
    """Concatenate fan-in pieces along the last axis, broadcasting the rest."""
    parts = [as_wires(p) for p in parts]
    lead = np.broadcast_shapes(*(p.shape[:-1] for p in parts))
    return np.concatenate([np.broadcast_to(p, lead + p.shape[-1:]) for p in parts], axis=-1)


class RowPattern:
    """Gate rows to cut from every instance of a wire table: row r takes the
    table entries ``rows[r]`` (lists of indices into the last axis). Built once
    per shape; ``Builder.pattern_gate`` applies it to all instances in one builder
    call, so rows carry only their real fan-ins (no constant padding)."""

    def __init__(self, rows: list[list[int]]):
        self.index = np.array([i for row in rows for i in row], dtype=np.int64)
        self.bounds = np.concatenate([[0], np.cumsum([len(row) for row in rows])]).astype(np.int64)


@functools.lru_cache(maxsize=None)
def _add_patterns(w: int, low: int, carry_out: bool) -> tuple[RowPattern, RowPattern]:
    """``add``'s AND terms over the table (p, ng, nx, ny, g, np) of 6 W wires,
    and its ORs over those terms (sum bits low .. W-1, then the carry out if asked)."""
    p, ng, nx, ny, g, np_ = (k * w for k in range(6))
    pairs = [(j, i) for i in range(low, w) for j in range(i)]
    kill = [[p + i, ng + i, nx + j, ny + j] + [ng + k for k in range(j + 1, i)] for j, i in pairs]
    gen_g = [[g + i, g + j] + [p + k for k in range(j + 1, i)] for j, i in pairs]
    gen_np = [[np_ + i, g + j] + [p + k for k in range(j + 1, i)] for j, i in pairs]
    none = [[p + i, ng + i] + [ng + k for k in range(i)] for i in range(low, w)]
    carry = [[g + j] + [p + k for k in range(j + 1, w)] for j in range(w)] if carry_out else []
    pair_at = {pair: n for n, pair in enumerate(pairs)}
    m = len(pairs)
    sums = [[t * m + pair_at[j, i] for j in range(i) for t in range(3)] + [3 * m + i - low] for i in range(low, w)]
    carry_row = [[3 * m + w - low + j for j in range(w)]] if carry_out else []
    return RowPattern(kill + gen_g + gen_np + none + carry), RowPattern(sums + carry_row)


def _kept_width(width: int | None, full: int, low: int = 0, most: float | None = None) -> int:
    """The top (exclusive) of the bits low .. width-1 a gadget keeps, checked:
    ``full`` bits by default, at most ``most`` (default ``full``)."""
    width = full if width is None else width
    most = full if most is None else most
    if not 0 <= low < width <= most:
        raise GadgetError(f"kept bits must satisfy 0 <= low < width <= {most}, got low {low}, width {width}")
    return width


def add(b: Builder, x, y, width: int | None = None, low: int = 0) -> np.ndarray:
    """x + y for two W-bit numbers: W + 1 bits, depth 4. With ``width`` and
    ``low``, only bits low .. width-1 (floor((x + y) mod 2^width / 2^low)),
    and no gate for the others.

    Sum bit i is h_i XOR c_i (h = x XOR y, c the carry in), expanded into a
    single OR of ANDs over literals of depth <= 2: with g = x AND y,
    p = x OR y, kill = NOT x AND NOT y, ng = NOT g, np = NOT p,

      h AND NOT c = OR_j [p_i ng_i kill_j ng_(j<k<i)]  OR  [p_i ng_i ng_(k<i)]
      NOT h AND c = OR_j [(g_i or np_i) g_j p_(j<k<i)]

    (no carry into i iff below i the last non-propagating position kills, or
    nothing generates). The carry out is OR_j [g_j p_(j<k<W)], depth 3.
    """
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    width = _kept_width(width, x.shape[-1] + 1, low)
    x, y = x[..., :width], y[..., :width]  # higher bits reach no kept bit
    w = x.shape[-1]
    with b.scope("add"):
        nx, ny = b.not_(x), b.not_(y)
        g, ng = b.and_(x, y), b.or_(nx, ny)
        # p_i is read by sum bit i and by carries past position i >= 1; np_i by sum bit i >= 1 only
        p_from, np_from = min(low, 1), max(low, 1)
        zeros = const_bits(0, np_from, x.shape[:-1])
        p = cat_bits(zeros[..., :p_from], b.or_(x[..., p_from:], y[..., p_from:]))
        np_ = cat_bits(zeros, b.and_(nx[..., np_from:], ny[..., np_from:]))
        and_terms, or_terms = _add_patterns(w, low, carry_out=width > w)
        terms = b.pattern_gate(Kind.AND, cat_bits(p, ng, nx, ny, g, np_), and_terms.index, and_terms.bounds)
        return b.pattern_gate(Kind.OR, terms, or_terms.index, or_terms.bounds)


def add_blocked(b: Builder, x, y, block: int | None = None) -> np.ndarray:
    """x + y with two-level lookahead: W + 1 bits, depth 8, O(W^1.8) edges
    (``add`` has depth 4 but O(W^3) edges).

    Per block of B bits: propagate P = AND p (depth 2) and generate G = the
    block's own carry out (depth 3); the carry into block b is the flat carry
    formula over (G, P) of the blocks below (depth 5); each block is then one
    ``add`` with that carry entering as an extra low position whose two bits
    both equal it. Default B = ceil(W^0.4).
    """
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    w = x.shape[-1]
    block = block or max(2, math.ceil(w**0.4))
    nblocks = -(-w // block)
    with b.scope("add_blocked"):
        pad = const_bits(0, nblocks * block - w, x.shape[:-1])
        xb = cat_bits(x, pad).reshape(x.shape[:-1] + (nblocks, block))
        yb = cat_bits(y, pad).reshape(x.shape[:-1] + (nblocks, block))
        g, p = b.and_(xb, yb), b.or_(xb, yb)
        idx = np.arange(block)
        above = idx[None, :] > idx[:, None]  # (j, k): k > j
        gen = b.gate(Kind.OR, b.gate(Kind.AND, cat_bits(g[..., :, None], np.where(above, p[..., None, :], ONE))))
        prop = b.gate(Kind.AND, p)
        blocks = np.arange(nblocks)
        between = (blocks[:, None, None] < blocks[None, None, :]) & (blocks[None, None, :] < blocks[None, :, None])
        chain = np.where(between, prop[..., None, None, :], ONE)  # (..., j, i, k): j < k < i
        alive = np.where(blocks[:, None] < blocks[None, :], ONE, ZERO)[..., None]
        terms = b.gate(Kind.AND, cat_bits(gen[..., :, None, None], chain, alive))  # (..., j, i)
        carry_in = b.gate(Kind.OR, np.swapaxes(terms, -1, -2))  # (..., i)
        cin = carry_in[..., None]
        sums = add(b, cat_bits(cin, xb), cat_bits(cin, yb))[..., 1:]  # (..., nblocks, B + 1)
        low = sums[..., :block].reshape(x.shape[:-1] + (nblocks * block,))
        return cat_bits(low[..., :w], sums[..., -1, block:] if nblocks * block == w else low[..., w : w + 1])


def add_plus_one(b: Builder, x, y, width: int) -> np.ndarray:
    """(x + y + 1) mod 2^width, depth 4: the carry-in enters as an extra low
    position whose two bits are both 1."""
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    one = const_bits(1, 1, x.shape[:-1])
    return add(b, cat_bits(one, x), cat_bits(one, y), width=width + 1, low=1)


def plus_small(b: Builder, x, count: int) -> np.ndarray:
    """(x + d) mod 2^W for d = 0 .. count - 1, as (..., count, W), depth 7.

    The low r = bit_length(count - 1) bits take one small ``add`` per d; the
    high bits are x_hi or x_hi + 1 (one incrementer), picked by that add's
    carry. O(count r^3 + W^3) edges instead of count W^3."""
    x = as_wires(x)
    w, lead = x.shape[-1], x.shape[:-1]
    r = min(w, max(1, (count - 1).bit_length()))
    with b.scope("plus_small"):
        amounts = np.stack([const_bits(d, r, lead) for d in range(count)], axis=-2)
        low = add(b, x[..., None, :r], amounts)  # (..., count, r + 1)
        hi = x[..., r:]
        if hi.shape[-1] == 0:
            return low[..., :w]
        up = add(b, hi, const_bits(1, hi.shape[-1], lead), width=hi.shape[-1])
        return cat_bits(low[..., :r], b.mux(low[..., r : r + 1], up[..., None, :], hi[..., None, :]))


def sub(b: Builder, x, y, width: int | None = None) -> np.ndarray:
    """x - y as a (W+1)-bit two's complement number (top bit = borrow), depth 4;
    with ``width``, only its low ``width`` bits (x - y mod 2^width).

    Computed as x + NOT y + 1 on W+1 bits, the carry-in entering as an extra
    low position whose two bits are both 1.
    """
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    width = _kept_width(width, x.shape[-1] + 1)
    x, y = x[..., :width], y[..., :width]
    with b.scope("sub"):
        zero, one = const_bits(0, 1, x.shape[:-1]), const_bits(1, 1, x.shape[:-1])
        return add_plus_one(b, cat_bits(x, zero), cat_bits(b.not_(y), one), width)


def less_than(b: Builder, x, y) -> np.ndarray:
    """[x < y] for W-bit numbers, depth 4: OR_i [NOT x_i, y_i, AND_(j>i) (NOT x_j OR y_j)]."""
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    with b.scope("less_than"):
        return b.gate(Kind.OR, less_than_terms(b, x, y))


def less_than_terms(b: Builder, x, y, also=()) -> np.ndarray:
    """The AND terms (..., W) of [x < y], one per position where y wins
    (their OR is ``less_than``), each also ANDed with the wires ``also``."""
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    w = x.shape[-1]
    nx = b.not_(x)
    no_win = b.or_(nx, y)  # x_j <= y_j
    above = np.arange(w)[None, :] > np.arange(w)[:, None]  # (i, j): j > i
    extra = [np.broadcast_to(as_wires(a)[..., None, None], x.shape[:-1] + (w, 1)) for a in also]
    return b.gate(Kind.AND, cat_bits(nx[..., None], y[..., None], np.where(above, no_win[..., None, :], ONE), *extra))


def at_least(b: Builder, x, bounds) -> np.ndarray:
    """[x >= v] for every constant v of ``bounds`` (last axis), depth 5.

    With r = bit_length of the bounds' spread, x = H 2^r + L and v = h 2^r + l:
    [x >= v] = [H > h] OR ([H = h] AND [L >= l]). The few distinct h take one
    comparison each; [L >= l] is one threshold gate over L's bits weighted
    2^i (fan-in < 2^r, so polynomial in the spread)."""
    x = as_wires(x)
    bounds = [int(v) for v in bounds]
    w, lead = x.shape[-1], x.shape[:-1]
    with b.scope("at_least"):
        r = min(w, max(1, (max(bounds) - min(bounds)).bit_length()))
        low, high = x[..., :r], x[..., r:]
        weighted = np.repeat(low, 1 << np.arange(r), axis=-1)
        out = []
        cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for v in bounds:
            if v <= 0 or v >= 1 << w:
                out.append(b.const(int(v <= 0), lead))
                continue
            h, l_part = v >> r, v & ((1 << r) - 1)
            if h not in cache:
                hw = high.shape[-1]
                eq = equal(b, high, const_bits(h, hw, lead)) if hw else b.const(h == 0, lead)
                gt = greater_equal(b, high, const_bits(h + 1, hw, lead)) if h + 1 < 1 << hw else b.const(0, lead)
                cache[h] = eq, gt
            eq, gt = cache[h]
            low_ok = b.threshold(weighted, l_part) if l_part else b.const(1, lead)
            out.append(b.or_(gt, b.and_(eq, low_ok)))
        return np.stack(out, axis=-1)


def equal(b: Builder, x, y) -> np.ndarray:
    """[x == y], depth 3: AND_i (NOT x_i OR y_i)(x_i OR NOT y_i)."""
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    with b.scope("equal"):
        return b.gate(Kind.AND, cat_bits(b.or_(b.not_(x), y), b.or_(x, b.not_(y))))


def greater_equal(b: Builder, x, y) -> np.ndarray:
    """[x >= y], depth 4: the OR of y < x's terms and x == y's AND."""
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    with b.scope("greater_equal"):
        eq = b.gate(Kind.AND, cat_bits(b.or_(b.not_(x), y), b.or_(x, b.not_(y))))
        return b.gate(Kind.OR, cat_bits(less_than_terms(b, y, x), eq[..., None]))


def mux(b: Builder, sel, if1, if0) -> np.ndarray:
    """Bitwise ``sel ? if1 : if0``; ``sel`` has no bit axis. Depth 3."""
    sel = as_wires(sel)[..., None]
    with b.scope("mux"):
        return b.mux(sel, if1, if0)


def _shift(b: Builder, x, amount, out_width: int, direction: int, low: int = 0) -> np.ndarray:
    x, amount = as_wires(x), as_wires(amount)
    w, a = x.shape[-1], amount.shape[-1]
    shifts = np.arange(min(1 << min(a, 62), max(w, out_width) + 1))
    bits = (shifts[:, None] >> np.arange(a)[None, :]) & 1  # (t, a)
    namount = b.not_(amount)
    literals = np.where(bits == 1, amount[..., None, :], namount[..., None, :])  # (..., t, a)
    k = np.arange(low, out_width)
    src = k[:, None] - direction * shifts[None, :]  # (k, t): source bit of output k under shift t
    inside = (src >= 0) & (src < w)
    src_bit = np.where(inside, x[..., np.clip(src, 0, w - 1)], ZERO)  # (..., k, t)
    terms = b.gate(Kind.AND, cat_bits(src_bit[..., None], literals[..., None, :, :]))
    return b.gate(Kind.OR, terms)


def shift_left(b: Builder, x, amount, out_width: int | None = None, low: int = 0) -> np.ndarray:
    """(x << amount) truncated to ``out_width`` bits (default W), of which
    only bits low .. out_width-1 are built; ``amount`` is an unsigned bit
    vector. Depth 3: OR_t [x_(k-t) AND (amount == t)]."""
    with b.scope("shift_left"):
        return _shift(b, x, amount, out_width or as_wires(x).shape[-1], +1, low)


def shift_right(b: Builder, x, amount, out_width: int | None = None) -> np.ndarray:
    """x >> amount (logical), ``out_width`` bits (default W). Depth 3."""
    with b.scope("shift_right"):
        return _shift(b, x, amount, out_width or as_wires(x).shape[-1], -1)


def leading_one(b: Builder, x) -> tuple[np.ndarray, np.ndarray]:
    """The highest set bit of x: (one-hot W bits, depth 2; its index as
    max(1, bit_length(W-1)) bits, depth 3). Both all-zero when x = 0."""
    x = as_wires(x)
    w = x.shape[-1]
    with b.scope("leading_one"):
        nx = b.not_(x)
        above = np.arange(w)[None, :] > np.arange(w)[:, None]
        onehot = b.gate(Kind.AND, cat_bits(x[..., None], np.where(above, nx[..., None, :], ONE)))
        pbits = max(1, (w - 1).bit_length())
        has_bit = (np.arange(w)[None, :] >> np.arange(pbits)[:, None]) & 1  # (bit, i)
        position = b.gate(Kind.OR, np.where(has_bit == 1, onehot[..., None, :], ZERO))
    return onehot, position


def weighted_count(b: Builder, wires, weights) -> np.ndarray:
    """Binary value of sum_f weights[f] * wires[..., f], depth 3.

    With S = sum(weights) and t_k = [sum >= k] (one MAJ each, weights as
    repeated fan-ins), bit l of the sum is 1 exactly on the intervals
    [q 2^(l+1) + 2^l, q 2^(l+1) + 2^(l+1) - 1], so it is the 0/1 value of
    sum_q (t_lo - t_(hi+1)): one threshold gate over t's and NOT t's. A bit
    with a single open-ended interval is t_lo itself (depth 1).
    Returns bit_length(S) bits. Size: S thresholds of fan-in ~S.
    """
    wires = as_wires(wires)
    weights = np.asarray(weights, dtype=np.int64)
    total = int(weights.sum())
    if total == 0:
        return filled(wires.shape[:-1] + (0,))
    expanded = np.repeat(wires, weights, axis=-1)  # (..., S)
    t = b.threshold(expanded[..., None, :], np.arange(1, total + 1))  # (..., S): [sum >= k]
    not_even_t = b.not_(t[..., 1::2])  # NOT t_k for even k (every interval ends at an even k - 1)
    bits = []
    for bit in range(total.bit_length()):
        lows = np.arange(1 << bit, total + 1, 1 << (bit + 1))
        highs = lows + (1 << bit)  # first value past each interval
        closed = highs <= total
        pos = t[..., lows - 1]
        if not closed.any():
            bits.append(pos[..., 0])
            continue
        neg = not_even_t[..., highs[closed] // 2 - 1]
        bits.append(b.threshold(cat_bits(pos, neg), 1 + int(closed.sum())))
    return np.stack(bits, axis=-1)


def _compress(b: Builder, rows: np.ndarray, block: int, width: int) -> np.ndarray:
    """One reduction round: rows (..., h, C) -> rows (..., h', C') with the
    same sum mod 2^width, where each block of ``block`` columns is replaced by
    the binary value of its weighted bit count (``weighted_count``); C' <= width."""
    h, c = rows.shape[-2:]
    nblocks = -(-c // block)
    padded = filled(rows.shape[:-1] + (nblocks * block,))
    padded[..., :c] = rows
    grouped = padded.reshape(rows.shape[:-1] + (nblocks, block))  # (..., h, nb, B)
    grouped = np.moveaxis(grouped, -3, -2).reshape(rows.shape[:-2] + (nblocks, h * block))
    weights = np.tile(1 << np.arange(block), h)
    counts = weighted_count(b, grouped, weights)  # (..., nb, L)
    length = counts.shape[-1]
    new_h = -(-length // block)
    out = filled(rows.shape[:-2] + (new_h, (nblocks + new_h) * block))
    starts = np.arange(nblocks) * block
    for bit in range(length):
        out[..., bit // block, starts + bit] = counts[..., :, bit]
    return out[..., :width]


def sum_rows(
    b: Builder, rows, width: int, column_first: bool = True, uniform: bool = False, low: int = 0, adder=None,
) -> np.ndarray:
    """Bits low .. width-1 of the sum of the rows (..., h, C) of a bit matrix
    (no gate is built for a column at or above ``width``, nor for a final sum
    bit below ``low``).

    Rounds of ``_compress``: first count each column (block 1), which takes h
    rows to bit_length(h); then one round with blocks of bit_length(h) columns,
    which leaves two rows; then ``add``, or ``adder(b, x, y)`` (the bits of
    x + y) if given (``add_blocked``: depth 14 instead of 10, far fewer edges
    for wide rows). ``uniform`` pads two
    or three rows to four so that every h >= 2 takes the same depth (10 with
    ``add``).
    ``column_first=False`` skips the
    column round (cheaper only for very small h; see benchmarks/gadgets.py).
    """
    rows = as_wires(rows)[..., :width]  # columns at or above ``width`` cannot affect the result
    if uniform and 2 <= rows.shape[-2] < 4:
        pad = filled(rows.shape[:-2] + (4 - rows.shape[-2], rows.shape[-1]))
        rows = np.concatenate([rows, pad], axis=-2)
    if rows.shape[-2] > 3 and column_first:
        with b.scope("count_columns"):
            rows = _compress(b, rows, 1, width)
    if rows.shape[-2] > 2:
        with b.scope("count_blocks"):
            rows = _compress(b, rows, rows.shape[-2].bit_length(), width)
    top = min(width, rows.shape[-1] + (rows.shape[-2] > 1))  # the sum has no set bit at or above
    if rows.shape[-2] == 1 or low >= top:
        total = rows[..., 0, low:top]
    elif adder is not None:
        total = adder(b, rows[..., 0, :], rows[..., 1, :])[..., low:top]
    else:
        total = add(b, rows[..., 0, :], rows[..., 1, :], width=top, low=low)
    return cat_bits(total, const_bits(0, width - max(top, low), total.shape[:-1]))


def iterated_sum(b: Builder, xs, column_first: bool = True, width: int | None = None) -> np.ndarray:
    """Exact sum of m W-bit numbers xs (..., m, W): W + ceil(log2 m) bits (with
    ``width``, only the low ``width`` of them).

    Depth 4 for m = 2, 7 for m = 3, 10 for every m >= 4 (see ``sum_rows``).
    """
    xs = as_wires(xs)
    m, w = xs.shape[-2:]
    width = _kept_width(width, w + (m - 1).bit_length())
    with b.scope("iterated_sum"):
        return sum_rows(b, xs, width, column_first)


def multiply(b: Builder, x, y, width: int | None = None, low: int = 0) -> np.ndarray:
    """x * y: Wx + Wy bits (with ``width`` and ``low``, only bits low .. width-1);
    partial products (depth 1) summed by ``sum_rows``."""
    x, y = as_wires(x), as_wires(y)
    width = _kept_width(width, x.shape[-1] + y.shape[-1], low)
    with b.scope("multiply"):
        return sum_rows(b, product_rows(b, x, y, width), width, low=low)


def multiply_sum(b: Builder, x, ys, width: int | None = None, low: int = 0) -> np.ndarray:
    """x * (sum of the rows ys (..., r, Wy)) as one ``sum_rows`` over every
    row's partial products: the depth of one ``multiply``, not of a sum and
    then a product. Wx + Wy + bit_length(r - 1) bits by default."""
    x, ys = as_wires(x), as_wires(ys)
    r = ys.shape[-2]
    width = _kept_width(width, x.shape[-1] + ys.shape[-1] + (r - 1).bit_length(), low)
    with b.scope("multiply"):
        rows = np.concatenate([product_rows(b, x, ys[..., i, :], width) for i in range(r)], axis=-2)
        return sum_rows(b, rows, width, low=low)


def product_rows(b: Builder, x, y, width: int) -> np.ndarray:
    """The partial products of x * y, row i = (x AND y_i) shifted i up, as
    rows (..., Wy, width) cut at ``width``; their sum is x * y mod 2^width."""
    wx = x.shape[-1]
    y = y[..., :width]
    wy = y.shape[-1]
    lead = np.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    kept = np.arange(wy)[:, None] + np.arange(wx)[None, :] < width  # partial product bit below ``width``
    pp = b.and_(x[..., None, :], np.where(kept, y[..., :, None], ZERO))  # (..., Wy, Wx): row i = x AND y_i
    rows = filled(lead + (wy, max(width, wx + wy)))
    for i in range(wy):
        rows[..., i, i : i + wx] = pp[..., i, :]
    return rows[..., :width]


def negated_rows(b: Builder, rows, width: int) -> np.ndarray:
    """Rows (..., n + 1, width) whose sum is -(sum of ``rows`` (..., n, W))
    mod 2^width: each row's complement on ``width`` bits (ones above its W),
    and n in one more row."""
    rows = as_wires(rows)
    n, w = rows.shape[-2:]
    lead = rows.shape[:-2]
    flipped = cat_bits(b.not_(rows[..., :width]), const_bits(-1 % (1 << width), max(0, width - w), lead + (n,)))
    return np.concatenate([flipped, const_bits(n, width, lead)[..., None, :]], axis=-2)


def times_constant(b: Builder, x, constant: int, width: int | None = None, low: int = 0, cut: int = 0,
                   **sum_options) -> np.ndarray:
    """Bits low .. width-1 of x * ``constant`` (a constant >= 1; ``width``
    defaults to the product's W + bit_length(constant) bits and may exceed it,
    zero-padded): ``sum_rows`` (with ``sum_options``) of one shifted copy of x
    per set bit of the constant.

    ``cut`` > 0 cuts every copy below bit ``cut`` and counts in units of
    2^cut: the sum over set bits k of floor(x 2^k / 2^cut), below
    x * constant / 2^cut by less than the number of copies (no gate for
    what is cut; a copy entirely below ``cut`` is no row)."""
    x = as_wires(x)
    if constant < 1:
        raise GadgetError(f"times_constant needs a constant >= 1, got {constant}")
    w = x.shape[-1]
    full = w + constant.bit_length() - cut
    width = _kept_width(width, full, low, most=math.inf)  # wider than the product: zero-padded
    shifts = [k for k in range(constant.bit_length()) if (constant >> k) & 1 and k + w > cut]
    rows = filled(x.shape[:-1] + (len(shifts), full))
    for row, k in enumerate(shifts):
        first = max(0, cut - k)  # the lowest bit of x that survives the cut
        rows[..., row, k + first - cut : k + w - cut] = x[..., first:]
    return sum_rows(b, rows, width, low=low, **sum_options)


def maximum(b: Builder, xs) -> np.ndarray:
    """Maximum of m W-bit numbers xs (..., m, W), depth 6.

    Number i wins iff it is > every earlier number and >= every later one
    (so exactly one wins); bit t is OR_i AND(win conditions of i, x_i bit t).
    """
    xs = as_wires(xs)
    m = xs.shape[-2]
    with b.scope("maximum"):
        if m == 1:
            return xs[..., 0, :]
        below_i, below_j = np.tril_indices(m, -1)  # pairs j < i
        above_i, above_j = np.triu_indices(m, 1)  # pairs j > i
        beats = filled(xs.shape[:-2] + (m, m), ONE)  # (..., i, j): i beats j
        beats[..., below_i, below_j] = b.gate(Kind.OR, less_than_terms(b, xs[..., below_j, :], xs[..., below_i, :]))
        beats[..., above_i, above_j] = greater_equal(b, xs[..., above_i, :], xs[..., above_j, :])
        picked = b.gate(Kind.AND, cat_bits(beats[..., None, :], xs[..., None]))  # (..., i, W): win_i AND bit
        return b.gate(Kind.OR, np.swapaxes(picked, -1, -2))


def maximum_by_thresholds(b: Builder, xs) -> np.ndarray:
    """Maximum of m W-bit numbers xs (..., m, W) in O(m 2^W) gates (all-pairs
    ``maximum`` takes O(m^2 W)), depth 6: worth it for many short numbers
    (e.g. the exponents of a long float sum).

    For each u < 2^W - 1, "some x_i > u" is one OR over i and over the bit
    positions j with u_j = 0 of the prefix term AND(x_ij, x_ik = u_k for k > j)
    (terms shared between the u with the same prefix). These thermometer flags
    a_v = [max >= v] give bit t of the max as the OR, over v with bit t set,
    of a_v AND NOT a_(v+1).
    """
    xs = as_wires(xs)
    m, w = xs.shape[-2:]
    lead = xs.shape[:-2]
    with b.scope("maximum_by_thresholds"):
        if m == 1:
            return xs[..., 0, :]
        literals = np.stack([b.not_(xs), xs], axis=-1)  # (..., m, W, 2): [x_k = 0], [x_k = 1]
        terms, start = [], {}
        for j in range(w):  # term (j, P): x_j = 1 and bits above j spell P
            prefixes = np.arange(1 << (w - 1 - j))
            above = (prefixes[:, None] >> np.arange(w - 1 - j)[None, :]) & 1  # bit k - j - 1 of P
            ks = np.arange(j + 1, w)[None, :]
            fanin = cat_bits(
                np.broadcast_to(xs[..., None, j : j + 1], lead + (m, len(prefixes), 1)),
                literals[..., ks, above],  # (..., m, P, W - 1 - j)
            )
            start[j] = sum(t.shape[-1] for t in terms)
            terms.append(b.gate(Kind.AND, fanin))
        terms.append(filled(lead + (m, 1)))  # padding, neutral for OR
        pad = sum(t.shape[-1] for t in terms) - 1
        table = np.concatenate(terms, axis=-1)  # (..., m, 2^W)
        us = np.arange((1 << w) - 1)
        pick = np.array([[start[j] + (u >> (j + 1)) if not (u >> j) & 1 else pad for j in range(w)] for u in us])
        chosen = table[..., pick]  # (..., m, U, W)
        flags = b.gate(Kind.OR, np.moveaxis(chosen, -3, -2).reshape(lead + (len(us), m * w)))  # a_(u+1)
        above = cat_bits(flags[..., 1:], const_bits(0, 1, lead))
        top = b.and_(flags, b.not_(above))  # max == u + 1
        values = us + 1
        bit_set = ((values[None, :] >> np.arange(w)[:, None]) & 1) == 1  # (W, U)
        fanins = np.where(bit_set, top[..., None, :], ZERO)
        return b.gate(Kind.OR, fanins)


def decode(b: Builder, x, count: int | None = None) -> np.ndarray:
    """One-hot decoder: [x == v] for v = 0 .. count-1 (default 2^W), depth 2
    (an AND of literals per value)."""
    x = as_wires(x)
    w = x.shape[-1]
    count = 1 << w if count is None else count
    values = np.arange(count)
    bit_set = ((values[:, None] >> np.arange(w)[None, :]) & 1) == 1
    with b.scope("decode"):
        nx = b.not_(x)
        literals = np.where(bit_set, x[..., None, :], nx[..., None, :])
        fits = values < (1 << w)  # values that need more than W bits never match
        return np.where(fits, b.gate(Kind.AND, literals), ZERO)


def lookup(b: Builder, onehot, table, width: int) -> np.ndarray:
    """ROM read: the ``width``-bit entry table[v] of the hot position v of
    ``onehot`` (..., V); one OR per output bit, depth 1 over the one-hot."""
    onehot = as_wires(onehot)
    table = np.asarray(table, dtype=object)
    bits = np.array([[(int(t) >> k) & 1 for k in range(width)] for t in table], dtype=bool)  # (V, width)
    with b.scope("lookup"):
        picks = np.where(bits.T, onehot[..., None, :], ZERO)  # (..., width, V)
        return b.gate(Kind.OR, cat_bits(picks, const_bits(0, 1, picks.shape[:-1])))
