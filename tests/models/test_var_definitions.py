"""The float64 backend against an independent check of the VAR definitions
(DESIGN section 8: conv, bicubic up-interpolation to a size, the VAR
transformer, the feature-map reconstruction, the VQ-VAE decoder, the whole
model).

Every expected value below is computed with PyTorch float64 from DESIGN's text
alone: ``F.interpolate(size=(s, s), mode="bicubic", align_corners=False)`` on
the channels-first tensor for phi_up, ``F.conv2d(padding=1)`` with the torch
weight ``K.permute(3, 2, 0, 1)`` (our kernel layout is (3, 3, c_in, c_out)) for
phi_conv, and D^-1 exp(Q K^T) V (no 1/sqrt(d), no mask) for attention. Tensors
are h x w x d and flatten row-major (pixel (i, j) is token i*w + j). Nothing
here imports ``tc0.models.layers``, ``tc0.models.var.model`` or
``tc0.models.flowar``; tc0 is reached only through its public entry points
(``get_module``, ``make_config``, ``random_weights``/``random_inputs``, ``run``
on ``Float64Backend``), and the scale sizes are recomputed here from the
definition (s_1 = 1, s_k = n / 2^(K - k) for k >= 2) rather than read from the
configuration.

The comparison is |ours - torch| <= 1e-12 |torch| + 1e-12 max |torch| (relative
1e-12, with an absolute floor at the output's own scale: the transformer's
outputs are ~0.1, so a floor of 1e-12 in absolute terms would be looser).

With s_1 = 1 (the default sizes, and sizes=(1, 3, 4)) every token map inside
the VAR transformer is constant: X_init is one token, attention gives equal
outputs for equal tokens, and bicubic interpolation of a constant is that
constant. Those cases cannot see the flattening order or the interpolation's
taps inside the transformer, so the transformer, reconstruction and full
model are also run with s_1 = 2 (sizes=(2, 3, 4) and (2, 4)), which DESIGN
allows ("any strictly increasing list ending at n").
``test_tolerance_rejects_plausible_misreadings`` shows it can fail: a
transposed kernel layout, a 1/sqrt(d) attention scale, align_corners=True,
column-major flattening, or upsampling the previous step's input instead of
the attention's output each miss by far more than the tolerance.

torch is a test-only dependency; without it the oracle tests skip with
"torch absent: ..." (the shape and name tests still run).
"""

from __future__ import annotations

import numpy as np
import pytest

from tc0.errors import ModelError
from tc0.models.backends import Float64Backend
from tc0.models.module import make_config, random_inputs, random_weights
from tc0.models.registry import get_module
from tc0.models.run import run

RTOL = 1e-12
WEIGHT_SEED = 0
INPUT_SEED = 1

DECODER_CONVS = ("conv_in", "res1.conv_a", "res1.conv_b", "res2.conv_a", "res2.conv_b", "up.conv")


