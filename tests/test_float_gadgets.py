"""The float gadgets' circuits against the p-bit reference, bit for bit.

* (4, 4): every valid input (zeros in every spelling) of the unary gadgets and
  every ordered pair of valid inputs of the binary ones, one simulate call each.
* (8, 9), (11, 6), (16, 8): the edge cases and 10,000 random cases of
  ``tc0.verify.float_cases.float_cases`` for every gadget.
* The reference's exp is faithful against MPFR (the other operations are
  checked against MPFR in test_float_reference.py), and exp_algorithm's
  constants are the floors of log2(e) and ln 2 computed by MPFR.
* ``tc0.verify.float_gadget_check.check_float_gadget`` reports clean results as clean and
  catches a wrong circuit and a wrong reference.
* d_plus(m) (float:sum) and d_times(m) (float:prod) stop changing with m.

Circuits are built once per module (``circuit`` fixture); the reference is
``tc0.numerics.reference``.
"""

from __future__ import annotations


import gmpy2
import numpy as np
import pytest
from float_oracles import Mpfr, pack, random_word, sum_rows, sum_rule, valid_words

from tc0 import simulate
from tc0.verify.float_cases import float_cases
from tc0.verify.float_gadget_check import check_float_gadget
from tc0.verify.mpfr_oracle import MpfrOracle
from tc0.verify.words import Words
from tc0.numerics import FloatFormat
from tc0.numerics import reference as R
from tc0.numerics.exp_algorithm import exp_plan
from tc0.compiler.catalog import FLOAT_GADGETS, compile_gadget

BINARY = ("add", "sub", "mul", "div", "lt", "eq", "max")
UNARY = ("sqrt", "exp", "relu")
RANDOM_FORMATS = [(8, 9), (11, 6), (16, 8)]
#: (op, m) checked at the random formats
RANDOM_GADGETS = [(op, None) for op in ("add", "sub", "mul", "lt", "eq", "max", "relu", "div", "sqrt", "exp")]
RANDOM_GADGETS += [("sum", 3), ("sum", 16), ("dot", 4), ("prod", 3)]


@pytest.fixture(scope="module")
def circuit():
    """circuit(op, p, e, m=None): the catalog circuit, built once per module."""
    cache = {}

    def get(op, p, e, m=None):
        key = (op, p, e, m)
        if key not in cache:
            cache[key] = compile_gadget(f"float:{op}", m=m, p=p, e=e)
        return cache[key]

    return get


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


def reference(fmt: FloatFormat, op: str, cases: np.ndarray) -> np.ndarray:
    fn = getattr(R, op)
    shape = FLOAT_GADGETS[f"float:{op}"].shape
    if shape == "unary":
        out = fn(fmt, cases[:, 0])
    elif shape == "reduce":
        out = fn(fmt, cases)
    else:  # binary (N, 2) and pair (N, 2, m)
        out = fn(fmt, cases[:, 0], cases[:, 1])
    return np.asarray(out).astype(np.uint64).reshape(-1)


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


def test_random_cases_are_not_all_saturated_or_flushed():
    """The random inputs exercise the in-range results, not just the extremes."""
    p, e = 8, 9
    fmt = FloatFormat(p, e)
    for op, m in (("add", None), ("mul", None), ("div", None), ("exp", None), ("sum", 16), ("prod", 3), ("dot", 4)):
        cases, n_edge = float_cases(op, p, e, m, samples=4000, seed=1)
        out = reference(fmt, op, cases[n_edge:])
        _, mant, _ = fmt.fields(out)
        special = (mant == 0) | ((out & np.uint64((1 << (p + e)) - 1)) == fmt.max_word)
        assert special.mean() < 0.5, (op, special.mean())


