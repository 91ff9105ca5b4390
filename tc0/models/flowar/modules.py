"""The compilable FlowAR modules: their input and weight shapes (DESIGN
section 5 names) and their definitions from the shared layers and the FlowAR
model, exact and fast (AAttC)."""

from __future__ import annotations

from tc0.errors import ModelError
from tc0.models.backend import Backend
from tc0.models.flowar import model as M
from tc0.models.flowar.config import FlowARConfig
from tc0.models.layers import aattc_plan
from tc0.models.layers.attention import attention
from tc0.models.layers.fast_attention import fast_attention, planned_attention
from tc0.models.layers.layernorm import layernorm
from tc0.models.layers.linear import ffn, mlp
from tc0.models.layers.resampling import downsample, upsample_to
from tc0.models.module import ModuleSpec


def _attn(c):
    return {"W_Q": (c, c), "W_K": (c, c), "W_V": (c, c)}


def _ffn(c, m):
    return {"W1": (c, m), "b1": (m,), "W2": (m, c), "b2": (c,)}


def _fm(c):
    return {
        "mlp_in.W": (c, 6 * c), "mlp_in.b": (6 * c,),
        **{f"attn.{k}": v for k, v in _attn(c).items()},
        "mlp_out.W": (c, c), "mlp_out.b": (c,),
    }


def _tf(c, m):
    return {**{f"attn.{k}": v for k, v in _attn(c).items()}, **{f"ffn.{k}": v for k, v in _ffn(c, m).items()}}


def _prefixed(prefix, shapes):
    return {f"{prefix}.{k}": v for k, v in shapes.items()}


def _image(cfg):
    return {"X": (cfg.n, cfg.n, cfg.c)}


def _tokens(B: Backend, x, cfg):
    return B.reshape(x, (cfg.n * cfg.n, cfg.c))


def _as_image(B: Backend, y, cfg, side=None):
    side = side or cfg.n
    return B.reshape(y, (side, side, B.shape(y)[-1]))


def _flowar_inputs(cfg):
    sc = M.Scales(cfg.n, cfg.scales, cfg.factor)
    first = sc.side(1)
    shapes = {"Z_init": (first, first, cfg.c)}
    for i in range(1, cfg.scales + 1):
        shapes[f"F0_{i}"] = (sc.side(i), sc.side(i), cfg.c)
    return shapes


def _flowar_weights(cfg):
    shapes = {}
    for i in range(1, cfg.scales + 1):
        shapes.update(_prefixed(f"scale{i}.tf", _tf(cfg.c, cfg.m)))
        shapes.update(_prefixed(f"scale{i}.fm", _fm(cfg.c)))
    return shapes


def _run_flowar(B, x, w, cfg, attend=attention):
    noises = [x[f"F0_{i}"] for i in range(1, cfg.scales + 1)]
    return M.flowar(B, x["Z_init"], noises, list(cfg.t), w, M.Scales(cfg.n, cfg.scales, cfg.factor), attend)


def _fm_inputs(cfg):
    return {"Y_hat": (cfg.n, cfg.n, cfg.c), "F0": (cfg.n, cfg.n, cfg.c)}


def _run_fm(B, x, w, cfg, attend=attention):
    y_hat, noise = _tokens(B, x["Y_hat"], cfg), _tokens(B, x["F0"], cfg)
    t = cfg.t[0]
    return _as_image(B, M.flow_matching(B, y_hat, M.interpolate(B, y_hat, noise, t), t, w, attend), cfg)


def _attention_score_bound(cfg, weights) -> float:
    """|scores| <= this when every entry of X is at most R in magnitude."""
    return aattc_plan.score_bound(cfg.r_bound, weights["W_Q"], weights["W_K"])


def _n_divisible_by_factor(cfg: FlowARConfig) -> None:
    if cfg.n % cfg.factor:
        raise ModelError(f"downsample: n {cfg.n} is not divisible by factor {cfg.factor}", parameters=("n", "factor"))


def _spec(name, summary, inputs, weights, forward, **options) -> ModuleSpec:
    return ModuleSpec(name, summary, FlowARConfig, inputs, weights, forward, **options)


