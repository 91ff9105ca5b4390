"""Polynomials of one integer by Chinese remaindering: the plan, and the
exact emulation the p-bit reference follows (DESIGN section 10).

The series method of div, sqrt and exp evaluates
V = sum_k C_k X^k for an integer X in [0, x_max] and integer coefficients
C_k (any sign; the plan proves V in [0, 2^B) over that range) and needs
V / 2^L to within a unit. The circuit (``tc0.compiler.gadgets.crt.series``)
and ``evaluate`` below compute the same integer R with
V/2^L - 3/2 < R < V/2^L + 1/2:

1. Primes q_1 .. q_r (3, 5, 7, ...) with product Q > 2^(B+1), so V/Q < 1/2.
2. V mod q depends only on X mod q, so for every prime one table indexed by
   X mod q gives T_q = ceil(((V mod q) u_q mod q) 2^F / q), with
   u_q = (Q/q)^-1 mod q. Since sum_q ((V u_q) mod q) / q = V/Q (mod 1), the
   sum f of the r entries, mod 2^F, has f/2^F in [V/Q, V/Q + r 2^-F): no
   wrap past 1, as V/Q < 1/2.
3. f Q / 2^F is in [V, V + r Q 2^-F); the product is formed as one shifted
   copy of f per set bit of Q, each cut below column c, and
   R = floor(sum / 2^(F + L)). F = bits(Q) - L + bits(r) + 1 keeps the
   first error below 2^(L-1); c = F + L - bits(popcount Q) - 1 keeps the
   cut below 2^(L-1).

Sizes: r = O(B / log B) primes below O(B); a residue of X mod q is a
decoder over O(W q) values; every table has F = O(B - L) bits. Nothing
depends on the number of terms except B, and no step's depth depends on
any of W, B, L or the coefficients.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from tc0.errors import GadgetError


def primes_from(start: int):
    """The primes from ``start`` on, in order (trial division: small primes only)."""
    n = start
    while True:
        if n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1)):
            yield n
        n += 1


@functools.lru_cache(maxsize=None)
def prime_plan(product_bits: int) -> tuple[int, ...]:
    """Odd primes 3, 5, 7, ... until their product exceeds 2^(product_bits + 1)."""
    primes, product = [], 1
    for q in primes_from(3):
        primes.append(q)
        product *= q
        if product > 2 ** (product_bits + 1):
            return tuple(primes)


def primitive_root(q: int) -> int:
    """The smallest generator of the multiplicative group mod the prime q."""
    factors = {d for d in range(2, q) if (q - 1) % d == 0 and all(d % k for k in range(2, math.isqrt(d) + 1))}
    return next(g for g in range(2, q + 1) if all(pow(g, (q - 1) // f, q) != 1 for f in factors))


@dataclass(frozen=True)
class CrtSeries:
    """The constants of one polynomial evaluation (see the module docstring)."""

    coefficients: tuple[int, ...]  # C_0 .. C_K
    x_bits: int  # W: X < 2^W
    drop: int  # L
    value_bits: int  # B: 0 <= V < 2^B
    primes: tuple[int, ...]
    frac_bits: int  # F
    cut: int  # c
    tables: tuple[tuple[int, ...], ...]  # per prime q: T_q indexed by X mod q

    @property
    def modulus(self) -> int:
        return math.prod(self.primes)

    @property
    def out_bits(self) -> int:
        """Bits of R (R <= V/2^L + 1/2 < 2^(B-L) + 1)."""
        return max(1, self.value_bits - self.drop + 1)


def _value_range(coefficients, x_max: int) -> tuple[int, int]:
    """Bounds (low, high) of V over X in [0, x_max]: C_0 plus every negative
    term at its most negative, or every positive term at its largest."""
    terms = [c * x_max**k for k, c in enumerate(coefficients) if k]
    return coefficients[0] + sum(t for t in terms if t < 0), coefficients[0] + sum(t for t in terms if t > 0)


@functools.lru_cache(maxsize=None)
def crt_series(coefficients: tuple[int, ...], x_bits: int, drop: int) -> CrtSeries:
    """The plan for V = sum_k C_k X^k, X < 2^x_bits, returned as about V / 2^drop.

    GadgetError if V can be negative over that range (every caller's
    series is dominated by its constant term)."""
    x_max = (1 << x_bits) - 1
    low, high = _value_range(coefficients, x_max)
    if low < 0:
        raise GadgetError(f"series plan: the polynomial with coefficients {coefficients[:4]}... can be negative "
                          f"for X < 2^{x_bits}")
    value_bits = max(1, high.bit_length())
    primes = prime_plan(value_bits)
    modulus = math.prod(primes)
    frac_bits = max(1, modulus.bit_length() - drop + len(primes).bit_length() + 1)
    cut = max(0, frac_bits + drop - bin(modulus).count("1").bit_length() - 1)
    tables = []
    for q in primes:
        u = pow(modulus // q, -1, q)
        residues = [sum(c * pow(x, k, q) for k, c in enumerate(coefficients)) % q for x in range(q)]
        tables.append(tuple(-((-((v * u) % q) << frac_bits) // q) for v in residues))  # ceil
    return CrtSeries(tuple(coefficients), x_bits, drop, value_bits, primes, frac_bits, cut, tuple(tables))


def evaluate(plan: CrtSeries, x: int) -> int:
    """R for one X, step by step as the circuit computes it."""
    frac = sum(table[x % q] for q, table in zip(plan.primes, plan.tables)) % (1 << plan.frac_bits)
    modulus = plan.modulus
    product = sum((frac << i) >> plan.cut for i in range(modulus.bit_length()) if (modulus >> i) & 1)
    return product >> (plan.frac_bits + plan.drop - plan.cut)
