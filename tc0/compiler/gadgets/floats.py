"""Constant-depth p-bit float gadgets over word tensors (DESIGN section 3).

A float is a wire array of ``fmt.width`` bits in the word order of DESIGN
section 3: significand m (p bits), exponent E (e bits, two's complement),
sign. Gadgets work on all leading axes at once.

Every arithmetic gadget computes an exact value ``(-1)^s * N * 2^(X - bias)``
(N and X unsigned wire integers, bias a constant) and hands it to
``round_pack``, the one place where rounding, saturation and flushing happen.
Exponents are handled in offset binary: the biased exponent of a word is E
with its top bit inverted, i.e. E + 2^(e-1).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from tc0.compiler.builder import Builder, as_wires
from tc0.ir.schema import ONE, ZERO, Kind
from tc0.numerics.crt_series import crt_series
from tc0.numerics.exp_algorithm import check_rom_bits, exp_plan
from tc0.compiler.gadgets import crt, integer
from tc0.compiler.gadgets.integer import cat_bits, const_bits, fit
from tc0.errors import GadgetError

#: the scope each float operation builds its gates under (a report groups gates by them)
SCOPES = {op: f"f{op}" for op in ("add", "sub", "mul", "div", "exp", "sqrt", "sum", "dot", "relu", "lt", "eq", "max", "prod")}


class Fields:
    """The parts of float words: significand, biased exponent, sign, non-zero flag."""

    def __init__(self, b: Builder, fmt, words):
        w = as_wires(words)
        p, e = fmt.p, fmt.e
        self.m = w[..., :p]
        exp = w[..., p : p + e]
        self.biased = cat_bits(exp[..., :-1], b.not_(exp[..., -1:]))  # E + 2^(e-1), unsigned
        self.nonzero = w[..., p - 1]  # valid words: m != 0 iff its leading bit is set
        self.sign = b.and_(w[..., p + e], self.nonzero)  # a zero's sign is ignored


def round_pack(b: Builder, fmt, sign, mag, exp_terms, bias: int) -> np.ndarray:
    """The word round((-1)^sign * mag * 2^(sum(exp_terms) - bias)) per DESIGN 3.

    ``mag`` (..., K) and each exp term (..., bits) are unsigned wire integers.
    With L the position of mag's leading one: the p bits below it, the guard
    bit and the sticky OR of the rest; round half to even (an increment,
    whose carry c renormalises to 2^(p-1)). The biased exponent is
    V + L + c - A with V = sum(exp_terms) + a constant, A a multiple of 2^e.
    Its range is decided by speculation over j = L + c in 0..K: the
    thresholds [V >= A - j] (not flushed) and [V >= A + 2^e - j] (saturated)
    come from the exponent terms alone, off the significand's path. So the
    depth after the significand does not depend on the exponent's width or
    on constants.

    A builder that optimizes depth rounds by position (``_pack_by_position``,
    3 levels after mag when its negations are at hand); one that optimizes
    size normalises mag, then rounds with one adder (14 levels, O(K p) gates).
    """
    return round_pack_choices(b, fmt, [((), sign, mag)], exp_terms, bias)


def round_pack_choices(b: Builder, fmt, choices, exp_terms, bias: int, words=()) -> np.ndarray:
    """``round_pack`` of the one choice (selects, sign, mag) whose selects (a
    tuple of wires) all hold, or the word of the one (selects, word) of
    ``words`` whose selects hold; at most one may hold (callers add the
    words' negated conditions to their choices' selects).

    Only a builder that optimizes depth takes several choices or any words:
    it folds the selects into its rounding terms, so a pick costs no level.
    """
    p, e = fmt.p, fmt.e
    k_bits = max(as_wires(mag).shape[-1] for _, _, mag in choices)
    choices = [(tuple(as_wires(x) for x in selects), as_wires(sign), fit(mag, k_bits)) for selects, sign, mag in choices]
    lead = np.broadcast_shapes(*(mag.shape[:-1] for _, _, mag in choices))
    with b.scope("round_pack"):
        shift = 2 ** (e - 1) - (bias + p - 1)
        base = max(0, -shift) + (-max(0, -shift)) % 2**e  # A: the least multiple of 2^e with shift + A >= 0
        offset = shift + base
        terms = [as_wires(t) for t in exp_terms]
        width = max([t.shape[-1] for t in terms] + [max(1, offset.bit_length())]) + len(terms).bit_length() + 1
        rows = [fit(t, width) for t in terms] + [const_bits(offset, width, lead)]
        v = integer.iterated_sum(b, np.stack(np.broadcast_arrays(*rows), axis=-2), width=width)
        j = range(k_bits + 1)
        not_flushed = integer.at_least(b, v, [base - i for i in j])
        saturated = integer.at_least(b, v, [base + 2**e - i for i in j])
        if b.optimize == "depth":
            return _pack_by_position(b, fmt, choices, words, fit(v, e), not_flushed, saturated)
        if len(choices) != 1 or choices[0][0] or words:
            raise GadgetError("a builder that optimizes size rounds one choice without selects (pick it first)")
        _, sign, mag = choices[0]
        onehot, position = integer.leading_one(b, mag)

        # bit j of the normalised significand (j = -1 is the guard bit): mag bit L - (p-1) + j
        i = np.arange(k_bits)
        src = i[:, None] - (p - 1) + np.arange(-1, p)[None, :]  # (i, j+1)
        src_bit = np.where(src >= 0, mag[..., np.clip(src, 0, k_bits - 1)], ZERO)
        top = b.gate(Kind.OR, np.swapaxes(b.and_(onehot[..., :, None], src_bit), -1, -2))  # (..., p+1)
        guard, sig = top[..., 0], top[..., 1:]
        below_guard = np.where(i[None, :] < i[:, None] - p, mag[..., None, :], ZERO)  # (i, k): k < i - p
        sticky = b.gate(Kind.OR, b.and_(onehot, b.gate(Kind.OR, below_guard)))
        round_up = b.and_(guard, b.or_(sticky, sig[..., 0]))
        inc = integer.add(b, sig, cat_bits(round_up[..., None], const_bits(0, p - 1, lead)))  # p + 1 bits
        carry = inc[..., p]
        significand = cat_bits(inc[..., : p - 1], b.or_(inc[..., p - 1], carry)[..., None])

        # pair (L, c): L the leading one's position, c the carry; j = L + c
        with_carry = cat_bits(b.not_(carry)[..., None], carry[..., None])  # (..., c)
        picked = b.and_(onehot[..., :, None], with_carry[..., None, :])  # (..., L, c)
        pair_j = np.arange(k_bits)[:, None] + np.arange(2)[None, :]
        normal = b.gate(Kind.OR, b.and_(picked, not_flushed[..., pair_j], b.not_(saturated)[..., pair_j]).reshape(lead + (-1,)))
        saturate = b.gate(Kind.OR, b.and_(picked, saturated[..., pair_j]).reshape(lead + (-1,)))
        low = fit(v, e)
        l_bits = fit(position, e)
        biased = b.mux(carry[..., None], integer.add_plus_one(b, low, l_bits, e), integer.add(b, low, l_bits, width=e))
        exponent = cat_bits(biased[..., : e - 1], b.not_(biased[..., e - 1 : e]))

        keep = lambda bits: b.and_(normal[..., None], bits)  # noqa: E731
        m_out = b.or_(keep(significand), saturate[..., None])
        e_out = cat_bits(b.or_(keep(exponent[..., : e - 1]), saturate[..., None]), keep(exponent[..., e - 1 :]))
        s_out = b.and_(sign, b.or_(normal, saturate))
        return cat_bits(m_out, e_out, s_out[..., None])


def _pack_by_position(b: Builder, fmt, choices, words, low, not_flushed, saturated) -> np.ndarray:
    """``round_pack``'s output computed for every position L of the leading one
    at once, and for every choice (select, sign, mag), picked by the one-hot
    and the select: 3 levels after mag and select when their negations are
    at hand, O(K p^2) edges.

    At position L the window is w = mag[L-p+1 .. L], the guard g = mag[L-p],
    r = OR(sticky, w_0) and a_t = AND(w_0 .. w_(t-1)). Round-up is g AND r;
    it carries out of the window (c = 1) iff g AND a_p. Then, with c = 0,
    significand bit t is w_t AND (NOT g OR NOT r OR NOT a_t), or
    g AND r AND NOT w_t AND a_t; with c = 1 it is 2^(p-1) and the exponent
    is one higher. Every case is one AND of literals, the one-hot, the
    select and the exponent side's flags and bits for j = L + c, so each
    output bit is a single OR of them.
    """
    p, e = fmt.p, fmt.e
    k_bits = choices[0][2].shape[-1]
    # exponent side, per j = L + c: the flags, and the word's exponent bits (low + j, top bit inverted)
    exponents = integer.plus_small(b, low, k_bits + 1)
    exponents = cat_bits(exponents[..., : e - 1], b.not_(exponents[..., e - 1 :]))  # (..., j, e)
    normal = b.and_(not_flushed, b.not_(saturated))  # (..., j)

    def at(x, c):
        """Per-j flags (..., j) or bits (..., j, n) at j = L + c, as (..., L, 1) or (..., L, n)."""
        return x[..., c : c + k_bits, None] if x.ndim == low.ndim else x[..., c : c + k_bits, :]

    col = lambda x: as_wires(x)[..., None]  # noqa: E731
    i = np.arange(k_bits)
    src = i[:, None] - (p - 1) + np.arange(-1, p)[None, :]  # (L, 1 + t): guard, then the window
    tail = (i[None, :] < i[:, None] - p) | (i[None, :] == i[:, None] - p + 1)  # sticky bits and w_0
    below = np.arange(p)[None, :] < np.arange(p + 1)[:, None]  # (t, s): s < t
    is_top = np.where(np.arange(p) == p - 1, ONE, ZERO)
    m_terms, e_terms, top_terms, s_terms = [], [], [], []
    for select, sign, mag in choices:
        onehot, _ = integer.leading_one(b, mag)
        bits = np.where(src >= 0, mag[..., np.clip(src, 0, k_bits - 1)], ZERO)
        guard, window = bits[..., 0], bits[..., 1:]  # (..., L), (..., L, t)
        r = b.gate(Kind.OR, np.where(tail, mag[..., None, :], ZERO))
        ones = b.gate(Kind.AND, np.where(below, window[..., None, :], ONE))  # (..., L, t): a_0 .. a_p
        n_guard, n_r, n_ones, n_window = b.not_(guard), b.not_(r), b.not_(ones), b.not_(window)
        hot = (col(onehot), *(col(col(x)) for x in select))
        g, full = col(guard), col(ones[..., p])
        # the three ways (L, c) can hold: c = 0 as NOT g or as a window not all ones; c = 1
        ways = [(0, (col(n_guard),)), (0, (col(n_ones[..., p]),)), (1, (g, full))]
        saturate = [(*hot, at(saturated, c), *cond) for c, cond in ways]
        m_terms += [
            (*hot, at(normal, 0), window, col(n_guard)),
            (*hot, at(normal, 0), window, col(n_r)),
            (*hot, at(normal, 0), window, n_ones[..., :p]),
            (*hot, at(normal, 0), n_window, ones[..., :p], g, col(r)),
            (*hot, at(normal, 1), g, full, is_top),
            *saturate,
        ]
        kept = [((*hot, at(normal, c), *cond), at(exponents, c)) for c, cond in ways]
        e_terms += [(*t, x[..., : e - 1]) for t, x in kept] + saturate
        top_terms += [(*t, x[..., e - 1 :]) for t, x in kept]
        s_terms += [(*hot, at(not_flushed, c), *cond, col(col(sign))) for c, cond in ways]

    fixed = [tuple(col(col(x)) for x in selects) + (as_wires(word)[..., None, :],) for selects, word in words]

    def column_or(terms, lo, hi):
        """Per column lo .. hi - 1 of the word, the OR over L and over ``terms``
        (each a tuple of arrays broadcastable to (..., L, columns)) of their
        ANDs, and over the fixed words' (selects, bit) ANDs."""
        ands = [b.and_(*t) for t in terms] + [b.and_(*t[:-1], t[-1][..., lo:hi]) for t in fixed]
        shape = np.broadcast_shapes(*(a.shape[:-2] for a in ands)) + (hi - lo,)
        stacked = np.concatenate([np.broadcast_to(a, shape[:-1] + a.shape[-2:-1] + shape[-1:]) for a in ands], axis=-2)
        return b.gate(Kind.OR, np.swapaxes(stacked, -1, -2))

    return cat_bits(column_or(m_terms, 0, p), column_or(e_terms, p, p + e - 1),
                    column_or(top_terms, p + e - 1, p + e), column_or(s_terms, p + e, p + e + 1))


