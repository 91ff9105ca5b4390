"""The model-module side of the ``tc0`` command line: ``check`` (JSON fields,
exit status 1 on a mismatch, the fast modules too), ``weights``, ``inputs``,
``compile`` and ``run``, and one-line errors for bad module arguments
(fast-module options included), weights and inputs files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import fails, no_temp_files, ok, run
from reference_faults import flip_first_reference_bit

import tc0
from tc0.models import registry
from tc0.models.flowar.config import FlowARConfig
from tc0.models.module import random_weights


def test_cli_check_json_fields(tmp_path):
    out = ok("check", "mlp", "--n", 2, "--c", 2, "--p", 8, "--json").output
    data = json.loads(out)
    for key in ("bit_exact", "mismatches", "samples", "max_abs_err", "max_rel_err", "size", "depth"):
        assert key in data, key
    assert data["bit_exact"] is True and data["mismatches"] == 0 and data["samples"] == 8
    ok("compile", "mlp", "--n", 2, "--c", 2, "-o", tmp_path / "mlp.tc0")
    circuit = tc0.load(tmp_path / "mlp.tc0")
    assert (circuit.size, circuit.depth) == (data["size"], data["depth"])


def test_cli_check_exits_1_on_mismatch(monkeypatch):
    """A reference that differs in one bit must be reported, with exit status 1."""
    flip_first_reference_bit(monkeypatch)
    result = run("check", "matmul", "--n", 1, "--c", 1, "--samples", 2, "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["bit_exact"] is False and data["mismatches"] == 2


def test_cli_weights_file_reproduces_seeded_compile(tmp_path):
    w = tmp_path / "w.npz"
    ok("weights", "flowar", "--n", 2, "--c", 1, "--seed", 3, "-o", w)
    with np.load(w, allow_pickle=False) as data:
        assert "scale1.tf.attn.W_Q" in data.files and "scale2.fm.mlp_out.b" in data.files
    ok("weights", "transformer", "--n", 1, "--c", 2, "--seed", 3, "-o", w)
    ok("compile", "transformer", "--n", 1, "--c", 2, "--seed", 3, "-o", tmp_path / "a.tc0")
    ok("compile", "transformer", "--n", 1, "--c", 2, "--weights", w, "-o", tmp_path / "b.tc0")
    a, b = tc0.load(tmp_path / "a.tc0"), tc0.load(tmp_path / "b.tc0")
    assert np.array_equal(a.kind, b.kind) and np.array_equal(a.fanins, b.fanins)
    no_temp_files(tmp_path)


def test_cli_run_matmul_against_numpy(tmp_path):
    """float64: exactly X W; pbit: within the rounding bound of c products and one sum."""
    n, c = 3, 4
    rng = np.random.default_rng(0)
    x, wm = rng.uniform(-1, 1, (n, n, c)), rng.uniform(-1, 1, (c, c))
    np.savez(tmp_path / "in.npz", X=x)
    np.savez(tmp_path / "w.npz", W=wm)
    common = ("run", "matmul", "--n", n, "--c", c, "--inputs", tmp_path / "in.npz", "--weights", tmp_path / "w.npz")
    ok(*common, "-o", tmp_path / "f.npz")
    ok(*common, "--backend", "pbit", "--p", 8, "-o", tmp_path / "p.npz")
    with np.load(tmp_path / "f.npz") as f, np.load(tmp_path / "p.npz") as p:
        assert list(f.files) == ["Y"] and f["Y"].shape == (n, n, c)
        np.testing.assert_allclose(f["Y"], x @ wm, rtol=1e-14)
        bound = (c + 3) * 2.0**-7 * (np.abs(x) @ np.abs(wm))  # ulp-level errors of inputs, products, sum
        assert np.all(np.abs(p["Y"] - x @ wm) <= bound)


def test_cli_inputs_then_run_flowar(tmp_path):
    ok("inputs", "flowar", "--n", 4, "--c", 1, "--scales", 3, "-o", tmp_path / "in.npz")
    with np.load(tmp_path / "in.npz") as data:
        assert {k: data[k].shape for k in data.files} == {
            "Z_init": (1, 1, 1), "F0_1": (1, 1, 1), "F0_2": (2, 2, 1), "F0_3": (4, 4, 1)}
    ok("run", "flowar", "--n", 4, "--c", 1, "--scales", 3, "--t", "0.2,0.5,0.8",
       "--inputs", tmp_path / "in.npz", "-o", tmp_path / "y.npz")
    with np.load(tmp_path / "y.npz") as y:
        assert y["Y"].shape == (4, 4, 1) and np.all(np.isfinite(y["Y"]))


@pytest.mark.parametrize("module,args", [("fast-attention", ("--n", 2, "--c", 1)),
                                         ("fast-flowar", ("--n", 2, "--c", 1, "--scales", 2))])
def test_cli_check_fast_json(module, args):
    data = json.loads(ok("check", module, *args, "--delta", "0.05", "--samples", 3, "--json").output)
    assert data["bit_exact"] is True and data["mismatches"] == 0 and data["module"] == module
    assert {"degree", "rank", "score_bound", "delta"} <= set(data) and data["degree"] >= 1


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "args,needles",
    [
        (["flowar", "--n", 3], ["--n 3", "divisible"]),
        (["flowar", "--n", 4, "--scales", 3, "--factor", 3], ["divisible"]),
        (["downsample", "--n", 3], ["--n 3", "divisible"]),
        (["attention", "--c", 0], ["--c"]),
        (["attention", "--n", 0], ["--n"]),
        (["flowar", "--scales", 0], ["--scales"]),
        (["attention", "--scales", 2], ["--scales"]),
        (["attention", "--factor", 3], ["--factor"]),
        (["flow-matching", "--t", "1.5"], ["--t", "1.5"]),
        (["flow-matching", "--t", "abc"], ["--t", "abc"]),
        (["flow-matching", "--t", "0.1,0.2"], ["--t", "2 timestep"]),
        (["flowar", "--t", "0.5"], ["--t", "1 timestep", "2 scale"]),
        (["attention", "--bound", "-1"], ["--bound"]),
        (["attention", "--bits", 8], ["--bits", "gadgets"]),
        (["attention", "--max-gates", 1000], ["max-gates", "estimated"]),
        (["attention", "--p", 1], ["p"]),
        (["attention", "--hidden", 0], ["--hidden"]),
        (["int:add", "--bits", 8, "--n", 3], ["--n", "modules"]),
        (["float:add", "--p", 8, "--weights-as-inputs"], ["--weights-as-inputs"]),
        (["flowarr"], ["unknown module or gadget", "flowarr"]),
    ],
)
def test_compile_bad_module_arguments(tmp_path, args, needles):
    out = tmp_path / "bad.tc0"
    fails("compile", *args, "-o", out, needles=needles)
    assert not out.exists()
    no_temp_files(tmp_path)


def _weights_file(tmp_path, **override):
    spec, cfg = registry.get_module("mlp"), FlowARConfig(n=2, c=2)
    arrays = random_weights(spec, cfg)
    arrays.update(override)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path = tmp_path / "w.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "override,needles",
    [
        ({"W": np.ones((2, 3))}, ["'W'", "(2, 3)", "(2, 2)"]),
        ({"b": np.ones((2, 1))}, ["'b'", "shape"]),
        ({"W_Q": np.ones((2, 2))}, ["unknown", "W_Q"]),
        ({"b": None}, ["missing", "b"]),
        ({"W": np.array([[1.0, np.nan], [0, 1]])}, ["'W'", "NaN"]),
        ({"b": np.array([np.inf, 0])}, ["'b'", "infinite"]),
        ({"b": np.array(["a", "b"])}, ["'b'", "numeric"]),
    ],
)
def test_bad_weights_file(tmp_path, override, needles):
    path = _weights_file(tmp_path, **override)
    fails("compile", "mlp", "--n", 2, "--c", 2, "--weights", path, "-o", tmp_path / "x.tc0", needles=needles)
    fails("check", "mlp", "--n", 2, "--c", 2, "--weights", path, needles=needles)


def test_unreadable_weights_files(tmp_path):
    np.save(tmp_path / "bare.npy", np.ones(3))
    np.savez(tmp_path / "obj.npz", W=np.array([{"a": 1}], dtype=object))
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    cases = {
        tmp_path / "bare.npy": "bare .npy",
        tmp_path / "obj.npz": "pickle",
        tmp_path / "junk.npz": "not a readable .npz",
        tmp_path / "absent.npz": "no such file",
    }
    for path, needle in cases.items():
        fails("compile", "mlp", "--weights", path, "-o", tmp_path / "x.tc0", needles=(str(path.name), needle))


def test_bad_inputs_file(tmp_path):
    np.savez(tmp_path / "wrong.npz", X=np.zeros((2, 2, 3)))
    fails("run", "mlp", "--n", 2, "--c", 2, "--inputs", tmp_path / "wrong.npz", "-o", tmp_path / "y.npz",
          needles=("input array 'X'", "(2, 2, 3)"))
    np.savez(tmp_path / "named.npz", Y=np.zeros((2, 2, 2)))
    fails("run", "mlp", "--n", 2, "--c", 2, "--inputs", tmp_path / "named.npz", "-o", tmp_path / "y.npz",
          needles=("unknown input", "Y"))
    np.savez(tmp_path / "ok.npz", X=np.zeros((2, 2, 2)))
    fails("run", "mlp", "--n", 2, "--c", 2, "--inputs", tmp_path / "ok.npz", "--p", 8, "-o", tmp_path / "y.npz",
          needles=("--p",))
    assert not (tmp_path / "y.npz").exists()


def test_check_module_bad_samples():
    fails("check", "mlp", "--samples", 0, needles=("--samples",))
    fails("check", "float:add", "--p", 4, "--case-seed", 3, needles=("--case-seed",))


@pytest.mark.parametrize(
    "args,needles",
    [
        (["--delta", "0"], ["--delta"]),
        (["--delta", "-0.5"], ["--delta"]),
        (["--degree", "25"], ["--degree", "0..24"]),
        (["--degree", "-1"], ["--degree"]),
        (["--c", "8", "--delta", "1e-9", "--r-bound", "0.2"], ["rank", "limit"]),
        (["--r-bound", "5", "--delta", "1e-6"], ["no degree"]),
        (["--r-bound", "0"], ["--r-bound"]),
    ],
)
def test_bad_fast_options(tmp_path, args, needles):
    fails("compile", "fast-attention", *args, "-o", tmp_path / "x.tc0", needles=needles)
    assert not (tmp_path / "x.tc0").exists()


def test_delta_only_for_fast_modules(tmp_path):
    fails("compile", "attention", "--delta", "0.1", "-o", tmp_path / "x.tc0", needles=("--delta", "fast"))


def test_strict_refuses_entries_beyond_r(tmp_path):
    np.savez(tmp_path / "in.npz", X=np.full((2, 2, 2), 1.5))
    fails("run", "fast-attention", "--c", 2, "--inputs", tmp_path / "in.npz", "--strict", "-o", tmp_path / "y.npz",
          needles=("'X'", "1.5", "--r-bound"))
    ok("run", "fast-attention", "--c", 2, "--inputs", tmp_path / "in.npz", "--r-bound", "1.5", "--strict",
       "-o", tmp_path / "y.npz")


def test_non_positive_normaliser_is_refused(tmp_path):
    """Degree 1 fitted on small scores: far outside the range P(s) < 0."""
    np.savez(tmp_path / "in.npz", X=np.stack([np.full((2, 2), 30.0), np.full((2, 2), -30.0)], axis=-1))
    result = run("run", "fast-attention", "--inputs", tmp_path / "in.npz", "--degree", "1", "--seed", "1",
                 "-o", tmp_path / "y.npz")
    assert result.exit_code != 0 and "normaliser" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "y.npz").exists()
