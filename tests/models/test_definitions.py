"""The float64 backend against an independent check of the FlowAR definitions
(DESIGN section 4, inputs and weights named as section 5).

Every exact FlowAR module of the registry runs on ``Float64Backend`` and is compared,
to 1e-12 relative, with an oracle written here from DESIGN's text. Nothing
below calls ``tc0.models.layers`` or ``tc0.models.flowar.model``; only the registry's seeded inputs/weights
and its entry points are used. Each oracle exists twice:

* ``NumpyOps``: plain numpy formulas (bicubic as a separable 1-D matrix built
  from the Keys kernel with half-pixel centres and clamped borders, area
  average by a block reshape, softmax, layer norm). Always tested.
* ``TorchOps``: PyTorch float64 (``F.interpolate`` bicubic/area, ``torch.softmax``
  of unscaled scores, ``F.layer_norm`` without affine and eps = 0). Tested in
  addition when torch is importable; otherwise those tests skip with
  "torch absent: numpy formulas only". torch is a test-only dependency.

The composites (flow matching Def. B.12, transformer Def. B.9, FlowAR
inference Def. B.13 with DESIGN's index fixes) are written once against either
ops set.

Layer norm of a token whose channels are all equal (always so for c = 1) is
0/0. DESIGN section 3 defines 0/0 = 0 and the backend follows it; torch's
``F.layer_norm(eps=0)`` gives NaN there. Both oracles therefore return 0 for a
token with variance exactly 0 (the torch one overrides torch's NaN), and
``test_torch_layernorm_zero_variance_is_nan`` pins the torch behaviour so the
departure stays visible.
"""

from __future__ import annotations

import numpy as np
import pytest

from tc0.models.backends import Float64Backend
from tc0.models.flowar.config import FlowARConfig
from tc0.models.module import random_inputs, random_weights
from tc0.models.registry import FAMILIES

#: the exact FlowAR modules; the fast (AAttC) variants are checked against exact attention in
#: test_fast_attention.py, the VAR family in test_var_definitions.py
MODULES = {name: spec for name, spec in FAMILIES["flowar"].modules.items() if spec.fast_of is None}

RTOL = 1e-12
KEYS_A = -0.75


# ------------------------------------------------------------------ numpy formulas
def keys_weight(d: float) -> float:
    """Keys (1981) cubic convolution kernel W(d), a = -0.75."""
    a, d = KEYS_A, abs(d)
    if d <= 1.0:
        return (a + 2.0) * d**3 - (a + 3.0) * d**2 + 1.0
    if d < 2.0:
        return a * d**3 - 5.0 * a * d**2 + 8.0 * a * d - 4.0 * a
    return 0.0


def bicubic_matrix(size: int, r: int) -> np.ndarray:
    """The (size*r) x size 1-D interpolation matrix: output coordinate i reads
    src = (i + 0.5)/r - 0.5, taps floor(src) + s for s in {-1, 0, 1, 2} clamped
    to [0, size-1] (clamped taps accumulate on the border), weight W(s - f)
    with f = src - floor(src), the tap's distance from src."""
    U = np.zeros((size * r, size))
    for i in range(size * r):
        src = (i + 0.5) / r - 0.5
        base = int(np.floor(src))
        for tap in range(base - 1, base + 3):
            U[i, min(max(tap, 0), size - 1)] += keys_weight(src - tap)
    return U


