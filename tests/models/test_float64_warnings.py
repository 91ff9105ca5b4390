"""The float64 backend says where it destroyed a result (overflow to inf or
NaN, a softmax whose exponentials all underflowed, a divisor below the
smallest normal) and stays silent on ordinary runs; a layer norm over
c < 3 channels says it cannot depend on its input.

Oracles: attention computed stably by hand (scores shifted by their row
maximum before exp), the layer norm's definition, and a perturbation of the
attention weights of flow matching."""

from __future__ import annotations

import numpy as np
import pytest

from tc0.models.backends import Float64Backend, PbitBackend
from tc0.models.module import make_config, random_inputs, random_weights
from tc0.models.registry import MODULES, get_module
from tc0.models.run import run
from tc0.numerics import FloatFormat


def _run(spec, cfg, inputs, weights, B=None):
    """The module's output on ``B`` (default: a fresh float64 backend) and the warnings it recorded."""
    B = Float64Backend() if B is None else B
    return B.values(run(spec, cfg, B, inputs, weights)), B.warnings


def _attention(x, weights):
    spec = get_module("attention")
    return _run(spec, make_config(spec, n=x.shape[0], c=x.shape[-1]), {"X": x}, weights)


def _stable_attention(x, weights):
    """D^-1 exp(Q K^T) V with each row of scores shifted by its maximum (no underflow)."""
    t = x.reshape(-1, x.shape[-1])
    scores = (t @ weights["W_Q"]) @ (t @ weights["W_K"]).T
    a = np.exp(scores - scores.max(axis=1, keepdims=True))
    return ((a @ (t @ weights["W_V"])) / a.sum(axis=1, keepdims=True)).reshape(x.shape)


def test_all_underflowed_softmax_warns():
    """Inputs of 1000 with W_K = -W_Q: every score is about -4e6, so every
    exponential underflows and float64 gives 0 where the attention is V."""
    c = 4
    eye = np.eye(c)
    weights = {"W_Q": eye, "W_K": -eye, "W_V": np.diag([1.0, 2.0, 3.0, 4.0])}
    x = np.full((2, 2, c), 1000.0)
    y, warnings = _attention(x, weights)
    truth = _stable_attention(x, weights)
    assert np.allclose(truth, x @ weights["W_V"]) and np.all(y == 0)  # silently wrong before
    assert warnings == ["attention: 0/0 taken as 0: a divisor underflowed or cancelled to 0 (16 entries)"]


def test_overflowing_exp_warns():
    c = 4
    weights = {"W_Q": np.eye(c), "W_K": np.eye(c), "W_V": np.eye(c)}
    y, warnings = _attention(np.full((2, 2, c), 1000.0), weights)
    assert np.isnan(y).all()
    # exp of the 4 x 4 scores overflows; later operations only carry the inf on
    assert warnings == ["attention: exp gave inf or NaN from finite operands (overflow) (16 entries)"]


def test_huge_weights_warn_where_they_overflow():
    """Weights of about 1e300: the scores Q K^T (about 1e600) overflow in the matrix product."""
    spec = get_module("attention")
    cfg = make_config(spec, n=2, c=4)
    weights = random_weights(spec, cfg, seed=1, bound=1e300)
    y, warnings = _run(spec, cfg, random_inputs(spec, cfg, seed=1), weights)
    assert np.isnan(y).all()
    assert warnings == ["attention: matrix product gave inf or NaN from finite operands (overflow) (16 entries)"]


def test_subnormal_divisor_warns():
    B = Float64Backend()
    q = B.div(np.array([1e-300, 2.0]), np.array([1e-310, 4.0]))
    assert q[1] == 0.5
    assert B.warnings == ["division by a divisor that underflowed below the smallest normal (precision lost) "
                          "(1 entries)"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_ordinary_runs_do_not_warn(module):
    spec = get_module(module)
    cfg = make_config(spec, n=4, c=3, **({"scales": 2} if "scales" in spec.parameters else {}))
    y, warnings = _run(spec, cfg, random_inputs(spec, cfg, seed=2), random_weights(spec, cfg, seed=2))
    assert np.isfinite(y).all() and warnings == []


@pytest.mark.parametrize("c, values", [(1, {0.0}), (2, {-1.0, 1.0})])
def test_layernorm_over_fewer_than_3_channels_is_constant_and_warns(c, values):
    spec = get_module("layernorm")
    cfg = make_config(spec, n=3, c=c)
    for B in (Float64Backend(), PbitBackend(FloatFormat(8))):
        y, warnings = _run(spec, cfg, random_inputs(spec, cfg, seed=4), {}, B)
        if isinstance(B, Float64Backend):  # (p-bit rounding of the mean and variance moves +-1 a little)
            assert set(np.unique(y)) == values
        warning = f"layer norm over c = {c} channel(s) does not depend on the values"
        assert any(w.startswith(warning) for w in warnings)


def test_layernorm_over_3_channels_depends_on_its_input():
    spec = get_module("layernorm")
    cfg = make_config(spec, n=3, c=3)
    y, warnings = _run(spec, cfg, random_inputs(spec, cfg, seed=4), {})
    assert len(np.unique(np.round(y, 12))) > 2 and warnings == []


@pytest.mark.parametrize("c, depends", [(2, False), (4, True)])
def test_flow_matching_ignores_its_attention_at_c_2(c, depends):
    """What the warning says, measured: perturbing every attention weight of
    flow matching changes its output at c = 4, not at c = 2 (up to rounding:
    the layer norm after the attention keeps only the order of its 2 channels)."""
    spec = get_module("flow-matching")
    cfg = make_config(spec, n=2, c=c)
    weights = random_weights(spec, cfg, seed=3)
    inputs = random_inputs(spec, cfg, seed=3)
    noise = np.random.default_rng(0)
    moved = {k: v + 0.1 * noise.standard_normal(v.shape) if k.startswith("attn.") else v for k, v in weights.items()}
    outputs = []
    for w in (weights, moved):
        y, warnings = _run(spec, cfg, inputs, w)
        outputs.append(y)
        assert any("layer norm over" in line for line in warnings) == (not depends)
    change = np.abs(outputs[0] - outputs[1]).max()
    assert change > 1e-3 if depends else change < 1e-12