def mul(b: Builder, fmt, x, y) -> np.ndarray:
    """x * y, correctly rounded: the 2p-bit significand product with exponent
    E1 + E2 = (B1 + B2) - 2^e in offset binary, then ``round_pack``."""
    with b.scope(SCOPES["mul"]):
        fx, fy = Fields(b, fmt, x), Fields(b, fmt, y)
        product = integer.multiply(b, fx.m, fy.m)
        sign = b.xor(fx.sign, fy.sign)
        return round_pack(b, fmt, sign, product, [fx.biased, fy.biased], 2**fmt.e)


#: sums of more terms than this find their largest exponent with O(m 2^e) gates
#: (``integer.maximum_by_thresholds``) instead of all pairs, O(m^2 e), where that is
#: fewer (2^e <= m e: never for wide exponents); both have depth 6
THRESHOLD_MAX_FROM_M = 64


def _aligned_sum(b: Builder, fmt, words, extra_bits: int, sticky: bool) -> np.ndarray:
    """Sum of the floats words (..., m, width) over axis -2.

    Let B* be the largest biased exponent among non-zero terms and
    W = p + extra_bits. Each term's significand is placed W - p bits up and
    shifted right by B* - B_i (truncating toward zero), i.e. it is expressed
    in units of 2^(E* + p - W). With ``sticky`` every term gets one more low
    bit, the OR of what it lost (guard/round/sticky rounding, exact for two
    terms). Positive and negative terms are added separately and the smaller
    total subtracted from the larger; ``round_pack`` does the rest.

    A builder that optimizes depth shifts each of two terms by
    max(0, B_other - B_i), beside the maximum rather than after it, ORs the
    lost bits in one flat OR, and hands ``round_pack_choices`` every signed
    result with the condition that picks it (``_pair_choices``; for more
    terms T and -T, ``_total_choices``), so no comparison or mux stands
    between the sum and the rounding.
    """
    p, e = fmt.p, fmt.e
    f = Fields(b, fmt, words)
    lead = f.m.shape[:-2]
    m = f.m.shape[-2]
    w = p + extra_bits
    by_depth = b.optimize == "depth"
    with b.scope("align"):
        masked = b.and_(f.biased, f.nonzero[..., None])
        if m == 1:
            top = masked[..., 0, :]
        elif m > THRESHOLD_MAX_FROM_M and 2**e <= m * e:
            top = integer.maximum_by_thresholds(b, masked)
        else:
            top = integer.maximum(b, masked)
        if by_depth and m == 2:
            ahead = integer.sub(b, masked[..., ::-1, :], f.biased)  # B_other - B_i, e + 1 bits
            shift = b.and_(ahead[..., :e], b.not_(ahead[..., e:]))
        else:
            shift = integer.sub(b, top[..., None, :], f.biased, width=e)  # >= 0 for non-zero terms
        placed = cat_bits(const_bits(0, w - p, lead + (m,)), f.m)
        aligned = integer.shift_right(b, placed, shift)
        if sticky:
            firsts = [k + w - p + 1 for k in range(p)]  # bit k of m is lost when shift >= k + w - p + 1
            if by_depth:
                lost = _lost_bits(b, f.m, shift, firsts)
            else:
                lost = b.gate(Kind.OR, np.stack([
                    b.and_(f.m[..., k], integer.greater_equal(b, shift, const_bits(first, e, lead + (m,))))
                    for k, first in enumerate(firsts) if first < 2**e
                ] or [const_bits(0, 1, lead + (m,))[..., 0]], axis=-1))
            aligned = cat_bits(lost[..., None], aligned)
    bias = 2 ** (e - 1) - p + w + (1 if sticky else 0)
    with b.scope("signed_sum"):
        if by_depth and m == 2:
            choices = _pair_choices(b, aligned, f.sign)
        else:
            choices = _total_choices(b, aligned, f.sign, by_depth)
    if by_depth:
        return round_pack_choices(b, fmt, choices, [top], bias)
    (_, negative_result, magnitude), = choices
    return round_pack(b, fmt, negative_result, magnitude, [top], bias)