#: the parameters and defaults of the full model
_MODEL = {"parameters": ("scales", "factor", "times", "hidden"), "defaults": {"scales": 2}}

MODULES: dict[str, ModuleSpec] = {
    spec.name: spec
    for spec in (
        _spec("matmul", "Y = X W (Lemma 4.1)", _image, lambda cfg: {"W": (cfg.c, cfg.c)},
              lambda B, x, w, cfg: _as_image(B, B.matmul(_tokens(B, x["X"], cfg), w["W"]), cfg)),
        _spec("upsample", "bicubic phi_up(X, a), or to --size S (Lemma 4.2; VAR Def. 3.2)", _image,
              lambda cfg: {}, lambda B, x, w, cfg: upsample_to(B, x["X"], cfg.up_side),
              parameters=("factor", "out_size")),
        _spec("downsample", "area phi_down(X, a) (Lemma 4.3)", _image, lambda cfg: {},
              lambda B, x, w, cfg: downsample(B, x["X"], cfg.factor), parameters=("factor",),
              check=_n_divisible_by_factor),
        _spec("mlp", "X W + b (Lemma 4.4)", _image, lambda cfg: {"W": (cfg.c, cfg.c), "b": (cfg.c,)},
              lambda B, x, w, cfg: _as_image(B, mlp(B, _tokens(B, x["X"], cfg), w["W"], w["b"]), cfg)),
        _spec("ffn", "X + ReLU(X W1 + b1) W2 + b2 (Lemma 4.5)", _image, lambda cfg: _ffn(cfg.c, cfg.m),
              lambda B, x, w, cfg: _as_image(
                  B, ffn(B, _tokens(B, x["X"], cfg), w["W1"], w["b1"], w["W2"], w["b2"]), cfg),
              parameters=("hidden",)),
        _spec("attention", "D^-1 exp(Q K^T) V (Lemma 4.6)", _image, lambda cfg: _attn(cfg.c),
              lambda B, x, w, cfg: _as_image(
                  B, attention(B, _tokens(B, x["X"], cfg), w["W_Q"], w["W_K"], w["W_V"]), cfg)),
        _spec("layernorm", "(x - mu) / sqrt(sigma^2) per token (Lemma 4.7)", _image, lambda cfg: {},
              lambda B, x, w, cfg: _as_image(B, layernorm(B, _tokens(B, x["X"], cfg)), cfg)),
        _spec("flow-matching", "NN(Y_hat, F^t, t) (Lemma 4.8)", _fm_inputs, lambda cfg: _fm(cfg.c), _run_fm,
              parameters=("times",)),
        _spec("transformer", "FFN(Attn(Z)) (Def. B.9)", _image, lambda cfg: _tf(cfg.c, cfg.m),
              lambda B, x, w, cfg: _as_image(B, M.transformer(B, _tokens(B, x["X"], cfg), w), cfg),
              parameters=("hidden",)),
        _spec("flowar", "K-scale FlowAR inference (Theorem 4.9)", _flowar_inputs, _flowar_weights, _run_flowar,
              **_MODEL),
        _spec("fast-attention", "AAttC: low-rank polynomial attention (Defs. 5.1, 5.3)", _image,
              lambda cfg: _attn(cfg.c),
              lambda B, x, w, cfg: _as_image(B, fast_attention(
                  B, _tokens(B, x["X"], cfg), w["W_Q"], w["W_K"], w["W_V"], cfg.poly), cfg),
              fast_of="attention", score_bound=_attention_score_bound),
        _spec("fast-flow-matching", "NN with AAttC in place of Attn", _fm_inputs, lambda cfg: _fm(cfg.c),
              lambda B, x, w, cfg: _run_fm(B, x, w, cfg, planned_attention(cfg.poly)), parameters=("times",),
              fast_of="flow-matching"),
        _spec("fast-flowar", "FlowAR with every Attn replaced by AAttC (Def. 5.4, Theorem 5.8)",
              _flowar_inputs, _flowar_weights,
              lambda B, x, w, cfg: _run_flowar(B, x, w, cfg, planned_attention(cfg.poly)),
              fast_of="flowar", **_MODEL),
    )
}