def test_edge_cases_cover_the_specials():
    p, e = 8, 9
    fmt = FloatFormat(p, e)
    cases, n_edge = float_cases("add", p, e, samples=0)
    edge = set(cases[:n_edge].ravel().tolist())
    neg = 1 << (p + e)
    one = pack(p, e, 0, 128, -7)
    for w in (0, neg, fmt.max_word, fmt.max_word | neg, fmt.min_normal_word, fmt.min_normal_word | neg, one, one | neg):
        assert w in edge, hex(w)
    assert any(w & ((1 << p) - 1) == 0 and w != 0 for w in edge)  # a zero with sign/exponent bits set
    pairs = {tuple(c) for c in cases[:n_edge].tolist()}
    assert (fmt.max_word, fmt.max_word) in pairs and (fmt.min_normal_word, fmt.min_normal_word) in pairs
    assert any(a == b ^ neg and a & 0xFF for a, b in pairs)  # x and -x
    results = reference(fmt, "add", cases[:n_edge])
    assert (results == 0).any() and (results == fmt.max_word).any()


# ---------------------------------------------------------------------------
# exp: the reference is faithful; the constants are right


@pytest.mark.parametrize("p, e", [(4, 4), *RANDOM_FORMATS, (24, 12)])
def test_reference_exp_is_faithful(rnd, p, e):
    oracle, fmt = Mpfr(p, e), FloatFormat(p, e)
    lo, hi = -(2 ** (e - 1)), 2 ** (e - 1) - 1
    words = valid_words(p, e) if (p, e) == (4, 4) else []
    # |x| from tiny to beyond the overflow threshold (2^(e-1) ln 2 ~ 2^(e-1.5)), and anywhere
    words += [random_word(rnd, p, e, rnd.randint(lo, hi)) for _ in range(2000)]
    words += [random_word(rnd, p, e, rnd.randint(max(lo, -3 * p - 8), min(hi, e + 2 - p))) for _ in range(8000)]
    got = R.exp(fmt, np.array(words, dtype=np.uint64)).tolist()
    bad = [(w, g) for w, g in zip(words, got) if g not in oracle.exp_neighbours(w)]
    assert not bad, [(hex(w), hex(g), sorted(map(hex, oracle.exp_neighbours(w)))) for w, g in bad[:5]]
    assert sum(g not in (0, fmt.max_word) for g in got) > 3000  # mostly in range