def _total_choices(b: Builder, aligned, signs, by_depth: bool) -> list:
    """The signed sum of aligned magnitudes (..., m, W), as choices for
    ``round_pack_choices``.

    Size: the positive and the negative terms' totals, the smaller
    subtracted from the larger, picked by a comparison and a mux. Depth: the
    total T = sum (-1)^s_i a_i in two's complement as one iterated sum (a
    negative term enters as its complement NOT a_i plus 1, an extra row bit),
    and -T the same way with the signs flipped; T's sign bit picks."""
    m = aligned.shape[-2]
    lead = aligned.shape[:-2]
    one, zero = const_bits(1, 1, lead)[..., 0], const_bits(0, 1, lead)[..., 0]
    if by_depth:
        width = aligned.shape[-1] + m.bit_length() + 1
        flipped = integer.negated_rows(b, aligned, width)[..., :m, :]  # NOT a_i on ``width`` bits

        def total(negated, kept):
            """sum of the terms, those with ``negated`` as two's complements."""
            rows = [b.and_(fit(aligned, width), kept[..., None]), b.and_(flipped, negated[..., None]),
                    fit(negated[..., None], width)]
            return integer.iterated_sum(b, np.concatenate(rows, axis=-2), width=width)

        plus, minus = total(signs, b.not_(signs)), total(b.not_(signs), signs)
        negative = plus[..., width - 1]
        return [((b.not_(negative),), zero, plus[..., : width - 1]), ((negative,), one, minus[..., : width - 1])]
    positive = b.and_(aligned, b.not_(signs)[..., None])
    negative = b.and_(aligned, signs[..., None])
    pos_total = integer.iterated_sum(b, positive) if m > 1 else positive[..., 0, :]
    neg_total = integer.iterated_sum(b, negative) if m > 1 else negative[..., 0, :]
    negative_result = integer.less_than(b, pos_total, neg_total)
    width = pos_total.shape[-1]
    below = integer.sub(b, neg_total, pos_total, width=width)
    above = integer.sub(b, pos_total, neg_total, width=width)
    return [((), negative_result, integer.mux(b, negative_result, below, above))]