# ------------------------------------------------------------------ the definition's sizes, names, shapes
def default_sizes(n: int, K: int) -> list[int]:
    """s_1 = 1, s_k = n / 2^(K - k) for k >= 2 (DESIGN section 8)."""
    return [1] + [n // 2 ** (K - k) for k in range(2, K + 1)]


def expected_weights(module: str, c: int, sizes: list[int], c_out: int | None = None) -> dict:
    K = len(sizes)
    if module == "conv":
        co = c if c_out is None else c_out
        return {"K": (3, 3, c, co), "b": (co,)}
    if module == "upsample":
        return {}
    if module == "var-transformer":
        return {f"attn{k}.{m}": (c, c) for k in range(1, K + 1) for m in ("W_Q", "W_K", "W_V")}
    if module == "var-reconstruct":
        out = {}
        for k in range(1, K + 1):
            out[f"conv{k}.K"] = (3, 3, c, c)
            out[f"conv{k}.b"] = (c,)
        return out
    if module == "vqvae-decoder":
        out = {}
        for name in DECODER_CONVS:
            out[f"{name}.K"] = (3, 3, c, c)
            out[f"{name}.b"] = (c,)
        out.update({f"attn.{m}": (c, c) for m in ("W_Q", "W_K", "W_V")})
        out["conv_out.K"] = (3, 3, c, 3)
        out["conv_out.b"] = (3,)
        return out
    if module == "var":
        out = {}
        for prefix, part in (("tf.", "var-transformer"), ("rec.", "var-reconstruct"), ("dec.", "vqvae-decoder")):
            out.update({prefix + k: v for k, v in expected_weights(part, c, sizes).items()})
        return out
    raise AssertionError(module)


def expected_inputs(module: str, n: int, c: int, sizes: list[int]) -> dict:
    if module in ("conv", "upsample", "vqvae-decoder"):
        return {"X": (n, n, c)}
    if module in ("var-transformer", "var"):
        return {"X_init": (sizes[0], sizes[0], c)}
    if module == "var-reconstruct":
        return {f"r{k}": (s, s, c) for k, s in enumerate(sizes, start=1)}
    raise AssertionError(module)


def expected_output_shape(module: str, n: int, c: int, sizes: list[int], c_out=None, size=None) -> tuple:
    if module == "conv":
        return (n, n, c if c_out is None else c_out)
    if module == "upsample":
        return (size, size, c)
    if module == "var-transformer":
        return (sum(s * s for s in sizes), c)
    if module == "var-reconstruct":
        return (n, n, c)
    if module in ("vqvae-decoder", "var"):
        return (2 * n, 2 * n, 3)
    raise AssertionError(module)


# ------------------------------------------------------------------ the torch float64 oracle
class Oracle:
    """DESIGN section 8 in PyTorch float64. The keyword switches select the
    misreadings of ``test_tolerance_rejects_plausible_misreadings``; their
    defaults are the definition."""

    def __init__(self, torch, *, kernel_transposed=False, attn_scaled=False, align_corners=False,
                 column_major=False, upsample_previous=False):
        import torch.nn.functional as F

        self.torch, self.F = torch, F
        self.kernel_transposed = kernel_transposed
        self.attn_scaled = attn_scaled
        self.align_corners = align_corners
        self.column_major = column_major
        self.upsample_previous = upsample_previous

    def t(self, x):
        return self.torch.as_tensor(np.asarray(x, dtype=np.float64), dtype=self.torch.float64)

    # h x w x d <-> token sequences (row-major: pixel (i, j) is token i*w + j)
    def flat(self, img):
        h, w, d = img.shape
        if self.column_major:
            return img.permute(1, 0, 2).reshape(h * w, d)
        return img.reshape(h * w, d)

    def unflat(self, seq, h, w):
        if self.column_major:
            return seq.reshape(w, h, seq.shape[-1]).permute(1, 0, 2)
        return seq.reshape(h, w, seq.shape[-1])

    def up(self, img, s):
        """phi_up(img -> s): bicubic, align_corners=False, on the (1, d, h, w) tensor."""
        x = img.permute(2, 0, 1).unsqueeze(0)
        out = self.F.interpolate(x, size=(s, s), mode="bicubic", align_corners=self.align_corners)
        return out[0].permute(1, 2, 0)

    def conv(self, img, K, b):
        """phi_conv: 3x3, zero padding 1, stride 1; torch weight = K.permute(3, 2, 0, 1)."""
        weight = K.permute(3, 2, 1, 0) if self.kernel_transposed else K.permute(3, 2, 0, 1)
        out = self.F.conv2d(img.permute(2, 0, 1).unsqueeze(0), weight, b, padding=1)
        return out[0].permute(1, 2, 0)

    def attn(self, X, wq, wk, wv):
        """D^-1 A (X W_V), A = exp((X W_Q)(X W_K)^T), D = diag(A 1)."""
        scores = (X @ wq) @ (X @ wk).T
        if self.attn_scaled:
            scores = scores / float(np.sqrt(X.shape[-1]))
        A = self.torch.exp(scores)
        return (A / A.sum(dim=1, keepdim=True)) @ (X @ wv)

    # composites
    def cut(self, seq, sizes):
        """A flat sequence back into its token maps: consecutive blocks of s^2 tokens, each s x s."""
        maps, start = [], 0
        for s in sizes:
            maps.append(self.unflat(seq[start : start + s * s], s, s))
            start += s * s
        assert start == seq.shape[0]
        return maps

    def var_transformer(self, x_init, w, sizes, p=""):
        """Z_0 = X_init; Z_k = Concat(X_init, up(X_1 -> s_2), ..., up(X_k -> s_(k+1))) with X_1..X_k
        the maps of A_k = Attn_k(Z_(k-1)); output Attn_K(Z_(K-1))."""
        K = len(sizes)
        Z = self.flat(x_init)
        for k in range(1, K):
            A = self.attn(Z, w[f"{p}attn{k}.W_Q"], w[f"{p}attn{k}.W_K"], w[f"{p}attn{k}.W_V"])
            maps = self.cut(Z if self.upsample_previous else A, sizes[:k])
            parts = [self.flat(x_init)] + [self.flat(self.up(maps[r], sizes[r + 1])) for r in range(k)]
            Z = self.torch.cat(parts, dim=0)
        return self.attn(Z, w[f"{p}attn{K}.W_Q"], w[f"{p}attn{K}.W_K"], w[f"{p}attn{K}.W_V"])

    def var_reconstruct(self, rs, w, n, p=""):
        """F = sum_k conv_k(up(r_k -> n)), up the identity for r_K, added left to right."""
        F_map = None
        for k, r in enumerate(rs, start=1):
            r_up = r if k == len(rs) else self.up(r, n)
            term = self.conv(r_up, w[f"{p}conv{k}.K"], w[f"{p}conv{k}.b"])
            F_map = term if F_map is None else F_map + term
        return F_map

    def res(self, x, w, p):
        return x + self.conv(self.torch.relu(self.conv(x, w[p + "conv_a.K"], w[p + "conv_a.b"])),
                             w[p + "conv_b.K"], w[p + "conv_b.b"])

    def decoder(self, x, w, p=""):
        h, wd, _ = x.shape
        y = self.conv(x, w[p + "conv_in.K"], w[p + "conv_in.b"])
        y = self.res(y, w, p + "res1.")
        y = y + self.unflat(self.attn(self.flat(y), w[p + "attn.W_Q"], w[p + "attn.W_K"], w[p + "attn.W_V"]), h, wd)
        y = self.res(y, w, p + "res2.")
        y = self.conv(self.up(y, 2 * h), w[p + "up.conv.K"], w[p + "up.conv.b"])
        return self.conv(y, w[p + "conv_out.K"], w[p + "conv_out.b"])

    def var(self, x_init, w, sizes):
        rs = self.cut(self.var_transformer(x_init, w, sizes, "tf."), sizes)
        return self.decoder(self.var_reconstruct(rs, w, sizes[-1], "rec."), w, "dec.")

    def __call__(self, module, inputs, weights, sizes, n, size=None):
        x = {k: self.t(v) for k, v in inputs.items()}
        w = {k: self.t(v) for k, v in weights.items()}
        if module == "conv":
            out = self.conv(x["X"], w["K"], w["b"])
        elif module == "upsample":
            out = self.up(x["X"], size)
        elif module == "var-transformer":
            out = self.var_transformer(x["X_init"], w, sizes)
        elif module == "var-reconstruct":
            out = self.var_reconstruct([x[f"r{k}"] for k in range(1, len(sizes) + 1)], w, n)
        elif module == "vqvae-decoder":
            out = self.decoder(x["X"], w)
        elif module == "var":
            out = self.var(x["X_init"], w, sizes)
        else:
            raise AssertionError(f"no oracle for {module!r}")
        return out.detach().numpy()


# ------------------------------------------------------------------ cases
def _p(module, n, c, *, K=None, sizes=None, c_out=None, size=None, scale=1.0, tag=""):
    opts = {"n": n, "c": c}
    if K is not None:
        opts["scales"] = K
    if sizes is not None:
        opts["sizes"] = tuple(sizes)
    if c_out is not None:
        opts["c_out"] = c_out
    if size is not None:
        opts["size"] = size
    ident = f"{module}-n{n}-c{c}" + (f"-K{K}" if K else "") + (f"-sizes{'.'.join(map(str, sizes))}" if sizes else "")
    ident += (f"-cout{c_out}" if c_out else "") + (f"-size{size}" if size else "") + tag
    return pytest.param(module, opts, scale, id=ident)


def _cases():
    cases = []
    for n, c in ((2, 2), (4, 4), (4, 2)):
        cases.append(_p("conv", n, c))
    for n, c in ((4, 2), (2, 4), (4, 4)):
        cases.append(_p("conv", n, c, c_out=3))
    cases.append(_p("conv", 4, 4, scale=10.0, tag="-inputs*10"))
    cases.append(_p("conv", 4, 2, c_out=3, scale=10.0, tag="-inputs*10"))
    for n, c, size in ((2, 2, 5), (3, 2, 7), (4, 4, 8), (2, 3, 3)):
        cases.append(_p("upsample", n, c, size=size))
    for module in ("var-transformer", "var-reconstruct"):
        for n, K in ((2, 2), (4, 2), (4, 3)):
            for c in (2, 4):
                cases.append(_p(module, n, c, K=K))
        cases.append(_p(module, 4, 2, sizes=(1, 3, 4)))
        cases.append(_p(module, 4, 2, sizes=(2, 3, 4)))  # s_1 > 1: maps not constant (module docstring)
        cases.append(_p(module, 4, 4, sizes=(2, 4)))
    for n in (2, 4):
        for c in (2, 4):
            cases.append(_p("vqvae-decoder", n, c))
    for c in (2, 4):
        cases.append(_p("var", 4, c, K=3))
    cases.append(_p("var", 4, 2, sizes=(1, 3, 4)))
    cases.append(_p("var", 2, 2, K=2))
    cases.append(_p("var", 4, 2, sizes=(2, 3, 4)))
    return cases


CASES = _cases()


def _sizes_of(opts) -> list[int]:
    if "sizes" in opts:
        return list(opts["sizes"])
    if "scales" in opts:
        return default_sizes(opts["n"], opts["scales"])
    return [opts["n"]]


def _config(spec, opts, **extra):
    """``make_config`` with ``opts`` (upsample's output side is ``out_size``, the CLI's ``--size``)."""
    opts = {("out_size" if k == "size" else k): v for k, v in opts.items()}
    return make_config(spec, **opts, **extra)


def _run(module, opts, scale=1.0):
    """Our float64 output with the registry's seeded weights and inputs (inputs times ``scale``; R = ``scale``)."""
    spec = get_module(module)
    cfg = _config(spec, opts, **({"r_bound": float(scale)} if scale != 1.0 else {}))
    weights = random_weights(spec, cfg, seed=WEIGHT_SEED)
    inputs = {k: v * scale for k, v in random_inputs(spec, _config(spec, opts), seed=INPUT_SEED).items()}
    out = Float64Backend().values(run(spec, cfg, Float64Backend(), inputs, weights))
    return spec, cfg, inputs, weights, np.asarray(out, dtype=np.float64)


def _assert_close(got, want, what):
    """|got - want| <= 1e-12 |want| + 1e-12 max |want|."""
    want = np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, oracle {want.shape}"
    assert np.all(np.isfinite(want)), f"{what}: oracle not finite"
    scale = float(np.max(np.abs(want)))
    assert scale > 0, f"{what}: oracle output is all zero (a vacuous comparison)"
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale, err_msg=what)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="torch absent: the VAR oracle is PyTorch float64")


