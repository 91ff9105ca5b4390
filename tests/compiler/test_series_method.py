"""The series method of div, sqrt and exp (DESIGN section 10).

* Exhaustive where every input fits: div on every ordered pair of (5, 4)
  words, sqrt and exp on every (6, 5) word (both use their series there),
  the circuit against the p-bit reference, which for div and sqrt is
  method-free (correct rounding, itself checked against MPFR in
  tests/numerics) and for exp follows the series algorithm; exp's faithfulness
  is checked against MPFR at every word.
* ``tc0 check``'s comparison (circuit = reference bit for bit, reference
  against MPFR) at (8, 9), (16, 17), (32, 33) on 2,000 random + the edge
  cases; (48, 49) and (64, 65) in the slow suite.
* The depth does not depend on p from 16 to 64 (every 8th p here, every p
  in the slow suite, where sqrt at odd p is 3 levels shallower); the table and the series method give the same word for
  div and sqrt; and the bad requests are one-line errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import fails, ok
from float_case_reference import reference
from float_oracles import valid_words

from tc0 import simulate
from tc0.compiler.catalog import compile_gadget, gadget_method
from tc0.errors import GadgetError
from tc0.numerics import FloatFormat
from tc0.numerics.format import FloatFormatError
from tc0.verify.float_gadget_check import check_float_gadget
from tc0.verify.mpfr_oracle import MpfrOracle
from tc0.verify.words import Words

SERIES_GADGETS = ("div", "sqrt", "exp")


def circuit_words(op, fmt, cases):
    c = compile_gadget(f"float:{op}", p=fmt.p, e=fmt.e, method=fmt.method)
    ports = {"a": fmt.to_bits(cases[:, 0])}
    if cases.shape[1] == 2:
        ports["b"] = fmt.to_bits(cases[:, 1])
    return np.asarray(fmt.from_bits(simulate(c, ports)["y"]), dtype=np.uint64).reshape(-1)


def test_div_every_pair_at_5_4():
    fmt = FloatFormat(5, 4, "series")
    words = np.array(valid_words(5, 4), dtype=np.uint64)
    a, b = (x.ravel() for x in np.meshgrid(words, words, indexing="ij"))
    cases = np.stack([a, b], axis=1)
    np.testing.assert_array_equal(circuit_words("div", fmt, cases), reference(fmt, "div", cases))


@pytest.mark.parametrize("op", ["sqrt", "exp"])
def test_unary_every_word_at_6_5(op):
    fmt = FloatFormat(6, 5, "series")
    cases = np.array(valid_words(6, 5), dtype=np.uint64).reshape(-1, 1)
    got = circuit_words(op, fmt, cases)
    np.testing.assert_array_equal(got, reference(fmt, op, cases))
    if op == "exp":
        oracle = MpfrOracle(Words(6, 5))
        for word, result in zip(cases[:, 0].tolist(), got.tolist()):
            lo, _, hi = oracle.exp_bracket(word)
            assert result in (lo, hi), hex(word)


def test_the_plans_use_their_series_at_these_formats():
    from tc0.compiler.gadgets.floats import division_plan, sqrt_plan
    from tc0.numerics.exp_algorithm import exp_plan

    assert division_plan(5, "series")["series"] is not None
    assert sqrt_plan(6, "series")["series"] is not None
    assert exp_plan(FloatFormat(6, 5, "series")).series is not None


@pytest.mark.parametrize("op", SERIES_GADGETS)
@pytest.mark.parametrize("p", [8, 16, 32])
def test_check_against_reference_and_mpfr(op, p):
    result = check_float_gadget(op, p, p + 1, samples=2000, seed=p, method="series")
    assert result["method"] == "series"
    assert result["ok"] and result["bit_exact"], result["first_mismatches"] or result["first_oracle_mismatches"]
    assert result["samples"] >= 2000 + 50 and result["mpfr"]["cases"] >= 1000
    assert result["max_ulp_vs_mpfr"] <= (1 if op == "exp" else 0)


@pytest.mark.slow
@pytest.mark.parametrize("op", SERIES_GADGETS)
@pytest.mark.parametrize("p", [48, 64])
def test_check_against_reference_and_mpfr_wide(op, p):
    test_check_against_reference_and_mpfr(op, p)


def _depths(ps):
    return {op: {compile_gadget(f"float:{op}", p=p, e=p + 1, method="series").depth for p in ps}
            for op in SERIES_GADGETS}


def test_depth_is_the_same_from_p_16_to_64():
    depths = _depths(range(16, 65, 8))
    assert all(len(d) == 1 for d in depths.values()), depths


@pytest.mark.slow
def test_depth_at_every_p_from_16_to_64():
    """div, sqrt and exp: one depth at every p from 16 to 64."""
    depths = _depths(range(16, 65))
    assert all(len(d) == 1 for d in depths.values()), depths


@pytest.mark.parametrize("op", ["div", "sqrt"])
def test_both_methods_give_the_same_correctly_rounded_word(op):
    cases_fmt = FloatFormat(11, 6)
    rng = np.random.default_rng(11)
    words = np.array(valid_words(11, 6), dtype=np.uint64)
    cases = rng.choice(words, size=(3000, 2 if op == "div" else 1))
    table = circuit_words(op, FloatFormat(11, 6, "table"), cases)
    series = circuit_words(op, FloatFormat(11, 6, "series"), cases)
    np.testing.assert_array_equal(table, series)
    np.testing.assert_array_equal(series, reference(cases_fmt, op, cases))


def test_auto_picks_the_series_where_the_table_is_refused():
    assert gadget_method("float:div", "auto", 50, 51) == "series"
    with pytest.raises(GadgetError, match="ROM of 2"):
        compile_gadget("float:div", p=50, e=51, method="table")


@pytest.mark.parametrize("args, needle", [
    (("check", "float:add", "--p", "8", "--method", "series"), "float:add has a single algorithm"),
    (("check", "float:mul", "--p", "8", "--method", "table"), "float:mul has a single algorithm"),
    (("check", "int:add", "--bits", "4", "--method", "series"), "integer gadget int:add"),
    (("check", "float:div", "--p", "8", "--method", "fast"), "'fast' is not one of"),
    (("check", "float:div", "--p", "4097", "--method", "series"), "p must be in 2..4096"),
    (("check", "float:exp", "--p", "40", "--method", "table"), "ROM of 2^"),
])
def test_bad_method_requests_are_one_line_errors(args, needle):
    fails(*args, needles=(needle,))


def test_a_format_names_a_known_method():
    with pytest.raises(FloatFormatError, match="method must be one of table, series"):
        FloatFormat(8, 9, "fast")


def test_compile_says_which_method_auto_chose(tmp_path):
    out = ok("compile", "float:exp", "--p", "8", "--method", "auto", "-o", str(tmp_path / "e.tc0")).output
    assert "div, sqrt, exp: table method" in out or "div, sqrt, exp: series method" in out


def test_p_sweep_fits_against_known_growth():
    from tc0.report.precision_sweep import doubling_bits
    from tc0.report.sweeps import fitted_exponent

    ps = [8, 16, 32, 64]
    assert fitted_exponent(ps, [7 * p**3 for p in ps]) == pytest.approx(3.0)
    assert doubling_bits(ps, [5 * 2 ** (p / 3) for p in ps]) == pytest.approx(3.0)


def test_p_sweep_command_shows_both_methods_and_flat_series_depths():
    import json

    result = json.loads(ok("gadgets", "--p", "16,24,32", "--json").output)
    rows = {(r["gadget"], r["method"]): r for r in result["rows"]}
    for op in SERIES_GADGETS:
        series, table = rows[(f"float:{op}", "series")], rows[(f"float:{op}", "table")]
        assert series["depth_flat"] and series["polynomial_in_p"] and not table["polynomial_in_p"]
        assert [pt["p"] for pt in series["points"]] == [16, 24, 32]
        assert 0 < series["size_exponent"] <= 4
    fails("gadgets", "--p", "16,32", "--method", "series", needles=("--method",))


@pytest.mark.parametrize("stream", [False, True])
def test_a_module_runs_its_div_and_exp_by_the_series_method(stream):
    args = ["check", "attention", "--n", "2", "--c", "2", "--p", "10", "--method", "series", "--samples", "4"]
    out = ok(*args, *(["--stream", "--workers", "1"] if stream else [])).output
    assert "(series): bit-exact" in out


@pytest.mark.parametrize("stream", [False, True])
def test_modules_take_words_past_64_bits(stream):
    """p = 32, e = 33: 66-bit words through the p-bit reference, the circuit and the streamed pieces."""
    args = ["check", "layernorm", "--n", "2", "--c", "3", "--p", "32", "--method", "series", "--samples", "4"]
    out = ok(*args, *(["--stream", "--workers", "1"] if stream else [])).output
    assert "p=32 e=33 (series): bit-exact" in out


def test_simulate_ints_past_64_bits(tmp_path):
    """--ints of 130-bit words (p = 64, e = 65): the product 1.5 * -2.25, and a word one bit too wide."""
    fmt = FloatFormat(64, 65)
    path = tmp_path / "mul.tc0"
    ok("compile", "float:mul", "--p", "64", "-o", str(path))
    a, b = int(fmt.encode(1.5)), int(fmt.encode(-2.25))
    out = ok("simulate", str(path), "--ints", f"{a},{b}").output.split()
    assert int(out[-1], 16) == int(fmt.encode(-3.375)) and int(fmt.encode(-3.375)) >= 1 << 64
    fails("simulate", str(path), "--ints", f"{a},{1 << 130}", needles=("does not fit port 'b' of 130 bits",))


def test_run_says_which_method_it_used(tmp_path):
    import json

    ok("inputs", "attention", "--n", "2", "--c", "2", "-o", str(tmp_path / "in.npz"))
    args = ["run", "attention", "--n", "2", "--c", "2", "--inputs", str(tmp_path / "in.npz"), "--backend", "pbit",
            "--p", "32", "--method", "auto", "-o", str(tmp_path / "y.npz")]
    assert "(pbit, p=32 e=33, table method)" in ok(*args).output  # the table is the smaller at p = 32
    data = json.loads(ok(*args[:-4], "--method", "series", "-o", str(tmp_path / "y.npz"), "--json").output)
    assert (data["p"], data["e"], data["method"]) == (32, 33, "series")