def _lost_bits(b: Builder, m, shift, firsts) -> np.ndarray:
    """OR_k (m_k AND [shift >= firsts[k]]) as one OR of ANDs over shift's
    literals: with 2^q above every first, [shift >= c] is a high bit of shift
    (q and up) or a value t in [c, 2^q) of its low q bits."""
    e = shift.shape[-1]
    q = min(e, max(firsts).bit_length())
    nshift = b.not_(shift[..., :q])
    values = np.arange(1 << q)
    literals = np.where((values[:, None] >> np.arange(q)[None, :]) & 1, shift[..., None, :q], nshift[..., None, :])
    pairs = [(k, t) for k, first in enumerate(firsts) for t in range(first, 1 << q)]
    ks, ts = [k for k, _ in pairs], [t for _, t in pairs]
    terms = [b.gate(Kind.AND, cat_bits(m[..., ks, None], literals[..., ts, :])) if pairs else m[..., :0]]
    for j in range(q, e):
        terms.append(b.and_(m, shift[..., j : j + 1]))
    terms = cat_bits(*terms)
    return b.gate(Kind.OR, terms) if terms.shape[-1] else const_bits(0, 1, m.shape[:-1])[..., 0]


def _pair_choices(b: Builder, aligned, signs) -> list:
    """The signed sum of two aligned magnitudes (..., 2, W) as choices for
    ``round_pack_choices``: x + y (signs equal), x - y (they differ and
    x >= y), y - x (they differ and x < y), each with its sign."""
    x, y = aligned[..., 0, :], aligned[..., 1, :]
    sx, sy = signs[..., 0], signs[..., 1]
    width = x.shape[-1]
    differ = b.xor(sx, sy)
    x_minus_y = integer.sub(b, x, y)  # W + 1 bits: the top one, the borrow, is [x < y]
    smaller = x_minus_y[..., width]
    return [((b.not_(differ),), sx, integer.add(b, x, y)),
            ((differ, b.not_(smaller)), sx, x_minus_y[..., :width]),
            ((differ, smaller), sy, integer.sub(b, y, x, width=width))]


def add(b: Builder, fmt, x, y) -> np.ndarray:
    """x + y, correctly rounded (3 guard bits and a sticky bit)."""
    with b.scope(SCOPES["add"]):
        return _aligned_sum(b, fmt, np.stack(np.broadcast_arrays(as_wires(x), as_wires(y)), axis=-2), 3, sticky=True)


def negate(b: Builder, fmt, x) -> np.ndarray:
    """-x (flips the sign wire; no gate for the value)."""
    x = as_wires(x)
    return cat_bits(x[..., :-1], b.not_(x[..., -1:]))


def sub(b: Builder, fmt, x, y) -> np.ndarray:
    """x - y = x + (-y), correctly rounded."""
    with b.scope(SCOPES["sub"]):
        return add(b, fmt, x, negate(b, fmt, y))


def sum_(b: Builder, fmt, words) -> np.ndarray:
    """Sum of m floats words (..., m, width) with DESIGN's baseline semantics:
    truncate every term to W = p + ceil(log2 m) + 3 bits below the largest
    term's top, add exactly, round once."""
    m = as_wires(words).shape[-2]
    with b.scope(SCOPES["sum"]):
        return _aligned_sum(b, fmt, words, (m - 1).bit_length() + 3, sticky=False)


def dot(b: Builder, fmt, x, y) -> np.ndarray:
    """Dot product over axis -2 of x, y (..., m, width): rounded products, then ``sum_``."""
    with b.scope(SCOPES["dot"]):
        return sum_(b, fmt, mul(b, fmt, x, y))


def _magnitude_key(b: Builder, f: Fields) -> np.ndarray:
    """Unsigned key ordering magnitudes: (biased exponent, significand), 0 for zero."""
    return b.and_(cat_bits(f.m, f.biased), f.nonzero[..., None])


def less_than(b: Builder, fmt, x, y) -> np.ndarray:
    """[x < y], exact (zeros of either sign are equal)."""
    with b.scope(SCOPES["lt"]):
        fx, fy = Fields(b, fmt, x), Fields(b, fmt, y)
        kx, ky = _magnitude_key(b, fx), _magnitude_key(b, fy)
        opposite = b.and_(fx.sign, b.not_(fy.sign))
        if b.optimize == "depth":  # the sign conditions inside the comparisons' terms: one OR of ANDs
            nx, ny = b.not_(fx.sign), b.not_(fy.sign)
            terms = cat_bits(opposite[..., None], integer.less_than_terms(b, kx, ky, also=(nx, ny)),
                             integer.less_than_terms(b, ky, kx, also=(fx.sign, fy.sign)))
            return b.gate(Kind.OR, terms)
        both_pos = b.and_(b.not_(fx.sign), b.not_(fy.sign))
        both_neg = b.and_(fx.sign, fy.sign)
        return b.or_(
            opposite,
            b.and_(both_pos, integer.less_than(b, kx, ky)),
            b.and_(both_neg, integer.less_than(b, ky, kx)),
        )


def equal(b: Builder, fmt, x, y) -> np.ndarray:
    """[x == y], exact (all zeros are equal)."""
    with b.scope(SCOPES["eq"]):
        fx, fy = Fields(b, fmt, x), Fields(b, fmt, y)
        kx, ky = _magnitude_key(b, fx), _magnitude_key(b, fy)
        return integer.equal(b, cat_bits(kx, fx.sign[..., None]), cat_bits(ky, fy.sign[..., None]))


def canonical(b: Builder, fmt, x) -> np.ndarray:
    """The word with every zero made all-zero bits."""
    x = as_wires(x)
    return b.and_(x, x[..., fmt.p - 1 : fmt.p])


def maximum(b: Builder, fmt, x, y) -> np.ndarray:
    """max(x, y) (canonical word)."""
    with b.scope(SCOPES["max"]):
        pick_y = less_than(b, fmt, x, y)
        return canonical(b, fmt, integer.mux(b, pick_y, as_wires(y), as_wires(x)))


def relu(b: Builder, fmt, x) -> np.ndarray:
    """max(x, 0): the word when positive, zero otherwise."""
    with b.scope(SCOPES["relu"]):
        f = Fields(b, fmt, x)
        return b.and_(as_wires(x), b.and_(f.nonzero, b.not_(f.sign))[..., None])