# ------------------------------------------------------------------ tests
def test_default_sizes_follow_the_definition():
    """The sizes this file assumes: n = 4 -> 1, 2, 4; n = 8 -> 1, 4, 8; K = 2 -> 1, n."""
    assert default_sizes(4, 3) == [1, 2, 4]
    assert default_sizes(8, 3) == [1, 4, 8]
    assert default_sizes(4, 2) == [1, 4]
    assert default_sizes(2, 2) == [1, 2]


@pytest.mark.parametrize("module,opts,scale", CASES)
def test_names_and_shapes(module, opts, scale):
    """Inputs and weights are named and shaped as DESIGN section 8 says, and so is the output."""
    spec = get_module(module)
    cfg = _config(spec, opts)
    n, c = opts["n"], opts["c"]
    sizes = _sizes_of(opts)
    assert {k: tuple(v) for k, v in spec.inputs(cfg).items()} == expected_inputs(module, n, c, sizes)
    want_w = expected_weights(module, c, sizes, opts.get("c_out"))
    assert {k: tuple(v) for k, v in spec.weights(cfg).items()} == want_w
    _, _, inputs, weights, got = _run(module, opts, scale)
    assert {k: v.shape for k, v in inputs.items()} == expected_inputs(module, n, c, sizes)
    assert {k: v.shape for k, v in weights.items()} == want_w
    assert got.shape == expected_output_shape(module, n, c, sizes, opts.get("c_out"), opts.get("size"))


