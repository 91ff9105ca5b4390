"""``tc0.verify.float_gadget_check.check_float_gadget`` (what ``tc0 check
float:OP`` runs) reports clean results as clean and exp as faithful, skips
the MPFR oracle beyond its exponent range, and catches a wrong circuit and a
wrong reference. Circuits come from the ``circuit`` fixture (tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tc0.numerics import reference as R
from tc0.verify.float_gadget_check import check_float_gadget


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


def test_check_runs_the_oracle_where_mpfr_holds_the_exponents(circuit):
    result = check_float_gadget("float:mul", 4, 30, samples=300, circuit=circuit("mul", 4, 30))
    assert result["ok"] and 0 < result["mpfr"]["cases"] < result["samples"] and result["max_ulp_vs_mpfr"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("op, m", [("add", None), ("mul", None), ("sum", 8), ("prod", 4), ("dot", 4)])
def test_130_bit_words_on_2000_random_cases(op, m):
    """(p, e) = (64, 65), DESIGN section 10: circuit = reference on every case, MPFR on those in its range."""
    result = check_float_gadget(op, 64, 65, m=m, samples=2000, seed=64)
    assert result["ok"] and result["bit_exact"] and result["samples"] >= 2000
    assert result["mpfr"]["cases"] >= 500, result["mpfr"]
