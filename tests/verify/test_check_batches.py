"""Checks run their samples in bounded batches and keep the same verdicts
(tc0.verify: float, integer and module checks), refuse sample counts out of
range, and say when the MPFR oracle was not run.

Oracles: the same cases simulated in one batch and compared with the
reference directly, Python integers, per-sample case streams (a sample's
inputs do not depend on the batch it runs in), and DESIGN's verdict text."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import ok
from model_format import FMT
from reference_faults import flip_first_reference_bit

from tc0.compiler.catalog import compile_gadget
from tc0.errors import GadgetError, ModelError
from tc0.models.estimate import estimate
from tc0.models.module import make_config, random_weights
from tc0.models.prepare import prepare
from tc0.models.registry import get_module
from tc0.numerics import FloatFormat
from tc0.numerics import reference as R
from tc0.simulator import simulate
from tc0.verify import float_gadget_check, int_gadget_check, module_check
from tc0.verify.float_cases import FloatCases
from tc0.verify.float_gadget_check import check_float_gadget
from tc0.verify.gadget_summary import KEEP, MAX_SAMPLES, gadget_summary
from tc0.verify.int_gadget_check import check_int_gadget
from tc0.verify.words import Words


def _recording_simulate(monkeypatch, module):
    """Record the batch size of every simulate call ``module`` makes."""
    sizes = []

    def recording(circuit, inputs, *args):
        sizes.append(len(next(iter(inputs.values()))))
        return simulate(circuit, inputs, *args)

    monkeypatch.setattr(module, "simulate", recording)
    return sizes


def test_float_check_in_batches_counts_every_mismatch(circuit, monkeypatch):
    """float:sub's circuit posing as float:add, batches of 64: the mismatches
    are those of the same cases simulated at once and compared with the reference."""
    monkeypatch.setattr(float_gadget_check, "SAMPLE_BATCH", 64)
    sizes = _recording_simulate(monkeypatch, float_gadget_check)
    wrong = circuit("sub", 8, 9)
    result = check_float_gadget("float:add", 8, 9, samples=300, seed=4, circuit=wrong)
    cases = np.concatenate(list(FloatCases(Words(8, 9), "add", "binary", 1, 4).batches(300, 64)))
    fmt = FloatFormat(8, 9)
    got = fmt.from_bits(simulate(wrong, fmt.port_bits({"a": cases[:, 0], "b": cases[:, 1]}))["y"]).reshape(-1)
    want = R.add(fmt, cases[:, 0], cases[:, 1])
    assert result["mismatches"] == int((got != want).sum()) > KEEP
    assert len(result["first_mismatches"]) == KEEP and result["samples"] == len(cases) == sum(sizes)
    assert max(sizes) == 64 and not result["ok"]


def test_int_check_in_batches_same_cases_and_verdict(monkeypatch):
    """int:sub's circuit posing as int:add: the random cases are one stream, so
    batches of 7 find exactly the mismatches one batch finds."""
    real = int_gadget_check.compile_gadget
    monkeypatch.setattr(int_gadget_check, "compile_gadget", lambda name, *a, **k: real("int:sub", *a, **k))
    whole = check_int_gadget("int:add", 12, None, samples=300, seed=2)
    monkeypatch.setattr(int_gadget_check, "SAMPLE_BATCH", 7)
    sizes = _recording_simulate(monkeypatch, int_gadget_check)
    batched = check_int_gadget("int:add", 12, None, samples=300, seed=2)
    assert batched["mismatches"] == whole["mismatches"] > 0
    assert batched["first_mismatches"] == whole["first_mismatches"]
    assert max(sizes) == 7 and sum(sizes) == batched["samples"] == whole["samples"]


def test_int_exhaustive_check_in_batches_covers_every_pair(monkeypatch):
    monkeypatch.setattr(int_gadget_check, "SAMPLE_BATCH", 1000)
    sizes = _recording_simulate(monkeypatch, int_gadget_check)
    result = check_int_gadget("int:add", 8, None, samples=10)
    assert result["ok"] and result["exhaustive"] and result["samples"] == 1 << 16 == sum(sizes)
    assert max(sizes) == 1000


@pytest.mark.parametrize("check, args", [(check_int_gadget, ("int:add", 4, None)),
                                         (check_float_gadget, ("float:add", 4, None, None))])
@pytest.mark.parametrize("samples", [-1, MAX_SAMPLES + 1, 10**9, 2.5])
def test_gadget_samples_out_of_range(check, args, samples):
    with pytest.raises(GadgetError, match=f"samples must be an integer in 0..{MAX_SAMPLES:,}"):
        check(*args, samples=samples)


def test_module_check_in_batches(monkeypatch):
    """Batches of 3 over 7 samples: the same errors as one batch (each sample
    has its own input stream), and an off-by-one reference counted in every batch."""
    spec = get_module("attention")
    cfg = make_config(spec, n=1, c=3)
    weights = random_weights(spec, cfg)
    whole = module_check.check_module(spec, cfg, FMT, weights, samples=7, seed=5)
    monkeypatch.setattr(module_check, "SAMPLE_BATCH", 3)
    sizes = _recording_simulate(monkeypatch, module_check)
    batched = module_check.check_module(spec, cfg, FMT, weights, samples=7, seed=5)
    assert sizes == [3, 3, 1]
    assert batched["bit_exact"] and (batched["max_abs_err"], batched["max_rel_err"]) == (
        whole["max_abs_err"], whole["max_rel_err"])
    flip_first_reference_bit(monkeypatch)
    wrong = module_check.check_module(spec, cfg, FMT, weights, samples=7, seed=5)
    assert not wrong["bit_exact"] and wrong["mismatches"] == wrong["mismatching_samples"] == 7


@pytest.mark.parametrize("samples", [0, module_check.MAX_SAMPLES + 1])
def test_module_samples_out_of_range(samples):
    spec = get_module("matmul")
    cfg = make_config(spec, n=1, c=1)
    with pytest.raises(ModelError, match="samples must be in 1..65,536") as info:
        module_check.check_module(spec, cfg, FMT, random_weights(spec, cfg), samples=samples)
    assert info.value.parameters == ("samples",)


def test_streamed_samples_bounded_by_the_operations():
    """A streamed check holds samples x operations words: the largest count
    allowed is STREAM_WORDS // operations, one more is refused."""
    spec = get_module("flowar")
    cfg = make_config(spec, n=16, c=4)
    cfg = prepare(spec, cfg, random_weights(spec, cfg))
    operations = sum(estimate(spec, cfg, FMT).counts.values())
    most = module_check.STREAM_WORDS // operations
    module_check.check_samples(spec, cfg, most, streamed=True)
    module_check.check_samples(spec, cfg, most + 1, streamed=False)
    with pytest.raises(ModelError, match=f"use samples <= {most:,}"):
        module_check.check_samples(spec, cfg, most + 1, streamed=True)


