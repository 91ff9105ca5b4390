"""``last_rows`` of the attention layers (tc0.models.layers.attention,
fast_attention) and of the FlowAR transformer: exactly the last rows of the
whole result, on the p-bit and float64 backends."""

from __future__ import annotations

import numpy as np
import pytest
from model_format import FMT

from tc0.models.backends import Float64Backend, PbitBackend
from tc0.models.flowar.model import transformer
from tc0.models.layers import aattc_plan
from tc0.models.layers.attention import attention
from tc0.models.layers.fast_attention import fast_attention


@pytest.mark.parametrize("attend", ["attention", "fast_attention", "transformer"])
def test_last_rows_are_the_last_rows_of_the_whole(attend):
    """``last_rows=k`` (FlowAR reads only its transformers' last tokens) gives
    exactly the last k rows of the full result, on the p-bit and float64 backends."""
    rng = np.random.default_rng(3)
    tokens, c, k = 6, 2, 4
    x = rng.uniform(-1, 1, (tokens, c))
    names = ["attn.W_Q", "attn.W_K", "attn.W_V", "ffn.W1", "ffn.W2"]
    weights = {name: rng.uniform(-0.5, 0.5, (c, c)) for name in names} | {
        "ffn.b1": rng.uniform(-0.5, 0.5, c), "ffn.b2": rng.uniform(-0.5, 0.5, c)}
    poly = aattc_plan.plan(score_bound=2.0, delta=0.1, c=c)
    qkv = ("attn.W_Q", "attn.W_K", "attn.W_V")
    run_module = {
        "attention": lambda B, x, w, rows: attention(B, x, *(w[k] for k in qkv), last_rows=rows),
        "fast_attention": lambda B, x, w, rows: fast_attention(B, x, *(w[k] for k in qkv), poly, last_rows=rows),
        "transformer": lambda B, x, w, rows: transformer(B, x, w, last_rows=rows),
    }[attend]
    for B in (PbitBackend(FMT), Float64Backend()):
        as_backend = {name: B.constant(v) for name, v in weights.items()}
        whole = np.asarray(run_module(B, B.constant(x), as_backend, None))
        last = np.asarray(run_module(B, B.constant(x), as_backend, k))
        assert last.shape == (k, c)
        if isinstance(B, PbitBackend):
            assert np.array_equal(last, whole[-k:])
        else:
            np.testing.assert_allclose(last, whole[-k:], rtol=1e-13)