def parity(b: Builder, bits) -> np.ndarray:
    """XOR of the last axis, depth 3 (bit 0 of the count)."""
    bits = as_wires(bits)
    return integer.weighted_count(b, bits, np.ones(bits.shape[-1], dtype=np.int64))[..., 0]


def prod(b: Builder, fmt, words) -> np.ndarray:
    """Product of m floats words (..., m, width), rounded once: the exact
    significand product by Chinese remaindering (``crt.iterated_product``),
    the exponents summed inside ``round_pack``."""
    words = as_wires(words)
    m = words.shape[-2]
    with b.scope(SCOPES["prod"]):
        f = Fields(b, fmt, words)
        sign = parity(b, f.sign) if m > 1 else f.sign[..., 0]
        exps = [f.biased[..., i, :] for i in range(m)]
        bias = m * 2 ** (fmt.e - 1)
        if b.optimize == "depth" and m > 1:  # the CRT candidate that holds, by one AND and one OR per bit
            picked = [b.and_(*(x[..., None] for x in selects), value)
                      for selects, value in crt.iterated_product_choices(b, f.m)]
            significand = b.gate(Kind.OR, np.stack(picked, axis=-1))
        else:
            significand = crt.iterated_product(b, f.m) if m > 1 else f.m[..., 0, :]
        return round_pack(b, fmt, sign, significand, exps, bias)


def _series_terms(b: Builder, powers_rows, unit_bits: int, frac_bits: int, coefficients) -> tuple[list, list, int]:
    """The terms of ``_fixed_point_series`` as rows, split by the sign of c_k,
    and the width that holds their sums."""
    f = frac_bits
    lead = powers_rows.shape[:-2]
    width = f + 4 + len(coefficients).bit_length()
    positive, negative = [], []
    for k, coef in enumerate(coefficients):
        if coef == 0:
            continue
        if k == 0:
            scaled = const_bits(1 << f, f + 1, lead)  # x^0 = 1
        else:
            shift = k * unit_bits - f
            row = powers_rows[..., k - 1, :]
            scaled = row[..., shift:] if shift >= 0 else cat_bits(const_bits(0, -shift, lead), row)
            scaled = scaled[..., : f + 1]  # x^k <= 1 in every use
        product = integer.times_constant(b, scaled, abs(coef), width=f + width, low=f, uniform=True)
        (positive if coef > 0 else negative).append(product)
    return positive, negative, width


def _fixed_point_series(b: Builder, powers_rows, unit_bits: int, frac_bits: int, coefficients) -> np.ndarray:
    """sum_k c_k * x^k in fixed point, x = X / 2^unit_bits given by the exact
    powers X^1..X^K (rows of ``powers_rows``). Term k is
    floor(floor(X^k / 2^(k*unit_bits - F)) * |c_k|) with c_k a dyadic constant
    (an int numerator over 2^F); positive and negative terms are summed
    separately and subtracted. Returns the non-negative total in units 2^-F.
    """
    positive, negative, width = _series_terms(b, powers_rows, unit_bits, frac_bits, coefficients)
    pos = integer.sum_rows(b, np.stack(positive, axis=-2), width, uniform=True) if len(positive) > 1 else positive[0]
    if not negative:
        return pos
    neg = integer.sum_rows(b, np.stack(negative, axis=-2), width, uniform=True) if len(negative) > 1 else negative[0]
    return integer.sub(b, pos, neg, width=width)


def _times_series(b: Builder, x, powers_rows, unit_bits: int, frac_bits: int, coefficients, width: int,
                  low: int) -> np.ndarray:
    """Bits low .. width-1 of x times ``_fixed_point_series``, as one
    ``integer.multiply_sum`` over its terms: a negative term enters as its
    two's complement on ``width`` bits (NOT T, ones above, and 1 in a
    constant row), so the sum is exact modulo 2^width."""
    positive, negative, _ = _series_terms(b, powers_rows, unit_bits, frac_bits, coefficients)
    rows = np.stack(np.broadcast_arrays(*[fit(t, width) for t in positive + negative]), axis=-2)
    if negative:
        rows = np.concatenate([rows[..., : len(positive), :], integer.negated_rows(b, rows[..., len(positive) :, :], width)],
                              axis=-2)
    return integer.multiply_sum(b, x, rows, width=width, low=low)


