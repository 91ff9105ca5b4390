"""Iterated multiplication of m W-bit integers in constant depth, by Chinese
remaindering (Beame-Cook-Hoover; Hesse-Allender-Barrington).

With primes q_1..q_r whose product Q exceeds 2 * 2^(mW):

1. **Residues.** Each factor is cut into c-bit chunks; a decoder turns each
   chunk into a one-hot, a ROM gives the chunk's contribution
   (v * 2^(c t)) mod q, the contributions are added (``iterated_sum``) and the
   small sum is reduced mod q by decoding it and OR-ing the values of each
   residue class.
2. **Discrete logs.** A ROM maps a non-zero residue to its discrete log for a
   primitive root g of q; the logs of the m factors are added, so the product
   mod q is g^(sum mod (q-1)) — or 0 when some factor is 0 mod q.
3. **Reconstruction.** P/Q = frac(sum_j (P mod q_j) u_j / q_j) with
   u_j = (Q/q_j)^(-1) mod q_j. The decoded log sum is folded mod q_j - 1, and
   a ROM indexed by it gives each
   term rounded *up* to F fractional bits, F >= log2(Q r); their sum's
   fractional part lies in [P/Q, P/Q + 1/Q), so P = floor(frac * Q): a sum of
   shifted copies, one per set bit of the constant Q.

Every step is a decoder, a ROM or an ``iterated_sum``, so the depth does not
depend on m or W (once the sums have at least 4 rows); the size is
polynomial: r = O(mW / log(mW)) primes of O(log(mW)) bits.
"""

from __future__ import annotations

import math

import numpy as np

from tc0.compiler.builder import Builder, as_wires
from tc0.ir.schema import Kind
from tc0.compiler.gadgets import integer
from tc0.compiler.gadgets.integer import cat_bits
from tc0.numerics.crt_series import CrtSeries, prime_plan, primitive_root

CHUNK_BITS = 4


def _residue_onehot(b: Builder, chunks_onehot: list[np.ndarray], q: int) -> np.ndarray:
    """One-hot of x mod q (..., q) from the one-hots of x's c-bit chunks."""
    if len(chunks_onehot) == 1:
        return _classes(b, chunks_onehot[0], q)
    width = (q - 1).bit_length()
    parts = [
        integer.lookup(b, hot, [(v << (CHUNK_BITS * t)) % q for v in range(hot.shape[-1])], width)
        for t, hot in enumerate(chunks_onehot)
    ]
    total = integer.sum_rows(b, np.stack(parts, axis=-2), width + len(parts).bit_length(), uniform=True)
    limit = len(parts) * (q - 1) + 1
    sums = integer.decode(b, total, limit)
    return _classes(b, sums, q)


