"""Size limits checked before work (tc0.models.limits): a module's inputs and
weights together, and every tensor its definition creates, are at most
MAX_SCALARS scalars, and the check itself (the cost backend) allocates
nothing in proportion to the shapes.

Oracles: element counts written out from the modules' definitions (docs/modules.md),
the sizes of the real tensors of a p-bit run, and tracemalloc's peak."""

from __future__ import annotations

import math
import time
import tracemalloc

import numpy as np
import pytest

from tc0.errors import ModelError
from tc0.models.backends import PbitBackend
from tc0.models.limits import MAX_FACTOR, MAX_SCALARS, check_size, count
from tc0.models.module import make_config, random_inputs, random_weights
from tc0.models.prepare import prepare
from tc0.models.registry import MODULES, get_module
from tc0.numerics import FloatFormat

MB = 1 << 20


def _peak(fn):
    """(fn's result or the exception it raised, peak bytes traced, seconds)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = fn()
    except ModelError as exc:
        result = exc
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, peak, seconds


@pytest.mark.parametrize("module, shape, declared", [
    ("attention", {"n": 4097, "c": 1}, 4097 * 4097 + 3),          # X n x n x c, W_Q/W_K/W_V c x c
    ("matmul", {"n": 1, "c": 4097}, 4097 + 4097 * 4097),          # X, W c x c
    ("ffn", {"n": 1, "c": 1, "hidden": 1 << 23}, 1 + 3 * (1 << 23) + 1),  # X, W1 c x m, b1 m, W2 m x c, b2 c
    # Z_init and F0_1 (n/a)^2 c, F0_2 n^2 c; per scale: tf attention 3 c^2, tf FFN 2 c m + m + c,
    # fm mlp_in 6 c^2 + 6 c, fm attention 3 c^2, fm mlp_out c^2 + c (c = m = 1)
    ("flowar", {"n": 4096, "c": 1, "scales": 2}, 2 * 2048**2 + 4096**2 + 2 * (3 + 4 + 12 + 3 + 2)),
])
def test_declared_arrays_over_the_limit_are_refused_first(module, shape, declared):
    spec = get_module(module)
    cfg = make_config(spec, **shape)
    assert declared > MAX_SCALARS
    error, peak, seconds = _peak(lambda: check_size(spec, cfg))
    assert isinstance(error, ModelError)
    assert f"hold {declared:,} scalars" in str(error) and "2^24" in str(error)
    assert {"n", "c"} <= set(error.parameters)
    assert peak < 4 * MB and seconds < 2


@pytest.mark.parametrize("module, shape, largest", [
    # the area matrix (n/a)^2 x n^2 (times c = 1 channel: also its matmul products)
    ("downsample", {"n": 2048, "c": 1}, 1024**2 * 2048**2),
    # the gathered taps (a n) x (a n) x 4 x 4 x c and their products
    ("upsample", {"n": 1024, "c": 4, "factor": 4}, 4096**2 * 16 * 4),
    # Q K^T's products: N x c x N for N = n^2 tokens
    ("attention", {"n": 1024, "c": 4}, (1024**2) ** 2 * 4),
])
def test_the_cost_pass_allocates_nothing_in_proportion_to_the_shapes(module, shape, largest):
    spec = get_module(module)
    cfg = make_config(spec, **shape)
    cost, peak, seconds = _peak(lambda: count(spec, cfg))
    assert cost.largest == largest
    assert peak < 16 * MB and seconds < 5
    with pytest.raises(ModelError, match=f"creates a tensor of {largest:,} scalars"):
        check_size(spec, cfg)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_largest_is_the_largest_tensor_of_a_real_run(module):
    """The cost backend's largest tensor equals the largest array a p-bit run
    (which materialises every product, constant, gather and concatenation) makes."""
    spec = get_module(module)
    cfg = make_config(spec, n=4, c=3, **({"scales": 2} if "scales" in spec.parameters else {}))
    weights = random_weights(spec, cfg)
    cfg = prepare(spec, cfg, weights)

    class Recording(PbitBackend):
        largest = 0

    def recorded(method):
        def wrapper(self, *args, **kwargs):
            out = method(self, *args, **kwargs)
            self.largest = max(self.largest, int(np.size(out)))
            return out
        return wrapper

    for name in ("constant", "add", "sub", "mul", "div", "exp", "sqrt", "relu", "sum", "gather", "take_last",
                 "concat"):
        setattr(Recording, name, recorded(getattr(PbitBackend, name)))
    B = Recording(FloatFormat(8))
    inputs = {k: B.constant(v) for k, v in random_inputs(spec, cfg).items()}
    spec.forward(B, inputs, {k: B.constant(v) for k, v in weights.items()}, cfg)
    assert count(spec, cfg).largest == B.largest


def test_attention_fits_up_to_the_limit():
    """attention's largest tensor is N^2 c (N = n^2): n = 32, c = 16 is exactly 2^24, n = 33 is over."""
    spec = get_module("attention")
    cost = check_size(spec, make_config(spec, n=32, c=16))
    assert cost.largest == MAX_SCALARS == (32**2) ** 2 * 16
    with pytest.raises(ModelError, match=r"2\^24"):
        check_size(spec, make_config(spec, n=33, c=16))


def test_a_fast_module_is_checked_as_its_exact_module_before_calibration():
    """Calibrating fast-flow-matching runs exact flow matching (N x c x N products,
    N = 4096 here): refused before any of it runs, by check_size and by prepare."""
    spec = get_module("fast-flow-matching")
    cfg = make_config(spec, n=64, c=4)
    weights = random_weights(spec, cfg)
    assert math.prod((64 * 64, 4, 64 * 64)) > MAX_SCALARS
    for step in (lambda: check_size(spec, cfg), lambda: prepare(spec, cfg, weights)):
        error, peak, _ = _peak(step)
        assert isinstance(error, ModelError) and "mul in flow_matching/attention" in str(error)
        assert peak < 16 * MB


def test_factor_beyond_its_range_is_refused():
    spec = get_module("upsample")
    with pytest.raises(ModelError, match=f"factor must be in 1..{MAX_FACTOR}") as info:
        check_size(spec, make_config(spec, n=1, c=1, factor=MAX_FACTOR + 1))
    assert info.value.parameters == ("factor",)