class NumpyOps:
    """DESIGN section 4 written as plain numpy formulas."""

    name = "numpy"

    @staticmethod
    def asarray(x):
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def tonumpy(x):
        return np.asarray(x)

    @staticmethod
    def concat(xs):
        return np.concatenate(xs, axis=0)

    @staticmethod
    def relu(x):
        return np.maximum(x, 0.0)

    @staticmethod
    def upsample(img, r):
        """Separable bicubic: out[:, :, ch] = U img[:, :, ch] U^T."""
        U = bicubic_matrix(img.shape[0], r)
        V = bicubic_matrix(img.shape[1], r)
        return np.einsum("ia,abk,jb->ijk", U, img, V)

    @staticmethod
    def downsample(img, r):
        h, w, c = img.shape
        return img.reshape(h // r, r, w // r, r, c).mean(axis=(1, 3))

    @staticmethod
    def attention(x, wq, wk, wv):
        """softmax(Q K^T) V row-wise, no 1/sqrt(c), no mask."""
        s = (x @ wq) @ (x @ wk).T
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)) @ (x @ wv)

    @staticmethod
    def layernorm(x):
        mu = x.mean(axis=-1, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (x - mu) / np.sqrt(var)
        return np.where((x == x[..., :1]).all(axis=-1, keepdims=True), 0.0, out)  # 0/0 = 0 (DESIGN section 3)


class TorchOps:
    """The same definitions through PyTorch float64 operations."""

    name = "torch"

    def __init__(self, torch):
        import torch.nn.functional as F

        self.torch, self.F = torch, F

    def asarray(self, x):
        return self.torch.as_tensor(np.asarray(x), dtype=self.torch.float64)

    @staticmethod
    def tonumpy(x):
        return x.detach().numpy()

    def concat(self, xs):
        return self.torch.cat(xs, dim=0)

    def relu(self, x):
        return self.torch.relu(x)

    def _nchw(self, img):
        return img.permute(2, 0, 1).unsqueeze(0)

    def upsample(self, img, r):
        out = self.F.interpolate(self._nchw(img), scale_factor=r, mode="bicubic", align_corners=False)
        return out[0].permute(1, 2, 0)

    def downsample(self, img, r):
        h, w, _ = img.shape
        out = self.F.interpolate(self._nchw(img), size=(h // r, w // r), mode="area")
        return out[0].permute(1, 2, 0)

    def attention(self, x, wq, wk, wv):
        return self.torch.softmax((x @ wq) @ (x @ wk).T, dim=-1) @ (x @ wv)

    def layernorm(self, x):
        out = self.F.layer_norm(x, (x.shape[-1],), eps=0.0)
        zero_var = (x == x[..., :1]).all(dim=-1, keepdim=True)  # all channels equal: variance 0
        return self.torch.where(zero_var, self.torch.zeros_like(out), out)  # torch: NaN; DESIGN: 0/0 = 0


# ------------------------------------------------------------------ composites (either ops set)
def o_ffn(ops, x, w, p=""):
    """X + ReLU(X W1 + b1) W2 + b2 (Def. B.7)."""
    return x + ops.relu(x @ w[p + "W1"] + w[p + "b1"]) @ w[p + "W2"] + w[p + "b2"]


def o_transformer(ops, z, w, p=""):
    """TF(Z) = FFN(Attn(Z)) (Def. B.9)."""
    a = ops.attention(z, w[p + "attn.W_Q"], w[p + "attn.W_K"], w[p + "attn.W_V"])
    return o_ffn(ops, a, w, p + "ffn.")


def o_flow_matching(ops, y_hat, f0, t, w, p=""):
    """NN(Y_hat, F^t, t) (Def. B.12) with F^t = t Y_hat + (1 - t) F^0 (Def. B.10),
    on token sequences (N, c)."""
    c = y_hat.shape[-1]
    f = t * y_hat + (1.0 - t) * f0
    cond = (y_hat + t) @ w[p + "mlp_in.W"] + w[p + "mlp_in.b"]
    alpha1, alpha2, beta1, beta2, gamma1, gamma2 = (cond[:, k * c : (k + 1) * c] for k in range(6))
    f_prime = ops.attention(gamma1 * ops.layernorm(f) + beta1,
                            w[p + "attn.W_Q"], w[p + "attn.W_K"], w[p + "attn.W_V"]) * alpha1
    return ((gamma2 * ops.layernorm(f_prime) + beta2) @ w[p + "mlp_out.W"] + w[p + "mlp_out.b"]) * alpha2


def o_flowar(ops, inputs, w, K, a, times):
    """Def. B.13 as DESIGN states it: Z_1 = Z_init; for i >= 2 the transformer
    reads Concat(Z_init, up(Y~_1, a), ..., up(Y~_(i-1), a)); Y_hat_i is the last
    (side_i)^2 tokens of TF_i; Y~_i = NN_i(Y_hat_i, F^t_i, t_i); output Y~_K."""
    z_init = inputs["Z_init"]
    c = z_init.shape[-1]
    side = z_init.shape[0]
    seq = [z_init.reshape(side * side, c)]
    refined = None
    for i in range(1, K + 1):
        if i > 1:
            up = ops.upsample(refined, a)
            side = up.shape[0]
            seq.append(up.reshape(side * side, c))
        out = o_transformer(ops, ops.concat(seq), w, f"scale{i}.tf.")
        y_hat = out[-side * side :]
        f0 = inputs[f"F0_{i}"].reshape(side * side, c)
        refined = o_flow_matching(ops, y_hat, f0, times[i - 1], w, f"scale{i}.fm.").reshape(side, side, c)
    return refined


def oracle(ops, module: str, inputs: dict, w: dict, cfg: FlowARConfig) -> np.ndarray:
    """The oracle's output of ``module`` (an n x n x c image, or the resampled one)."""
    x = {k: ops.asarray(v) for k, v in inputs.items()}
    w = {k: ops.asarray(v) for k, v in w.items()}
    n, c = cfg.n, cfg.c
    tok = (lambda img: img.reshape(n * n, c))
    img = (lambda seq: seq.reshape(n, n, seq.shape[-1]))
    if module == "matmul":
        out = img(tok(x["X"]) @ w["W"])
    elif module == "mlp":
        out = img(tok(x["X"]) @ w["W"] + w["b"])
    elif module == "ffn":
        out = img(o_ffn(ops, tok(x["X"]), w))
    elif module == "attention":
        out = img(ops.attention(tok(x["X"]), w["W_Q"], w["W_K"], w["W_V"]))
    elif module == "layernorm":
        out = img(ops.layernorm(tok(x["X"])))
    elif module == "upsample":
        out = ops.upsample(x["X"], cfg.factor)
    elif module == "downsample":
        out = ops.downsample(x["X"], cfg.factor)
    elif module == "transformer":
        out = img(o_transformer(ops, tok(x["X"]), w))
    elif module == "flow-matching":
        out = img(o_flow_matching(ops, tok(x["Y_hat"]), tok(x["F0"]), cfg.t[0], w))
    elif module == "flowar":
        out = o_flowar(ops, x, w, cfg.scales, cfg.factor, cfg.t)
    else:  # a module added to the registry without an oracle here
        raise AssertionError(f"no oracle for module {module!r}: add one to {__name__}")
    return ops.tonumpy(out)


# ------------------------------------------------------------------ cases
SIZES = [(n, c) for n in (1, 2, 4) for c in (1, 2, 4)]


def _cases():
    cases = []
    for name in MODULES:
        if name == "flowar":
            continue
        for n, c in SIZES:
            if name == "downsample" and n % 2:
                continue  # n/a must be a positive integer (n = 1, a = 2 has no output pixel)
            cases.append(pytest.param(name, {"n": n, "c": c}, id=f"{name}-n{n}-c{c}"))
    # non-default options: FFN width m != c, timesteps other than 0.5
    for name in ("ffn", "transformer"):
        cases.append(pytest.param(name, {"n": 2, "c": 2, "hidden": 3}, id=f"{name}-n2-c2-m3"))
    cases.append(pytest.param("flow-matching", {"n": 2, "c": 4, "times": (0.3,)}, id="flow-matching-n2-c4-t0.3"))
    for n, K in ((2, 2), (4, 2), (4, 3)):
        for c in (1, 2, 4):
            cases.append(pytest.param("flowar", {"n": n, "c": c, "scales": K, "factor": 2}, id=f"flowar-n{n}-K{K}-c{c}"))
    # c = 4: for c = 2 layer norm is sign(x0 - x1) = +-1 and hides the timesteps' effect on F^t
    timed = {"n": 4, "c": 4, "scales": 3, "factor": 2, "times": (0.2, 0.5, 0.9), "hidden": 3}
    cases.append(pytest.param("flowar", timed, id="flowar-n4-K3-c4-t.2,.5,.9-m3"))
    return cases


CASES = _cases()


def test_every_module_has_cases():
    assert {p.values[0] for p in CASES} == set(MODULES)


def _run(module, kwargs, seed=0):
    cfg = FlowARConfig(**kwargs)
    spec = MODULES[module]
    inputs = random_inputs(spec, cfg, seed=seed)
    weights = random_weights(spec, cfg, seed=seed + 1)
    got = np.asarray(spec.forward(Float64Backend(), inputs, weights, cfg))
    return cfg, inputs, weights, got


def _assert_close(got, want, what):
    """|got - want| <= 1e-12 |want| + 1e-12 max(1, max |want|): relative 1e-12,
    with an absolute floor at the output's scale for entries that cancel to ~0."""
    want = np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, oracle {want.shape}"
    assert np.all(np.isfinite(want)), f"{what}: oracle not finite"
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale, err_msg=what)


@pytest.fixture(scope="module")
def torch_ops():
    torch = pytest.importorskip("torch", reason="torch absent: numpy formulas only")
    return TorchOps(torch)


@pytest.mark.parametrize("module,kwargs", CASES)
def test_float64_matches_numpy_formulas(module, kwargs):
    cfg, inputs, weights, got = _run(module, kwargs)
    _assert_close(got, oracle(NumpyOps, module, inputs, weights, cfg), f"{module} {kwargs} vs numpy formulas")


@pytest.mark.parametrize("module,kwargs", CASES)
def test_float64_matches_torch(torch_ops, module, kwargs):
    cfg, inputs, weights, got = _run(module, kwargs)
    _assert_close(got, oracle(torch_ops, module, inputs, weights, cfg), f"{module} {kwargs} vs torch")


# ------------------------------------------------------------------ the oracles themselves
@pytest.mark.parametrize("size,r", [(1, 2), (2, 2), (3, 2), (4, 3), (5, 4), (7, 2)])
def test_numpy_resampling_matches_torch(torch_ops, size, r):
    """The numpy bicubic/area formulas are PyTorch's, at more sizes and factors
    than the backend cases (odd sizes, r = 3, 4)."""
    img = np.random.default_rng(size * 10 + r).uniform(-1, 1, size=(size * r, size * r, 3))
    small = img[:size, :size]
    _assert_close(NumpyOps.upsample(small, r), torch_ops.tonumpy(torch_ops.upsample(torch_ops.asarray(small), r)),
                  "bicubic numpy vs torch")
    _assert_close(NumpyOps.downsample(img, r), torch_ops.tonumpy(torch_ops.downsample(torch_ops.asarray(img), r)),
                  "area numpy vs torch")


def test_torch_layernorm_zero_variance_is_nan(torch_ops):
    """torch gives NaN for a constant token (eps = 0); DESIGN's 0/0 = 0 gives 0,
    and so do the backend and both oracles (see the module docstring)."""
    x = np.array([[0.25], [-0.5], [0.75]])
    raw = torch_ops.F.layer_norm(torch_ops.asarray(x), (1,), eps=0.0)
    assert torch_ops.torch.isnan(raw).all()
    assert np.array_equal(torch_ops.tonumpy(torch_ops.layernorm(torch_ops.asarray(x))), np.zeros_like(x))
    _, _, _, got = _run("layernorm", {"n": 2, "c": 1})
    assert np.array_equal(got, np.zeros_like(got))


def _alternative(module, x, w, r):
    """The backend's input run through a reading DESIGN section 4 rejects."""
    if module == "attention":  # scores scaled by 1/sqrt(c), c = 4: (X/2) W_Q ((X/2) W_K)^T; V kept X W_V
        tokens = x.reshape(-1, x.shape[-1])
        return NumpyOps.attention(tokens / 2.0, w["W_Q"], w["W_K"], 2.0 * w["W_V"]).reshape(x.shape)
    if module == "upsample":  # the paper's literal integer taps: nearest-neighbour copies
        return np.repeat(np.repeat(x, r, axis=0), r, axis=1)
    if module == "layernorm":  # an epsilon of 1e-5 under the square root
        mu = x.mean(axis=-1, keepdims=True)
        return (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + 1e-5)
    raise AssertionError(module)


@pytest.mark.parametrize("module", ["attention", "upsample", "layernorm"])
def test_tolerance_rejects_the_alternatives_design_rules_out(module):
    """The comparison can fail: the readings DESIGN section 4 rejects (scaled
    attention, the paper's literal integer taps, layer norm with an epsilon)
    differ from the backend by far more than the tolerance."""
    cfg, inputs, weights, got = _run(module, {"n": 4, "c": 4})
    wrong = _alternative(module, inputs["X"], weights, cfg.factor)
    assert wrong.shape == got.shape
    with pytest.raises(AssertionError):
        _assert_close(got, wrong, f"{module} alternative")