def _classes(b: Builder, onehot: np.ndarray, modulus: int) -> np.ndarray:
    """Fold a one-hot over 0..V-1 into a one-hot over residues mod ``modulus``."""
    v = onehot.shape[-1]
    pad = (-v) % modulus
    padded = cat_bits(onehot, integer.const_bits(0, pad, onehot.shape[:-1]))
    grouped = padded.reshape(onehot.shape[:-1] + ((v + pad) // modulus, modulus))
    return b.gate(Kind.OR, np.swapaxes(grouped, -1, -2))  # OR over the values of each class


def _chunk_onehots(b: Builder, xs: np.ndarray) -> list[np.ndarray]:
    with b.scope("chunks"):
        return [integer.decode(b, xs[..., t : t + CHUNK_BITS]) for t in range(0, xs.shape[-1], CHUNK_BITS)]


def _log_onehot(b: Builder, chunks: list[np.ndarray], q: int) -> tuple[np.ndarray, np.ndarray]:
    """(one-hot of the discrete log of x mod q over 0..q-2, [x = 0 mod q])."""
    g = primitive_root(q)
    log_of = {pow(g, k, q): k for k in range(q - 1)}
    residue = _residue_onehot(b, chunks, q)
    order = [v for _, v in sorted((log_of[v], v) for v in range(1, q))]  # residue with log k, k = 0..q-2
    return residue[..., order], residue[..., 0]


def _reconstruct(b: Builder, exponents: dict[int, np.ndarray], zeros: dict[int, np.ndarray], total_bits: int):
    """The integer P < 2^total_bits from, per prime q, the one-hot of
    k = log_g(P mod q) over 0..q-2 and the flag [P = 0 mod q]."""
    primes = tuple(exponents)
    modulus = math.prod(primes)
    frac_bits = math.ceil(math.log2(modulus) + math.log2(len(primes))) + 1
    terms = []
    for q in primes:
        g, u = primitive_root(q), pow(modulus // q, -1, q)
        table = [-((-(pow(g, k, q) * u % q) << frac_bits) // q) for k in range(q - 1)]  # ceil(frac * 2^F)
        with b.scope(f"mod{q}"):
            term = integer.lookup(b, exponents[q], table, frac_bits)
            terms.append(b.and_(term, b.not_(zeros[q])[..., None]))
    with b.scope("reconstruct"):
        frac = integer.sum_rows(b, np.stack(terms, axis=-2), frac_bits, adder=integer.add_blocked)
        # P = floor(frac * Q): blocked adds, wide for every size, so one depth
        return integer.times_constant(b, frac, modulus, width=frac_bits + total_bits, low=frac_bits, adder=integer.add_blocked)


def iterated_product(b: Builder, xs) -> np.ndarray:
    """Exact product of m W-bit numbers xs (..., m, W): m*W bits."""
    with b.scope("iterated_product"):
        exponents, zeros, total_bits = _product_logs(b, xs)
        return _reconstruct(b, exponents, zeros, total_bits)


def iterated_product_choices(b: Builder, xs) -> list[tuple[tuple, np.ndarray]]:
    """The exact product P of xs (..., m, W) as r candidates (selects, value),
    for ``round_pack_choices``: with V_q = ((P mod q) u_q mod q) Q/q from one
    table per prime, sum_q V_q = P + t Q for one t < r, so P is the
    candidate sum_q V_q - t Q that is not negative while the next is. Each
    candidate is one sum of the r table rows and a constant row, all in
    parallel, and their sign bits are the selects: no reconstruction product
    and no mod-Q reduction stand after the sums (r sums instead of two)."""
    with b.scope("iterated_product"):
        exponents, zeros, total_bits = _product_logs(b, xs)
        primes = tuple(exponents)
        modulus = math.prod(primes)
        width = (len(primes) * modulus).bit_length() + 1  # sum_q V_q - t Q in two's complement
        rows = []
        for q in primes:
            g, u = primitive_root(q), pow(modulus // q, -1, q)
            table = [(pow(g, k, q) * u % q) * (modulus // q) for k in range(q - 1)]
            with b.scope(f"mod{q}"):
                rows.append(b.and_(integer.lookup(b, exponents[q], table, width), b.not_(zeros[q])[..., None]))
        with b.scope("reconstruct"):
            lead = rows[0].shape[:-1]
            sums = [integer.sum_rows(b, np.stack(rows + [integer.const_bits(-t * modulus % (1 << width), width, lead)],
                                                 axis=-2), width, adder=integer.add_blocked)
                    for t in range(len(primes))]
            negative = [s[..., width - 1] for s in sums]
            return [((b.not_(negative[t]), *negative[t + 1 : t + 2]), sums[t][..., :total_bits])
                    for t in range(len(primes))]


def _product_logs(b: Builder, xs) -> tuple[dict, dict, int]:
    """Per prime q of ``prime_plan``: the one-hot of log_g(P mod q) over
    0..q-2 and the flag [P = 0 mod q], P the product of xs (..., m, W)."""
    xs = as_wires(xs)
    m, w = xs.shape[-2:]
    total_bits = m * w
    chunks = _chunk_onehots(b, xs)
    exponents, zeros = {}, {}
    for q in prime_plan(total_bits):
        with b.scope(f"mod{q}"):
            logs_hot, zero = _log_onehot(b, chunks, q)  # (..., m, q-1), (..., m)
            log_bits = max(1, (q - 2).bit_length())
            logs = integer.lookup(b, logs_hot, list(range(q - 1)), log_bits)
            log_sum = integer.iterated_sum(b, logs) if m > 1 else logs[..., 0, :]
            exponents[q] = _classes(b, integer.decode(b, log_sum, m * (q - 2) + 1), q - 1)
            zeros[q] = b.gate(Kind.OR, zero)  # some factor is 0 mod q
    return exponents, zeros, total_bits


def series(b: Builder, x, plan: CrtSeries) -> np.ndarray:
    """R ~ V / 2^L for V = sum_k C_k X^k (``plan``, built by
    ``tc0.numerics.crt_series.crt_series``, which ``evaluate`` follows to
    the bit): per prime, the residue of X and one table read; the r entries
    summed mod 2^F; the product by Q cut below column c. (..., out_bits) bits."""
    x = as_wires(x)[..., : plan.x_bits]
    f_bits = plan.frac_bits
    with b.scope("crt_series"):
        chunks = _chunk_onehots(b, x)
        rows = []
        for q, table in zip(plan.primes, plan.tables):
            with b.scope(f"mod{q}"):
                rows.append(integer.lookup(b, _residue_onehot(b, chunks, q), table, f_bits))
        with b.scope("reconstruct"):
            frac = integer.sum_rows(b, np.stack(rows, axis=-2), f_bits, adder=integer.add_blocked, uniform=True)
            low = f_bits + plan.drop - plan.cut
            return integer.times_constant(b, frac, plan.modulus, width=low + plan.out_bits, low=low, cut=plan.cut,
                                          adder=integer.add_blocked, uniform=True)