@pytest.mark.parametrize("p, e", [(2, 2), (4, 4), (8, 9), (11, 6), (16, 8), (24, 25), (31, 32), (2, 61)])
def test_exp_constants_against_mpfr(p, e):
    """L2E = floor(log2(e) 2^H), LN2 = floor(ln 2 2^LNB) and the ROM
    R[j] = floor(2^(j / 2^T) 2^F), recomputed with MPFR at 256 guard bits:
    each scaled value is an integer (R[0]) or more than 2^-200 from one, so
    the MPFR error (below 2^-250 of it) cannot move the floor."""
    plan = exp_plan(FloatFormat(p, e))

    def floor_of(fn, bits):
        ctx = gmpy2.context(precision=bits + 256)
        with ctx:
            value = ctx.mul_2exp(fn(), bits)
        floor = ctx.floor(value)
        frac = ctx.sub(value, floor)
        assert frac == 0 or 2**-200 < frac < 1 - 2**-200
        return int(floor)

    assert plan.L2E == floor_of(lambda: 1 / gmpy2.const_log2(), plan.H)
    assert plan.LN2 == floor_of(gmpy2.const_log2, plan.LNB)
    assert len(plan.ROM) == 2**plan.T
    js = range(2**plan.T) if plan.T <= 12 else sorted({0, 1, 2**plan.T - 1, *range(0, 2**plan.T, 2**plan.T // 3000)})
    for j in js:
        assert plan.ROM[j] == floor_of(lambda: gmpy2.exp2(gmpy2.mpfr(j) / 2**plan.T), plan.F), j


# ---------------------------------------------------------------------------
# the checks themselves (tc0.verify)


@pytest.mark.parametrize("op, m", [("add", None), ("mul", None), ("lt", None), ("max", None), ("relu", None),
                                   ("sqrt", None), ("sum", 5), ("prod", 3), ("dot", 3)])
def test_check_float_gadget_clean(circuit, op, m):
    p, e = 8, 9
    result = check_float_gadget(f"float:{op}", p, e, m, samples=1500, seed=3, circuit=circuit(op, p, e, m))
    assert result["ok"] and result["bit_exact"], result
    assert result["mismatches"] == result["oracle_mismatches"] == 0
    assert result["samples"] == 1500 + result["edge_cases"]
    assert (result["gadget"], result["p"], result["e"], result["m"]) == (f"float:{op}", p, e, m)
    assert result["max_ulp_vs_mpfr"] == 0 or op in ("sum", "dot")
    assert result["depth"] == circuit(op, p, e, m).depth and result["size"] == circuit(op, p, e, m).size


def test_check_float_gadget_exp_faithful(circuit):
    result = check_float_gadget("float:exp", 4, 4, samples=2000, circuit=circuit("exp", 4, 4))
    assert result["ok"] and 0 <= result["max_ulp_vs_mpfr"] <= 1


def test_check_catches_a_wrong_circuit(circuit):
    """float:sub's circuit posing as float:add: circuit mismatches, with the cases shown."""
    result = check_float_gadget("float:add", 8, 9, samples=500, circuit=circuit("sub", 8, 9))
    assert not result["ok"] and not result["bit_exact"] and result["mismatches"] > 100
    assert result["oracle_mismatches"] == 0  # the reference is still right
    case = result["first_mismatches"][0]
    assert set(case) == {"inputs", "circuit", "reference"} and all(v.startswith("0x") for v in case["inputs"])


def test_check_catches_a_wrong_reference(circuit, monkeypatch):
    """A reference add that is off by one ulp on some results: the oracle catches it."""
    real = R.add

    def off(fmt, a, b):
        out = np.array(real(fmt, a, b), dtype=np.uint64)
        m = out & np.uint64((1 << fmt.p) - 1)
        bump = (m >= np.uint64(1 << (fmt.p - 1))) & (m < np.uint64((1 << fmt.p) - 1)) & (out % np.uint64(7) == 0)
        return np.where(bump, out + np.uint64(1), out)

    monkeypatch.setattr(R, "add", off)
    result = check_float_gadget("float:add", 8, 9, samples=500, circuit=circuit("add", 8, 9))
    assert not result["ok"] and result["oracle_mismatches"] > 0 and result["mismatches"] > 0
    assert result["max_ulp_vs_mpfr"] == 1
    assert set(result["first_oracle_mismatches"][0]) == {"inputs", "reference", "oracle"}


def test_check_skips_the_oracle_beyond_mpfr_range(circuit):
    result = check_float_gadget("float:mul", 4, 30, samples=300, circuit=circuit("mul", 4, 30))
    assert result["ok"] and result["oracle"].startswith("skipped") and result["max_ulp_vs_mpfr"] is None


@pytest.mark.parametrize("p, e, m", [(8, 9, 1), (8, 9, 3), (8, 9, 16), (16, 8, 7), (4, 4, 64)])
def test_checking_sum_rule_matches_the_fraction_rule(rnd, p, e, m):
    """check's integer-shift sum rule against the Fraction one of float_oracles."""
    ours, theirs = MpfrOracle(Words(p, e)), Mpfr(p, e)
    rows = sum_rows(rnd, p, e, m, 200) + [[0] * m]
    assert [ours.sum_rule(r) for r in rows] == [sum_rule(theirs, r) for r in rows]


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


def test_sum_rows_uniform_depth_for_every_row_count():
    from tc0 import Builder
    from tc0.compiler.gadgets import integer

    def depth(rows):
        b = Builder()
        x = b.input("x", 5 * rows).reshape(rows, 5)
        b.output("y", integer.sum_rows(b, x, 8, uniform=True))
        return b.build().depth

    assert depth(3) == depth(2) == depth(4), {h: depth(h) for h in (2, 3, 4, 5)}


def test_prod_depth_constant_in_m_up_to_32():
    """d_times(m) at p = 8: 76 for m = 2, then 82 for every m = 4 .. 32 (about 7 s)."""
    depths = _depths("prod", [2, 4, 8, 16, 32])
    assert depths[2] < depths[4] and len({depths[m] for m in (4, 8, 16, 32)}) == 1, depths
