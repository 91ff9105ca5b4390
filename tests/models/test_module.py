"""Direct tests of ``tc0.models.module``: ``make_config`` and
``ModuleSpec.configure`` on the FlowAR modules (defaults, refusals naming
the parameter), and the seeded ``random_weights``/``random_inputs``.

Oracles: the array names and shapes of DESIGN section 5 written out here,
the documented bounds (1/sqrt(fan-in) for matrices, 1/2 for vectors, R for
inputs), and equality of arrays drawn from equal seeds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tc0.errors import ModelError
from tc0.models.config import ModelConfig
from tc0.models.flowar.config import FlowARConfig
from tc0.models.module import make_config, random_inputs, random_weights
from tc0.models.registry import get_module

# ---------------------------------------------------------------- make_config


def test_flowar_defaults_to_two_scales():
    cfg = make_config(get_module("flowar"), n=4, c=3)
    assert isinstance(cfg, FlowARConfig)
    assert (cfg.n, cfg.c, cfg.scales, cfg.factor) == (4, 3, 2, 2)
    assert make_config(get_module("fast-flowar"), n=4, c=3).scales == 2


def test_given_value_beats_the_module_default():
    assert make_config(get_module("flowar"), n=4, c=3, scales=1).scales == 1
    assert make_config(get_module("flowar"), n=8, c=3, scales=3).scales == 3


def test_other_modules_take_the_config_defaults():
    cfg = make_config(get_module("matmul"), n=2, c=3)
    assert (cfg.scales, cfg.factor, cfg.times, cfg.hidden, cfg.delta, cfg.degree, cfg.r_bound, cfg.strict) == (
        1, 2, (), None, 0.01, None, 1.0, False)


def test_none_means_not_given():
    cfg = make_config(get_module("flowar"), n=4, c=3, scales=None, factor=None, delta=None, degree=None,
                      hidden=None, times=None, r_bound=None)
    assert (cfg.scales, cfg.factor, cfg.r_bound) == (2, 2, 1.0)


@pytest.mark.parametrize("name", ["bogus", "poly", "scale", "K"])
def test_a_parameter_the_config_lacks_is_refused_by_name(name):
    with pytest.raises(ModelError) as info:
        make_config(get_module("matmul"), n=2, c=2, **{name: 1})
    assert info.value.parameters == (name,)
    assert name in str(info.value) and "matmul" in str(info.value)


@pytest.mark.parametrize("module", ["matmul", "attention", "flowar", "flow-matching"])
@pytest.mark.parametrize("option, value", [("delta", 0.1), ("degree", 3)])
def test_aattc_options_refused_on_exact_modules(module, option, value):
    with pytest.raises(ModelError) as info:
        make_config(get_module(module), n=4, c=2, **{option: value})
    assert option in info.value.parameters
    assert module in str(info.value)


def test_aattc_options_taken_by_fast_modules():
    cfg = make_config(get_module("fast-attention"), n=2, c=2, delta=0.05, degree=3)
    assert (cfg.delta, cfg.degree) == (0.05, 3)


@pytest.mark.parametrize(
    "module, option, value",
    [("matmul", "scales", 2), ("matmul", "factor", 3), ("attention", "scales", 3), ("mlp", "factor", 4),
     ("upsample", "scales", 2), ("downsample", "scales", 2), ("flow-matching", "factor", 4)],
)
def test_exclusive_parameters_refused_where_not_listed(module, option, value):
    spec = get_module(module)
    assert option not in spec.parameters
    with pytest.raises(ModelError) as info:
        make_config(spec, n=8, c=2, **{option: value})
    assert info.value.parameters == (option,)
    assert option in str(info.value) and module in str(info.value)


@pytest.mark.parametrize("module, option, value", [("upsample", "factor", 3), ("downsample", "factor", 4),
                                                   ("flowar", "factor", 4), ("flowar", "scales", 2)])
def test_exclusive_parameters_taken_where_listed(module, option, value):
    cfg = make_config(get_module(module), n=8, c=2, **{option: value})
    assert getattr(cfg, option) == value


@pytest.mark.parametrize("option", ["scales", "factor"])
def test_exclusive_parameter_at_its_default_is_not_a_value(option):
    """Giving the config's own default (scales 1, factor 2) is the same as not giving it."""
    default = next(f.default for f in dataclasses.fields(FlowARConfig) if f.name == option)
    cfg = make_config(get_module("matmul"), n=2, c=2, **{option: default})
    assert getattr(cfg, option) == default


def test_config_validation_errors_pass_through():
    with pytest.raises(ModelError) as info:
        make_config(get_module("matmul"), n=0, c=2)
    assert info.value.parameters == ("n",)
    with pytest.raises(ModelError) as info:
        make_config(get_module("flowar"), n=3, c=2)  # 3 is not divisible by 2^(2 - 1)
    assert info.value.parameters == ("n",)


def test_module_check_runs():
    with pytest.raises(ModelError) as info:
        make_config(get_module("downsample"), n=3, c=2)
    assert set(info.value.parameters) == {"n", "factor"}


# ---------------------------------------------------------------- configure


def test_configure_returns_the_config_itself():
    spec = get_module("upsample")
    cfg = FlowARConfig(n=2, c=2, factor=3)
    assert spec.configure(cfg) is cfg


def test_configure_refuses_a_config_of_the_wrong_type():
    spec = get_module("matmul")
    with pytest.raises(ModelError) as info:
        spec.configure(ModelConfig(n=2, c=2))
    assert "FlowARConfig" in str(info.value) and "ModelConfig" in str(info.value)