def division_plan(p: int, method: str = "table") -> dict:
    """Constants of ``div``: ROM index bits t (u < 2^(1-t)), series fraction
    bits F, ROM fraction bits G, the candidate window, and ``series``: None for
    the table method (1 + u + u^2 misses < 2^(3-3t) <= 2^-(p+4)), else the
    Chinese-remainder plan of 2^F (1 + u + ... + u^(K-1)) with
    K (t - 1) >= F + 1, so the tail stays below a unit of 2^-F; its value is
    within 2.5 units, so five candidates instead of three."""
    f = p + 6
    if method == "series":
        t = min(p, p.bit_length() + 1)
        terms = -(-(f + 1) // (t - 1))
        coefficients = tuple(1 << (f * (terms - 1 - k)) for k in range(terms))
        return {"t": t, "F": f, "G": f + 2, "window": 5,
                "series": crt_series(coefficients, f - t + 2, f * (terms - 2))}
    t = min(p, -(-(p + 7) // 3))
    check_rom_bits("div", p, t - 1)
    return {"t": t, "F": f, "G": f + 2, "window": 3, "series": None}


def _small_powers(b: Builder, x, count: int) -> np.ndarray:
    """x^1 .. x^count by plain multiplications, as rows (..., count, count*W)."""
    x = as_wires(x)
    w = x.shape[-1]
    rows, power = [], x
    for k in range(1, count + 1):
        if k > 1:
            power = integer.multiply(b, power, x, width=k * w)
        rows.append(fit(power, count * w))
    return np.stack(rows, axis=-2)


def div(b: Builder, fmt, x, y) -> np.ndarray:
    """x / y, correctly rounded; x/0 = the largest magnitude with x's sign,
    0/0 = 0.

    Integer quotient N = floor(m_x 2^(p+2) / m_y). With z = m_y / 2^p, a ROM
    on the top t bits of m_y gives R0 ~ 1/(z0 + 2^-t); u = 1 - z R0 < 2^(1-t)
    and 1/z ~ R0 (1 + u + u^2) (table method; the series method: K terms by
    ``crt.series``) give N0 within one (two) of N; the remainders of the
    three (five) candidates around N0 (exact multiply and compare) pick N
    and the sticky bit (remainder != 0). ``division_plan`` has the constants.
    """
    p, e = fmt.p, fmt.e
    plan = division_plan(p, fmt.method)
    t, f, g, window = plan["t"], plan["F"], plan["G"], plan["window"]
    with b.scope(SCOPES["div"]):
        fx, fy = Fields(b, fmt, x), Fields(b, fmt, y)
        lead = np.broadcast_shapes(fx.m.shape[:-1], fy.m.shape[:-1])
        mx, my = np.broadcast_to(fx.m, lead + (p,)), np.broadcast_to(fy.m, lead + (p,))
        hot = integer.decode(b, my[..., p - t : p - 1])  # the top bit is always 1
        table = [2 ** (g + t) // (2 ** (t - 1) + i + 1) for i in range(2 ** (t - 1))]
        r0 = integer.lookup(b, hot, table, g + 1)
        scaled = integer.multiply(b, my, r0, width=p + g + 1, low=p + g - f)  # floor(z R0 / 2^G) in units 2^-F
        by_depth = b.optimize == "depth" and plan["series"] is None
        below = window // 2  # the first candidate is approx - below
        if by_depth:  # N1 = N0 or N0 + 1: one candidate more, below it
            approx, window, below = _reciprocal_product(b, p, f, g, mx, r0, scaled[..., : f + 1]), window + 1, below + 1
        else:
            u = integer.sub(b, const_bits(1 << f, f + 1, lead), scaled[..., : f + 1], width=f - t + 2)
            if plan["series"] is None:
                series = _fixed_point_series(b, _small_powers(b, u, 2), f, f, [1 << f] * 3)  # 2^F (1 + u + u^2)
            else:
                series = crt.series(b, u, plan["series"])  # 2^F (1 + u + ... + u^(K-1))
            recip = integer.multiply(b, r0, series, width=g + f + 2, low=g)  # ~ 2^F / z
            approx = integer.multiply(b, mx, recip, width=f + p + 2, low=f - 2)  # N0
        numerator = cat_bits(const_bits(0, p + 2, lead), mx, const_bits(0, 3, lead))  # A, 2p + 5 bits
        # A - base m_y is in [0, window m_y), base = approx - below: computed mod 2^low
        low = p + (window - 1).bit_length()
        if by_depth:  # A - approx m_y + below m_y as one sum
            rows = [numerator[..., None, :low], integer.negated_rows(b, integer.product_rows(b, approx, my, low), low),
                    fit(integer.times_constant(b, my, below), low)[..., None, :]]
            rem = integer.sum_rows(b, np.concatenate([np.broadcast_to(r, lead + r.shape[-2:]) for r in rows], axis=-2), low)
        else:
            base = integer.sub(b, approx, const_bits(below, p + 4, lead), width=p + 4)  # >= N - window + 1
            rem = integer.sub(b, numerator[..., :low], integer.multiply(b, base, my, width=low), width=low)
        multiples = [fit(integer.times_constant(b, my, k), low) for k in range(1, window)]  # D, 2D, ...
        divides = [integer.equal(b, rem, r) for r in (const_bits(0, low, lead), *multiples)]
        steps = [integer.greater_equal(b, rem, r) for r in multiples]
        sticky = b.not_(b.or_(*divides))[..., None]  # remainder after the chosen candidate is not 0
        sign = b.xor(fx.sign, fy.sign)
        terms, bias = [fx.biased, b.not_(fy.biased)], 2**e - 1 + p + 3
        by_zero = cat_bits(const_bits((1 << (p + e - 1)) - 1, p + e, lead), fx.sign[..., None])  # +-max
        by_zero = b.and_(by_zero, fx.nonzero[..., None])
        if by_depth:  # candidate k (approx - below + k) when the steps end at k; the rounding picks
            quotients = _plus_offsets(b, approx, range(-below, window - below), p + 4)
            last = _run_ends(b, steps)
            choices = [((fy.nonzero, *last[k]), sign, cat_bits(sticky, quotients[..., k, :])) for k in range(window)]
            return round_pack_choices(b, fmt, choices, terms, bias, words=[((b.not_(fy.nonzero),), by_zero)])
        step_rows = [cat_bits(s[..., None], const_bits(0, p + 3, lead)) for s in steps]
        quotient = integer.iterated_sum(b, np.stack([base, *step_rows], axis=-2), width=p + 4)
        normal = round_pack(b, fmt, sign, cat_bits(sticky, quotient), terms, bias)
        return integer.mux(b, fy.nonzero, normal, by_zero)


def _plus_offsets(b: Builder, x, offsets, width: int) -> np.ndarray:
    """(x + d) mod 2^width for each small signed d of ``offsets``, as (..., len(offsets), width):
    one adder each, side by side (the candidates of ``div`` and ``sqrt`` built for depth)."""
    lead = x.shape[:-1]
    amounts = np.stack([const_bits(d % 2**width, width, lead) for d in offsets], axis=-2)
    return integer.add(b, x[..., None, :], amounts, width=width)


def _run_ends(b: Builder, steps) -> list[tuple]:
    """For flags ``steps`` s_1 .. s_(n-1) that hold for a prefix (s_0 = 1 implied),
    the selects of "the prefix ends at k" for k = 0 .. n-1: s_k (k > 0) and NOT s_(k+1) (k < n-1)."""
    n = len(steps) + 1
    return [tuple(steps[k - 1 : k]) + ((b.not_(steps[k]),) if k < n - 1 else ()) for k in range(n)]


def _reciprocal_product(b: Builder, p: int, f: int, g: int, mx, r0, s) -> np.ndarray:
    """N1 = floor(m_x R0 S / 2^(G+F-2)), p + 4 bits, for ``div`` built for depth
    (table method), where S = 2^F (1 + u + u^2) with u = 2^F - s.

    Expanded, S = 3 2^F - 3 s + floor(s^2 / 2^F) exactly (2^F - 2s is an
    integer), so no subtraction precedes the square; and S's rows enter one
    product with m_x R0. N0 = floor(m_x floor(R0 S / 2^G) / 2^(F-2)) drops
    less than m_x 2^(2-F) < 1/16 more, so N1 is N0 or N0 + 1, and N, within
    one of N0, lies in N1 - 2 .. N1 + 1: one candidate more."""
    lead = np.broadcast_shapes(mx.shape[:-1], s.shape[:-1])
    low = g + f - 2
    width = low + p + 4
    square = integer.multiply(b, s, s, low=f)  # floor(s^2 / 2^F)
    minus = integer.negated_rows(b, np.stack([fit(s, width), fit(cat_bits(const_bits(0, 1, lead), s), width)], axis=-2), width)
    rows = np.concatenate([np.broadcast_to(r, lead + r.shape[-2:]) for r in
                           (const_bits(3 << f, width, lead)[..., None, :], fit(square, width)[..., None, :], minus)], axis=-2)
    return integer.multiply_sum(b, integer.multiply(b, mx, r0), rows, width=width, low=low)


def sqrt_plan(p: int, method: str = "table") -> dict:
    """Constants of ``sqrt``: ROM index bits t, fraction bits F, series terms J
    (y < 2^(3-t)), half-width h (v = V / 2^(2h) in [1/8, 1)), scale pairs k
    (M = V 2^(2k)) and ``series``. Table method: t ~ p/3 and two terms miss
    < 2^(5-3t) <= 2^-(p+4); series method: t = bit_length(p) + 3 and the
    Chinese-remainder plan of 2^F sum_{j<=J} binom(1/2, j) y^j with
    (t - 3)(J + 1) >= p + 5."""
    f, h, k = p + 10, -(-(p + 1) // 2), -(-(p + 3) // 2)
    if method == "series":
        t = min(p + 1, p.bit_length() + 3)
        terms = 0 if t == p + 1 else -(-(p + 5) // (t - 3)) - 1
        coefficients = tuple(round(_binomial_half(j) * 2**f) << (f * (terms - j)) for j in range(terms + 1))
        series = crt_series(coefficients, f + 3 - t, f * terms) if terms else None
        return {"t": t, "F": f, "J": terms, "h": h, "k": k, "series": series}
    t = min(p + 1, -(-(p + 9) // 3))
    check_rom_bits("sqrt", p, t)
    return {"t": t, "F": f, "J": 0 if t == p + 1 else 2, "h": h, "k": k, "series": None}


def _binomial_half(j: int) -> Fraction:
    """binom(1/2, j), the Taylor coefficients of sqrt(1 + y)."""
    c = Fraction(1)
    for i in range(j):
        c *= (Fraction(1, 2) - i) / (i + 1)
    return c


def sqrt(b: Builder, fmt, x) -> np.ndarray:
    """sqrt(x), correctly rounded; 0 for x <= 0.

    With par = E mod 2, V = m 2^par (p+1 bits) and M = V 2^(2k), the result is
    isqrt(M) (plus a sticky bit) times 2^((E - par)/2 - k). isqrt: the top t
    bits V0 of V index two ROMs, sqrt(v0) and 1/v0; y = (v - v0)/v0 < 2^(3-t)
    feeds two terms of the binomial series of sqrt(1 + y) (series method: J
    terms by ``crt.series``, ``sqrt_plan``); the approximation
    r0 is within 2 of isqrt(M), and squaring the five candidates r0-2..r0+2
    picks it exactly.
    """
    p, e = fmt.p, fmt.e
    plan = sqrt_plan(p, fmt.method)
    t, f, terms, h, k = plan["t"], plan["F"], plan["J"], plan["h"], plan["k"]
    with b.scope(SCOPES["sqrt"]):
        fx = Fields(b, fmt, x)
        lead = fx.m.shape[:-1]
        par = fx.biased[..., 0]
        zero1 = const_bits(0, 1, lead)
        v = integer.mux(b, par, cat_bits(zero1, fx.m), cat_bits(fx.m, zero1))  # (p+1 bits)
        low_bits = p + 1 - t
        v0 = v[..., low_bits:]
        hot = integer.decode(b, v0)
        scale = Fraction(2) ** (low_bits - 2 * h)  # v0 = V0 * scale
        sq_table = [round(_sqrt_fraction(i * scale, f + 64) * 2**f) if i else 0 for i in range(1 << t)]
        sq = integer.lookup(b, hot, sq_table, f + 1)
        width = p + 4
        low = 2 * f - h - k  # approx = floor(series sq / 2^low), p + 4 bits
        by_depth = b.optimize == "depth"
        approx = None
        if terms:
            g = p + 4
            inv_table = [(2 ** (f + g) // (i << low_bits)) if i else 0 for i in range(1 << t)]
            inv = integer.lookup(b, hot, inv_table, f + g - low_bits + 3)
            y = integer.multiply(b, v[..., :low_bits], inv, width=g + f, low=g)  # y 2^F < 2^(F+3-t)
            if plan["series"] is None:
                coefficients = [round(_binomial_half(j) * 2**f) for j in range(terms + 1)]
                powers = _small_powers(b, y, terms)
                if by_depth:  # the series' terms straight into the product with sq
                    approx = _times_series(b, sq, powers, f, f, coefficients, width=low + width, low=low)
                else:
                    series = _fixed_point_series(b, powers, f, f, coefficients)
            else:
                series = crt.series(b, y[..., : f + 3 - t], plan["series"])
        else:
            series = const_bits(1 << f, f + 1, lead)
        if approx is None:
            approx = fit(integer.multiply(b, series, sq, low=low), width)
        if by_depth:  # approx + (i - 2) at once (approx > 2), not base = approx - 2 and then base + i
            candidates = _plus_offsets(b, approx, range(-2, 3), width)
        else:
            base = integer.sub(b, approx, const_bits(2, width, lead), width=width)
            candidates = integer.add(b, base[..., None, :], np.stack([const_bits(i, width, lead) for i in range(5)], axis=-2))
        squares = integer.multiply(b, candidates, candidates)
        target_width = squares.shape[-1]
        target = cat_bits(const_bits(0, 2 * k, lead), v)
        target = fit(target, target_width)[..., None, :]
        fits = integer.greater_equal(b, target, squares)  # (..., 5): c_i^2 <= M, a prefix of ones
        exact = b.gate(Kind.OR, integer.equal(b, target, squares))
        sticky = b.not_(exact)[..., None]
        zero = const_bits(0, 1, lead)[..., 0]
        positive = b.and_(fx.nonzero, b.not_(fx.sign))  # negative and zero inputs give 0
        bias = 2 ** (e - 2) + k + 1
        if by_depth:  # candidate i is the root when fits ends at i; the rounding picks it, and 0 unless positive
            last = _run_ends(b, [fits[..., i] for i in range(1, 5)])  # fits[..., 0] always holds
            choices = [((positive, *last[i]), zero, cat_bits(sticky, candidates[..., i, :])) for i in range(5)]
            return round_pack_choices(b, fmt, choices, [fx.biased[..., 1:]], bias)
        steps = cat_bits(fits[..., 1:, None], const_bits(0, width - 1, lead + (4,)))  # (..., 4, width): 0 or 1
        root = integer.iterated_sum(b, np.concatenate([base[..., None, :], steps], axis=-2), width=width + 1)
        result = round_pack(b, fmt, zero, cat_bits(sticky, root), [fx.biased[..., 1:]], bias)
        return b.and_(result, positive[..., None])


def _sqrt_fraction(x: Fraction, bits: int) -> Fraction:
    """sqrt(x) to ``bits`` fractional bits, truncated (for ROM contents)."""
    scaled = x * 2 ** (2 * bits)
    return Fraction(math.isqrt(scaled.numerator // scaled.denominator), 2**bits)


def _signed_offset(b: Builder, x, offset: int, width: int) -> np.ndarray:
    """x + offset for an unsigned x and a constant offset of either sign, as a
    ``width``-bit two's complement number."""
    x = as_wires(x)
    lead = x.shape[:-1]
    wide = cat_bits(x, const_bits(0, width - x.shape[-1], lead))
    if offset >= 0:
        return integer.add(b, wide, const_bits(offset, width, lead), width=width)
    return integer.sub(b, wide, const_bits(-offset, width, lead), width=width)


def exp(b: Builder, fmt, x) -> np.ndarray:
    """exp(x), faithfully rounded by the algorithm of ``tc0.numerics.exp_algorithm``
    (the reference follows it to the bit): fixed-point |x|, times log2(e),
    split into k + frac, 2^frac as a ROM on frac's top bits times a two-term
    series for the rest, round_pack."""
    p, e = fmt.p, fmt.e
    plan = exp_plan(fmt)
    with b.scope(SCOPES["exp"]):
        fx = Fields(b, fmt, x)
        lead = fx.m.shape[:-1]
        # step 1: overflow iff E >= I - p + 1, i.e. biased >= I - p + 1 + 2^(e-1)
        limit = plan.I - p + 1 + 2 ** (e - 1)
        if limit <= 0:
            overflow = const_bits(1, 1, lead)[..., 0]
        elif limit >= 2**e:
            overflow = const_bits(0, 1, lead)[..., 0]
        else:
            overflow = b.and_(fx.nonzero, integer.greater_equal(b, fx.biased, const_bits(limit, e, lead)))
        # step 2: X = floor(m 2^(E+G)) = (m << A) >> p with A = E + G + p = biased + G + p - 2^(e-1)
        a_width = e + 2 + max(0, (plan.G + p).bit_length())
        amount = _signed_offset(b, fx.biased, plan.G + p - 2 ** (e - 1), a_width)
        negative = amount[..., -1]
        register = plan.I + plan.G + p
        shifted = integer.shift_left(b, fx.m, amount[..., :-1], out_width=register, low=p)
        x_fixed = b.and_(shifted, b.not_(negative)[..., None])
        # step 3: |Y| = X L2E, then Y in two's complement
        y_mag = integer.times_constant(b, x_fixed, plan.L2E, uniform=True)
        y_width = y_mag.shape[-1] + 1
        y_mag = cat_bits(y_mag, const_bits(0, 1, lead))
        flipped = b.xor(y_mag, fx.sign[..., None])
        unread = plan.FB - plan.F - 4  # no step reads Y's bits below this one
        y = integer.add(b, flipped, cat_bits(fx.sign[..., None], const_bits(0, y_width - 1, lead)), width=y_width,
                        low=unread)
        # step 4: k = floor(Y / 2^FB), frac = the low FB bits (``y`` starts at bit ``unread``)
        frac, k = y[..., : plan.FB - unread], y[..., plan.FB - unread :]
        # step 5: j = top T bits of frac, rest = the others
        rest, j = frac[..., : plan.FB - plan.T - unread], frac[..., plan.FB - plan.T - unread :]
        # step 6: Z = floor(floor(rest / 2^(FB-F-4)) LN2 / 2^(LNB+4)), below 2^(F-T)
        shift = plan.LNB + 4
        z = integer.times_constant(b, rest, plan.LN2, width=shift + plan.F - plan.T + 1, low=shift, uniform=True)
        # step 7: S ~ 2^F e^z, two Taylor terms (table) or the Chinese-remainder series
        rom = integer.lookup(b, integer.decode(b, j), plan.ROM, plan.F + 1)
        if plan.series is None:
            square = integer.multiply(b, z, z, low=plan.F + 1)
            rows = [const_bits(1 << plan.F, plan.F + 2, lead), z, square]
            rows = np.stack([fit(r, plan.F + 2) for r in rows], axis=-2)
            if b.optimize == "depth":  # step 8 over the rows: ROM[j] S = sum of ROM[j] row, one sum
                series = integer.multiply_sum(b, rom, rows, width=2 * plan.F + 3, low=plan.F)
            else:
                series = integer.multiply(b, rom, integer.iterated_sum(b, rows, width=plan.F + 2), low=plan.F)
        else:
            # step 8: M = floor(ROM[j] S / 2^F)
            series = integer.multiply(b, rom, crt.series(b, z, plan.series), low=plan.F)
        # step 7: round(T 2^(k - F)); k biased by flipping its sign bit
        k_bits = k.shape[-1]
        k_biased = cat_bits(k[..., :-1], b.not_(k[..., -1:]))
        zero = const_bits(0, 1, lead)[..., 0]
        special = b.and_(const_bits(fmt.max_word, fmt.width, lead), b.not_(fx.sign)[..., None])
        bias = 2 ** (k_bits - 1) + plan.F
        if b.optimize == "depth":  # the overflow word as one more choice of the rounding
            return round_pack_choices(b, fmt, [((b.not_(overflow),), zero, series)], [k_biased], bias,
                                      words=[((overflow,), special)])
        normal = round_pack(b, fmt, zero, series, [k_biased], bias)
        return integer.mux(b, overflow, special, normal)
