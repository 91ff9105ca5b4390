"""Seeded arrays come from independent streams (tc0.models.module.seeded_stream):
weights, ``tc0 inputs``, check cases and calibration under one seed share no
values, and each is reproducible. The old bug: ``Z_init`` of ``tc0 inputs
flowar`` was ``scale1.tf.attn.W_Q`` times sqrt(2) (one stream, two scales).

Oracle: the definition of "shares values": an input array equal or
proportional to a prefix of a weight array (or the other way round)."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import fails, ok

from tc0.errors import ModelError
from tc0.models.module import MAX_SEED, make_config, random_inputs, random_weights, seeded_stream
from tc0.models.registry import get_module

SEEDS = (0, 1, 2, 7, 2**63 - 1)


def proportional(a: np.ndarray, b: np.ndarray) -> bool:
    """The first min(len) entries of a and b are equal up to one factor."""
    k = min(a.size, b.size)
    x, y = a.reshape(-1)[:k], b.reshape(-1)[:k]
    assert k >= 2 and np.all(y != 0)
    ratio = x / y
    return bool(np.allclose(ratio, ratio[0], rtol=1e-9, atol=0))


def test_proportional_detects_the_old_bug():
    """One stream drawn twice at two scales: what the old code did."""
    w = np.random.default_rng(5).uniform(-0.5, 0.5, (4, 4))
    x = np.random.default_rng(5).uniform(-1.0, 1.0, (2, 2, 4))
    assert proportional(x, w) and not proportional(x, np.random.default_rng(6).uniform(-1, 1, 16))


@pytest.mark.parametrize("module", ["flowar", "attention", "flow-matching", "ffn"])
@pytest.mark.parametrize("seed", SEEDS)
def test_inputs_cases_and_weights_share_no_values(module, seed):
    spec = get_module(module)
    cfg = make_config(spec, n=4, c=4)
    weights = random_weights(spec, cfg, seed=seed)
    drawn = {
        "inputs": random_inputs(spec, cfg, seed),
        "case 0": random_inputs(spec, cfg, seed, "cases", 0),
        "case 1": random_inputs(spec, cfg, seed, "cases", 1),
        "calibration 0": random_inputs(spec, cfg, seed, "calibration", 0),
    }
    for what, arrays in drawn.items():
        for name, x in arrays.items():
            for wname, w in weights.items():
                assert not proportional(x, w), (what, name, wname)
            for other, others in drawn.items():
                if other != what:
                    assert not proportional(x, others[name]), (what, other, name)


@pytest.mark.parametrize("purpose, sample", [("weights", None), ("inputs", None), ("cases", 3), ("calibration", 0)])
def test_streams_are_reproducible(purpose, sample):
    a = seeded_stream(11, purpose, sample).uniform(size=8)
    assert np.array_equal(a, seeded_stream(11, purpose, sample).uniform(size=8))
    assert not np.array_equal(a, seeded_stream(12, purpose, sample).uniform(size=8))


def test_same_seed_same_arrays():
    spec = get_module("flowar")
    cfg = make_config(spec, n=4, c=4)
    for draw in (random_weights, random_inputs):
        a, b = draw(spec, cfg, seed=3), draw(spec, cfg, seed=3)
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.5, True, [1, 2]])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ModelError, match="seed must be an integer in 0..2\\^63-1") as info:
        seeded_stream(seed, "weights")
    assert info.value.parameters == ("seed",)


def test_cli_weights_and_inputs_files_share_no_values(tmp_path):
    """The reported case, through the commands."""
    for seed in (0, 5):
        ok("weights", "flowar", "--n", 4, "--seed", seed, "-o", tmp_path / "w.npz")
        ok("inputs", "flowar", "--n", 4, "--seed", seed, "-o", tmp_path / "x.npz")
        with np.load(tmp_path / "w.npz") as w, np.load(tmp_path / "x.npz") as x:
            for name in x.files:
                assert not any(proportional(x[name], w[k]) for k in w.files), name
    ok("inputs", "flowar", "--n", 4, "--seed", 5, "-o", tmp_path / "again.npz")
    with np.load(tmp_path / "x.npz") as x, np.load(tmp_path / "again.npz") as again:
        assert all(np.array_equal(x[k], again[k]) for k in x.files)


@pytest.mark.parametrize("args, flag", [
    (("weights", "matmul", "--seed", 2**63), "--seed"),
    (("inputs", "matmul", "--seed", 2**63), "--seed"),
    (("check", "matmul", "--case-seed", 2**63), "--case-seed"),
    (("check", "float:add", "--p", 4, "--seed", 2**63), "--seed"),
    (("check", "int:add", "--seed", -5), "--seed"),
])
def test_cli_seeds_out_of_range(tmp_path, args, flag):
    extra = ("-o", tmp_path / "out.npz") if args[0] != "check" else ()
    fails(*args, *extra, needles=(flag, "0<=x<=9223372036854775807"))


def test_cli_largest_seed_works(tmp_path):
    ok("weights", "matmul", "--seed", MAX_SEED, "-o", tmp_path / "w.npz")