def test_configure_refuses_exclusive_parameters():
    with pytest.raises(ModelError) as info:
        get_module("matmul").configure(FlowARConfig(n=4, c=2, scales=2))
    assert info.value.parameters == ("scales",)
    assert get_module("flowar").configure(FlowARConfig(n=4, c=2, scales=2)).scales == 2


def test_configure_runs_the_module_check():
    with pytest.raises(ModelError):
        get_module("downsample").configure(FlowARConfig(n=6, c=2, factor=4))
    assert get_module("downsample").configure(FlowARConfig(n=8, c=2, factor=4)).factor == 4


# ---------------------------------------------------------------- random weights and inputs


def design_weight_shapes(module: str, c: int, m: int, scales: int = 2) -> dict:
    """DESIGN section 5 names and shapes (vectors are 1-D)."""
    attn = {"W_Q": (c, c), "W_K": (c, c), "W_V": (c, c)}
    ffn = {"W1": (c, m), "b1": (m,), "W2": (m, c), "b2": (c,)}
    fm = {"mlp_in.W": (c, 6 * c), "mlp_in.b": (6 * c,), **{f"attn.{k}": v for k, v in attn.items()},
          "mlp_out.W": (c, c), "mlp_out.b": (c,)}
    tf = {**{f"attn.{k}": v for k, v in attn.items()}, **{f"ffn.{k}": v for k, v in ffn.items()}}
    if module == "flowar":
        out = {}
        for i in range(1, scales + 1):
            out.update({f"scale{i}.tf.{k}": v for k, v in tf.items()})
            out.update({f"scale{i}.fm.{k}": v for k, v in fm.items()})
        return out
    return {"matmul": {"W": (c, c)}, "mlp": {"W": (c, c), "b": (c,)}, "ffn": ffn, "attention": attn,
            "layernorm": {}, "upsample": {}, "flow-matching": fm, "transformer": tf}[module]


def design_input_shapes(module: str, n: int, c: int, scales: int = 2, factor: int = 2) -> dict:
    if module == "flowar":
        first = n // factor ** (scales - 1)
        return {"Z_init": (first, first, c),
                **{f"F0_{i}": (n // factor ** (scales - i),) * 2 + (c,) for i in range(1, scales + 1)}}
    if module == "flow-matching":
        return {"Y_hat": (n, n, c), "F0": (n, n, c)}
    return {"X": (n, n, c)}


MODULES = ["matmul", "mlp", "ffn", "attention", "layernorm", "upsample", "flow-matching", "transformer", "flowar"]


@pytest.mark.parametrize("module", MODULES)
def test_random_weights_shapes_names_and_bounds(module):
    spec = get_module(module)
    cfg = make_config(spec, n=4, c=3, hidden=5 if module in ("ffn", "transformer", "flowar") else None)
    w = random_weights(spec, cfg, seed=1)
    want = design_weight_shapes(module, 3, cfg.m, cfg.scales)
    assert {k: v.shape for k, v in w.items()} == want
    for name, arr in w.items():
        assert arr.dtype == np.float64
        bound = 1 / np.sqrt(arr.shape[0]) if arr.ndim == 2 else 0.5
        assert np.all(np.abs(arr) <= bound), name


def test_random_weights_fill_their_range():
    """Uniform in [-R, R]: a large matrix comes near both ends and averages near 0."""
    spec = get_module("ffn")
    cfg = make_config(spec, n=2, c=16, hidden=64)
    w = random_weights(spec, cfg, seed=0)["W1"]  # 16 x 64, R = 1/4
    assert w.max() > 0.24 and w.min() < -0.24 and abs(w.mean()) < 0.03
    w = random_weights(spec, cfg, seed=0, bound=3.0)["W1"]
    assert np.all(np.abs(w) <= 3.0) and w.max() > 2.9 and w.min() < -2.9


def test_random_weights_explicit_bound():
    spec = get_module("mlp")
    cfg = make_config(spec, n=2, c=4)
    w = random_weights(spec, cfg, seed=2, bound=0.01)
    assert all(np.all(np.abs(a) <= 0.01) for a in w.values())


@pytest.mark.parametrize("module", MODULES)
def test_random_inputs_shapes_and_bounds(module):
    spec = get_module(module)
    cfg = make_config(spec, n=4, c=3, r_bound=2.5)
    x = random_inputs(spec, cfg, seed=3)
    assert {k: v.shape for k, v in x.items()} == design_input_shapes(module, 4, 3, cfg.scales, cfg.factor)
    for arr in x.values():
        assert arr.dtype == np.float64
        assert np.all(np.abs(arr) <= 2.5)
    big = random_inputs(spec, make_config(spec, n=8, c=8, r_bound=2.5), seed=3)
    values = np.concatenate([a.ravel() for a in big.values()])
    assert values.max() > 2.3 and values.min() < -2.3  # the whole range [-R, R] is used


def test_random_inputs_default_bound_is_one():
    spec = get_module("matmul")
    x = random_inputs(spec, make_config(spec, n=8, c=8), seed=0)["X"]
    assert np.all(np.abs(x) <= 1.0) and x.max() > 0.9 and x.min() < -0.9


@pytest.mark.parametrize("draw,module", [(random_weights, "matmul"), (random_weights, "flowar"),
                                         (random_inputs, "attention"), (random_inputs, "flowar")])
def test_random_arrays_seeding(draw, module):
    """The same seed draws the same arrays, another seed other ones."""
    spec = get_module(module)
    cfg = make_config(spec, n=4, c=3)
    a, b = draw(spec, cfg, seed=7), draw(spec, cfg, seed=7)
    other = draw(spec, cfg, seed=8)
    assert a.keys() == b.keys() == other.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
        assert not np.array_equal(a[name], other[name])
