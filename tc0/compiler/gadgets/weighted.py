"""Comparison and addition at the depth records of threshold circuits.

Alon and Bruck (SIAM J. Discrete Math. 1994) put comparison and addition in
depth 2 over threshold gates with polynomial weights: 3 levels here, the
first for the inputs' NOTs. A weight is an input repeated (DESIGN section 2),
so every unit of weight is an edge, and these circuits are large: about W^6
edges (comparison) and W^7 (addition), against O(W^2) for ``integer.less_than``
and ``integer.add`` at depth 4. They show the record depth is reachable, and
what it costs.

Notation: u, v are W-bit numbers and d_j = u_j - v_j in {-1, 0, 1}, so
[u > v] = [sum_j 2^j d_j >= 1]. A first-level gate is [sum_j c_j d_j >= theta]:
a weight c > 0 is c copies of u_j and of NOT v_j, c < 0 |c| copies of NOT u_j
and of v_j, with the threshold raised by sum |c|.

* ``less_than_weights``: [x < y] as that one gate with c_j = 2^j (u = y,
  v = x). Depth 2; the weights are exponential, 2^(W+2) edges.
* ``less_than_delta``: depth 3 with weights polynomial in W, a sparse "delta
  polynomial" in Alon and Bruck's spirit, here from Reed-Solomon evaluations.
  The sign of u - v is sum_i d_i [d_j = 0 for all j > i]. For i < W - 1 the
  bracket becomes (1/q) times the number of t in F_q with
  A_t = sum_(l >= 0) c_(t,l) d_(i+1+l) = 0, c_(t,l) = t^l mod q (balanced).
  Above the top differing position k every d is 0, so all q forms vanish;
  below it, A_t = 0 makes t a root mod q of a nonzero polynomial of degree
  < k - i, so at most k - i - 1 of them do, at most (W - 1)(W - 2)/2 in all:
  a prime q above that keeps the sign. Each term d_i [A_t = 0] is
  G1 - G2 - G3 + G4 for the first-level gates G1, G2 = [A_t + M d_i >= M, M + 1]
  and G3, G4 = [A_t - M d_i >= M, M + 1] (M above max |A_t|). The top gate
  takes the sum S of them and q d_(W-1): [u > v] = [S >= 1]. A term of
  coefficient -1 enters as the complement of its gate, built over the
  complementary literals, so it too is level 2.
* ``add_delta``: x + y in depth 3. With u = x and v = NOT y, the carry into
  bit i is [u_(<i) > v_(<i)] = [S_i >= 1], S_i the sum above over the low i
  positions. Sum bit i is x_i XOR y_i XOR carry = [(1 - 2 p) S_i + p >= 1]
  with p = x_i XOR y_i = [x_i AND NOT y_i] + [NOT x_i AND y_i]: each gate of S_i
  appears again ANDed with either case (its case literals weighing more than
  the gate can miss by), so the product stays one level.
"""

from __future__ import annotations

import numpy as np

from tc0.compiler.builder import Builder, as_wires
from tc0.compiler.gadgets import integer
from tc0.ir.schema import ONE, ZERO
from tc0.numerics.crt_series import primes_from

#: a first-level gate: at least ``k`` of the literal-table columns ``entries`` (repeats weigh)
Row = tuple[np.ndarray, int]


def less_than_weights(b: Builder, x, y) -> np.ndarray:
    """[x < y] for W-bit numbers as one threshold gate with weights 2^j: depth 2, 2^(W+2) edges."""
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    w = x.shape[-1]
    with b.scope("less_than_weights"):
        return _signed_threshold(b, _literals(b, y, x), [(_form(1 << np.arange(w, dtype=np.int64), 1, w), 1)], 0)


def less_than_delta(b: Builder, x, y) -> np.ndarray:
    """[x < y] for W-bit numbers in depth 3, weights polynomial in W (module docstring)."""
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    w = x.shape[-1]
    with b.scope("less_than_delta"):
        return _signed_threshold(b, _literals(b, y, x), *_greater_terms(w, w))


def add_delta(b: Builder, x, y) -> np.ndarray:
    """x + y (W + 1 bits) in depth 3, weights polynomial in W (module docstring):
    sum bit i is [(1 - 2 p_i) S_i + p_i >= 1], p_i = x_i XOR y_i and S_i the
    signed sum whose sign is the carry into bit i."""
    x, y = np.broadcast_arrays(as_wires(x), as_wires(y))
    w = x.shape[-1]
    with b.scope("add_delta"):
        lits = _literals(b, x, b.not_(y))  # u = x, v = NOT y: the carry into bit i is [u_(<i) > v_(<i)]
        bits = []
        for i in range(w):
            terms, const = _greater_terms(i, w)
            # (1 - 2p) S + p with 1 - 2p = 1 - 2[x_i AND NOT y_i] - 2[NOT x_i AND y_i]
            cases = [(np.array([i, 3 * w + i]), 2), (np.array([2 * w + i, w + i]), 2)]  # rows: the two ANDs
            sum_terms = list(terms)
            for case in cases:
                sum_terms += [(_gated(row, case[0]), -2 * c) for row, c in terms]
                sum_terms.append((case, 1 - 2 * const))
            bits.append(_signed_threshold(b, lits, sum_terms, const))
        bits.append(_signed_threshold(b, lits, *_greater_terms(w, w)))
        return np.stack(bits, axis=-1)