@pytest.mark.parametrize("n,K,sizes", [(8, 3, [1, 4, 8]), (8, 2, [1, 8]), (4, 3, [1, 2, 4]), (8, 4, [1, 2, 4, 8])])
def test_default_sizes_reach_the_reconstruction_inputs(n, K, sizes):
    """Default scale sizes (s_1 = 1, s_k = n / 2^(K-k)) as seen in var-reconstruct's inputs r_k."""
    spec = get_module("var-reconstruct")
    cfg = make_config(spec, n=n, c=2, scales=K)
    assert {k: tuple(v) for k, v in spec.inputs(cfg).items()} == {f"r{k}": (s, s, 2) for k, s in enumerate(sizes, 1)}


def test_options_a_module_does_not_take_are_refused():
    with pytest.raises(ModelError):
        make_config(get_module("conv"), n=4, c=4, scales=3)


def test_upsample_takes_the_size_option():
    """The API: ``make_config(get_module("upsample"), n=3, c=2, out_size=7)`` is phi_up to 7 x 7."""
    spec = get_module("upsample")
    cfg = make_config(spec, n=3, c=2, out_size=7)
    assert {k: tuple(v) for k, v in spec.inputs(cfg).items()} == {"X": (3, 3, 2)}
    out = Float64Backend().values(run(spec, cfg, Float64Backend(), random_inputs(spec, cfg, seed=INPUT_SEED), {}))
    assert np.shape(out) == (7, 7, 2)


