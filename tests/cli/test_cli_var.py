"""The module commands on the VAR family (weights, inputs, run, compile,
check, measure, report --family): DESIGN section 8's names and shapes in the
files, the options --scales/--sizes/--c-out/--size, and one-line refusals of
shapes the family cannot take."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import fails, ok

from tc0.models.arrays import read_arrays


def test_weights_inputs_run_round_trip(tmp_path):
    w, x, y = tmp_path / "w.npz", tmp_path / "in.npz", tmp_path / "y.npz"
    shape = ("--n", 4, "--c", 2, "--sizes", "2,4")
    ok("weights", "var-transformer", *shape, "-o", w)
    ok("inputs", "var-transformer", *shape, "-o", x)
    weights = read_arrays(w, "weights", {f"attn{k}.W_{m}": (2, 2) for k in (1, 2) for m in "QKV"})
    inputs = read_arrays(x, "inputs", {"X_init": (2, 2, 2)})
    assert not any(np.array_equal(inputs["X_init"].ravel()[:4], a.ravel()) for a in weights.values())
    ok("run", "var-transformer", *shape, "--weights", w, "--inputs", x, "--backend", "float64", "-o", y)
    assert read_arrays(y, "outputs", {"Y": (4 + 16, 2)})["Y"].shape == (20, 2)


def test_check_conv_json_names_its_shape():
    result = json.loads(ok("check", "conv", "--n", 3, "--c", 2, "--c-out", 3, "--json").output)
    assert result["bit_exact"] and result["c_out"] == 3 and "scales" not in result


def test_measure_var_json_names_its_scales():
    result = json.loads(ok("measure", "var-reconstruct", "--n", 4, "--c", 2, "--scales", 3, "--workers", 1,
                           "--json").output)
    assert result["scales"] == 3 and result["sizes"] == [1, 2, 4] and result["depth"] > 0


def test_upsample_to_a_size():
    result = json.loads(ok("check", "upsample", "--n", 2, "--c", 1, "--size", 5, "--json").output)
    assert result["bit_exact"] and result["out_size"] == 5


@pytest.mark.parametrize("args,needles", [
    (("check", "var", "--n", 2), ("too small for K = 3", "--sizes")),
    (("check", "conv", "--n", 2, "--sizes", "1,2"), ("conv takes no --sizes",)),
    (("check", "var", "--n", 4, "--sizes", "1,x"), ("comma-separated list of integers",)),
    (("check", "var-transformer", "--n", 4, "--sizes", "1,4,2"), ("strictly increasing",)),
    (("check", "upsample", "--n", 4, "--size", 3), ("larger than n",)),
    (("check", "flowar", "--n", 4, "--c-out", 2), ("flowar takes no --c-out",)),
    (("report", "--family", "varr"), ("varr", "flowar, var")),
    (("report", "--family", "flowar,var", "--modules", "conv"), ("one --family",)),
])
def test_refusals(args, needles):
    fails(*args, needles=needles)
