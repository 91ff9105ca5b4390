"""The float gadgets' circuits against the p-bit reference, bit for bit.

* (4, 4): every valid input (zeros in every spelling) of the unary gadgets and
  every ordered pair of valid inputs of the binary ones, one simulate call each.
* (8, 9), (11, 6), (16, 8): the edge cases and 10,000 random cases of
  ``tc0.verify.float_cases.float_cases`` for every gadget.
* d_plus(m) (float:sum) and d_times(m) (float:prod) stop changing with m.

Circuits are built once per module (``circuit`` fixture, tests/conftest.py);
the reference is ``tc0.numerics.reference`` (tests/float_case_reference.py),
itself checked against MPFR in tests/numerics/test_reference.py. The checks of
``tc0 check`` are tested in tests/verify/test_float_gadget_check.py."""

from __future__ import annotations

import numpy as np
import pytest
from float_case_reference import reference
from float_oracles import valid_words

from tc0 import simulate
from tc0.compiler.catalog import FLOAT_GADGETS, compile_gadget
from tc0.numerics import FloatFormat
from tc0.verify.float_cases import float_cases

BINARY = ("add", "sub", "mul", "div", "lt", "eq", "max")
UNARY = ("sqrt", "exp", "relu")
RANDOM_FORMATS = [(8, 9), (11, 6), (16, 8)]
#: (op, m) checked at the random formats
RANDOM_GADGETS = [(op, None) for op in ("add", "sub", "mul", "lt", "eq", "max", "relu", "div", "sqrt", "exp")]
RANDOM_GADGETS += [("sum", 3), ("sum", 16), ("dot", 4), ("prod", 3)]


def run(circ, fmt: FloatFormat, op: str, cases: np.ndarray) -> np.ndarray:
    """Simulate the circuit on the cases (layout of ``float_cases``) in one
    batch; words as uint64, lt/eq as 0/1. Ports are laid out here, from the
    catalog's documentation: a / a, b / x = m words, word j at bits j*width /
    a, b = m words each."""
    n, w = cases.shape[0], fmt.width
    shape = FLOAT_GADGETS[f"float:{op}"].shape
    bits = fmt.to_bits(cases)  # (..., w)
    if shape == "unary":
        inputs = {"a": bits[:, 0]}
    elif shape == "binary":
        inputs = {"a": bits[:, 0], "b": bits[:, 1]}
    elif shape == "reduce":
        inputs = {"x": bits.reshape(n, -1)}
    else:
        inputs = {"a": bits[:, 0].reshape(n, -1), "b": bits[:, 1].reshape(n, -1)}
    y = simulate(circ, inputs)["y"]
    if op in ("lt", "eq"):
        assert y.shape == (n, 1)
        return y[:, 0].astype(np.uint64)
    assert y.shape == (n, w)
    return np.asarray(fmt.from_bits(y), dtype=np.uint64).reshape(n)


def assert_same(got, want, cases, what):
    bad = np.flatnonzero(got != want)
    if bad.size:
        lines = [
            f"inputs {[hex(int(v)) for v in np.ravel(cases[i])]}: circuit {int(got[i]):#x}, reference {int(want[i]):#x}"
            for i in bad[:5]
        ]
        pytest.fail(f"{what}: {bad.size} of {len(got)} cases differ\n" + "\n".join(lines))


# ---------------------------------------------------------------------------
# (4, 4): exhaustive


@pytest.fixture(scope="module")
def words44():
    return np.array(valid_words(4, 4), dtype=np.uint64)


@pytest.mark.parametrize("op", BINARY)
def test_exhaustive_binary_44(circuit, words44, op):
    fmt = FloatFormat(4, 4)
    a, b = (x.ravel() for x in np.meshgrid(words44, words44, indexing="ij"))
    cases = np.stack([a, b], axis=1)
    assert len(cases) == 288**2  # 256 non-zero words and 32 spellings of zero, squared
    assert_same(run(circuit(op, 4, 4), fmt, op, cases), reference(fmt, op, cases), cases, f"{op} (4, 4)")


@pytest.mark.parametrize("op", UNARY)
def test_exhaustive_unary_44(circuit, words44, op):
    fmt = FloatFormat(4, 4)
    cases = words44.reshape(-1, 1)
    assert_same(run(circuit(op, 4, 4), fmt, op, cases), reference(fmt, op, cases), cases, f"{op} (4, 4)")


# ---------------------------------------------------------------------------
# random formats


def _random_params():
    for p, e in RANDOM_FORMATS:
        for op, m in RANDOM_GADGETS:
            yield pytest.param(op, m, p, e, id=f"{op}{m or ''}-{p}-{e}")


@pytest.mark.parametrize("op, m, p, e", [*_random_params(), ("sum", 100, 8, 9), ("dot", 70, 11, 6)])
def test_random_against_reference(circuit, op, m, p, e):
    """(sum 100 and dot 70 take the threshold maximum of exponents, m > 64.)"""
    fmt = FloatFormat(p, e)
    cases, n_edge = float_cases(op, p, e, m, samples=10000, seed=p * 100 + e)
    assert len(cases) >= 10000 + n_edge and n_edge > 0
    got = run(circuit(op, p, e, m), fmt, op, cases)
    assert_same(got, reference(fmt, op, cases), cases, f"{op} m={m} ({p}, {e})")


# ---------------------------------------------------------------------------
# d_plus(m) and d_times(m) stop changing with m (p = 8)


def _depths(op, ms, p=8):
    return {m: compile_gadget(f"float:{op}", m=m, p=p).depth for m in ms}


def test_sum_depth_constant_in_m_up_to_256():
    """d_plus(m) at p = 8: 46 for m = 2, then 52 for every m = 4 .. 256 (about 8 s)."""
    depths = _depths("sum", [2, 4, 8, 16, 32, 64, 128, 256])
    assert depths[2] < depths[4] and len({d for m, d in depths.items() if m >= 4}) == 1, depths


def test_prod_depth_independent_of_p():
    depths = {p: compile_gadget("float:prod", m=8, p=p).depth for p in (8, 12, 16)}
    assert len(set(depths.values())) == 1, depths


def test_prod_depth_constant_in_m_up_to_32():
    """d_times(m) at p = 8: 76 for m = 2, then 82 for every m = 4 .. 32 (about 7 s)."""
    depths = _depths("prod", [2, 4, 8, 16, 32])
    assert depths[2] < depths[4] and len({depths[m] for m in (4, 8, 16, 32)}) == 1, depths