@pytest.mark.parametrize("module,opts,scale", CASES)
def test_float64_matches_torch(torch, module, opts, scale):
    _, _, inputs, weights, got = _run(module, opts, scale)
    want = Oracle(torch)(module, inputs, weights, _sizes_of(opts), opts["n"], opts.get("size"))
    _assert_close(got, want, f"{module} {opts} inputs*{scale} vs torch float64")


def test_every_var_module_has_cases():
    assert {p.values[0] for p in CASES} == {"conv", "upsample", "var-transformer", "var-reconstruct",
                                            "vqvae-decoder", "var"}


MISREADINGS = [
    pytest.param("conv", {"n": 4, "c": 4}, {"kernel_transposed": True}, id="conv-kernel-transposed"),
    pytest.param("var-reconstruct", {"n": 4, "c": 4, "scales": 3}, {"kernel_transposed": True},
                 id="reconstruct-kernel-transposed"),
    pytest.param("upsample", {"n": 3, "c": 2, "size": 7}, {"align_corners": True}, id="upsample-align-corners"),
    pytest.param("var-transformer", {"n": 4, "c": 4, "scales": 3}, {"attn_scaled": True},
                 id="transformer-attn-1/sqrt(d)"),
    pytest.param("var-transformer", {"n": 4, "c": 4, "sizes": (2, 3, 4)}, {"column_major": True},
                 id="transformer-column-major"),
    pytest.param("var-transformer", {"n": 4, "c": 4, "sizes": (2, 3, 4)}, {"upsample_previous": True},
                 id="transformer-upsample-previous"),
    pytest.param("vqvae-decoder", {"n": 4, "c": 4}, {"attn_scaled": True}, id="decoder-attn-1/sqrt(d)"),
    pytest.param("var", {"n": 4, "c": 4, "scales": 3}, {"align_corners": True}, id="var-align-corners"),
    pytest.param("var-transformer", {"n": 4, "c": 4, "sizes": (2, 3, 4)}, {"align_corners": True},
                 id="transformer-align-corners"),
]


@pytest.mark.parametrize("module,opts,wrong", MISREADINGS)
def test_tolerance_rejects_plausible_misreadings(torch, module, opts, wrong):
    """The comparison can fail: each misreading differs from our output (and
    from the definition's oracle) by far more than the tolerance."""
    _, _, inputs, weights, got = _run(module, opts)
    args = (module, inputs, weights, _sizes_of(opts), opts["n"], opts.get("size"))
    right = Oracle(torch)(*args)
    alt = Oracle(torch, **wrong)(*args)
    assert alt.shape == got.shape
    _assert_close(got, right, f"{module} definition")
    with pytest.raises(AssertionError):
        _assert_close(got, alt, f"{module} misreading {wrong}")
    # far more than the tolerance, not just over it
    assert np.max(np.abs(got - alt)) > 1e-6 * float(np.max(np.abs(right)))