# ------------------------------------------------------------------ MPFR not run


WHY = "the others have an exponent beyond +-2^20, outside this MPFR build's range (about +-2^30)"


def test_partial_oracle_is_said_in_the_verdict(circuit):
    """e = 30 > 28: MPFR runs on the cases whose exponents it holds, and the verdict says on how many."""
    result = check_float_gadget("float:mul", 4, 30, samples=200, circuit=circuit("mul", 4, 30))
    n, k = result["samples"], result["mpfr"]["cases"]
    assert result["ok"] and result["mpfr"] == {"run": True, "cases": k, "why": WHY} and 0 < k < n
    assert gadget_summary(result).endswith(f"OK (circuit = reference on all {n} cases; MPFR on {k} of them: {WHY}).")


def test_partial_oracle_with_a_wrong_circuit_fails_without_claiming_equality(circuit):
    result = check_float_gadget("float:add", 4, 30, samples=200, circuit=circuit("sub", 4, 30))
    n, k = result["samples"], result["mpfr"]["cases"]
    assert not result["ok"] and 0 < k < n
    line = gadget_summary(result).splitlines()[0]
    assert line.endswith(f"FAILED (MPFR on {k} of {n} cases: {WHY}).") and "circuit = reference" not in line


def test_oracle_on_no_case_says_mpfr_not_run(circuit, monkeypatch):
    monkeypatch.setattr(float_gadget_check, "mpfr_holds", lambda words, cases, op: [False] * len(cases))
    result = check_float_gadget("float:mul", 4, 30, samples=50, circuit=circuit("mul", 4, 30))
    why = "no case has every exponent within +-2^20"
    assert result["ok"] and result["mpfr"] == {"run": False, "cases": 0, "why": why}
    assert gadget_summary(result).endswith(f"OK (circuit = reference; MPFR not run: {why}).")


def test_oracle_run_says_plain_ok(circuit):
    result = check_float_gadget("float:mul", 4, 5, samples=200, circuit=circuit("mul", 4, 5))
    assert result["mpfr"] == {"run": True, "cases": result["samples"], "why": None}
    assert gadget_summary(result).endswith("ulp. Circuit: size {}, depth {}, edges {}. OK.".format(
        result["size"], result["depth"], result["edges"]))


def test_cli_float_exp_p30_says_on_how_many_cases_mpfr_ran():
    """The reported case: tc0 check float:exp --p 30 (e = 31)."""
    text = ok("check", "float:exp", "--p", 30, "--samples", 20).output
    assert "OK (circuit = reference on all " in text and "MPFR on " in text and WHY in text
    data = json.loads(ok("check", "float:lt", "--p", 3, "--e", 40, "--samples", 20, "--json").output)
    assert data["ok"] and data["mpfr"]["run"] and data["mpfr"]["cases"] < data["samples"]
    assert compile_gadget("float:lt", p=3, e=40).size == data["size"]