def sum_delta(b: Builder, xs) -> np.ndarray:
    """The sum of m W-bit numbers xs (..., m, W), W + bit_length(m - 1) bits:
    one weighted count per block of bit_length(m) columns leaves two rows
    (``integer.sum_rows`` without its column round), ``add_delta`` adds them.
    Built for depth, 5 levels: 3 for the counts, 2 for the adder, whose
    literal NOTs are the counts' twins. The counts cost about 4 m^4 edges a block."""
    xs = as_wires(xs)
    m, w = xs.shape[-2:]
    with b.scope("sum_delta"):
        return integer.sum_rows(b, xs, w + (m - 1).bit_length(), column_first=False, adder=add_delta)


def multiply_delta(b: Builder, x, y) -> np.ndarray:
    """x * y (Wx + Wy bits): the partial products (level 1) summed as in
    ``sum_delta``; built for depth, 6 levels."""
    x, y = as_wires(x), as_wires(y)
    width = x.shape[-1] + y.shape[-1]
    with b.scope("multiply_delta"):
        return integer.sum_rows(b, integer.product_rows(b, x, y, width), width, column_first=False, adder=add_delta)


def delta_prime(w: int) -> int:
    """The least prime q above (W - 1)(W - 2) / 2 (at least 2): the number of
    Reed-Solomon forms per position in ``less_than_delta``."""
    return next(primes_from((w - 1) * (w - 2) // 2 + 1))


def _greater_terms(n: int, w: int) -> tuple[list[tuple[Row, int]], int]:
    """The signed sum S (terms and constant) with [S >= 1] = [u_(<n) > v_(<n)]
    over the first n positions of a width-w literal table: the delta
    polynomial of the module docstring (S = 0 for n = 0)."""
    if n == 0:
        return [], 0
    q = delta_prime(n)
    terms: list[tuple[Row, int]] = []
    t = np.arange(q, dtype=np.int64)
    for i in range(n - 1):
        c = np.ones((q, n - 1 - i), dtype=np.int64)
        for l in range(1, n - 1 - i):
            c[:, l] = c[:, l - 1] * t % q
        c = np.where(c > q // 2, c - q, c)  # balanced residues: smaller weights
        m = np.abs(c).sum(axis=1) + 1  # above every |A_t|
        for form, mt in zip(c, m):
            for sigma, above, sign in ((1, 0, 1), (1, 1, -1), (-1, 0, -1), (-1, 1, 1)):
                weights = np.zeros(n, dtype=np.int64)
                weights[i], weights[i + 1:] = sigma * mt, form
                terms.append((_form(weights, mt + above, w), sign))
    # q d_(n-1) = q u + q NOT v - q
    terms += [((np.array([n - 1]), 1), q), ((np.array([w + n - 1]), 1), q)]
    return terms, -q


def _form(weights: np.ndarray, theta: int, w: int) -> Row:
    """[sum_j weights[j] d_j >= theta], d_j = u_j - v_j, over a width-w literal
    table: a weight c > 0 is c copies of u_j and of NOT v_j (their sum less c
    is c d_j), c < 0 |c| copies of NOT u_j and of v_j."""
    j = np.arange(len(weights))
    pos, neg = np.maximum(weights, 0), np.maximum(-weights, 0)
    entries = np.concatenate([np.repeat(j, pos), np.repeat(w + j, pos), np.repeat(2 * w + j, neg),
                              np.repeat(3 * w + j, neg)])
    return (entries if len(entries) else np.array([4 * w])), int(theta) + int(np.abs(weights).sum())


def _gated(row: Row, cols: np.ndarray) -> Row:
    """``row`` AND every column of ``cols``: each column weighs more than the row can miss by."""
    entries, k = row
    weight = max(1, len(entries) - k + 1)
    return np.concatenate([entries, np.repeat(cols, weight)]), k + weight * len(cols)


def _complemented(row: Row, w: int) -> Row:
    """NOT ``row``: at least n - k + 1 of the complementary columns."""
    entries, k = row
    other = np.concatenate([np.arange(2 * w, 4 * w), np.arange(2 * w), [4 * w + 1, 4 * w]])
    return other[entries], len(entries) - k + 1


def _literals(b: Builder, u, v) -> np.ndarray:
    """The table (..., 4W + 2): u, NOT v, NOT u, v and the constants 0 and 1."""
    lead = u.shape[:-1]
    consts = np.broadcast_to(np.array([ZERO, ONE], dtype=u.dtype), lead + (2,))
    return np.concatenate([u, b.not_(v), b.not_(u), v, consts], axis=-1)


def _signed_threshold(b: Builder, lits, terms: list[tuple[Row, int]], const: int) -> np.ndarray:
    """[sum_r c_r g_r + const >= 1] over first-level gates g_r (rows of
    ``lits``), in one more level: a term with c < 0 enters as |c| copies of
    NOT g_r (built over the complementary columns, so on the same level as
    g_r), which adds |c| to the threshold."""
    w = (lits.shape[-1] - 2) // 4
    rows = [row if c > 0 else _complemented(row, w) for row, c in terms if c]
    coeffs = np.array([abs(c) for _, c in terms if c], dtype=np.int64)
    k_top = 1 - const + int(sum(-c for _, c in terms if c < 0))
    if not rows:
        return np.full(lits.shape[:-1], ONE if k_top <= 0 else ZERO, dtype=lits.dtype)
    bounds = np.concatenate([[0], np.cumsum([len(e) for e, _ in rows])])
    gates = b.pattern_threshold(lits, np.concatenate([e for e, _ in rows]), bounds, np.array([k for _, k in rows]))
    index = np.repeat(np.arange(len(rows)), coeffs)
    return b.pattern_threshold(gates, index, np.array([0, len(index)]), np.array([k_top]))[..., 0]
