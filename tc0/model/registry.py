"""The compilable FlowAR modules: their input and weight shapes (DESIGN
section 5 names), seeded weights, and one entry point per module."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tc0.errors import Tc0Error
from tc0.model import modules as M
from tc0.model import fast
from tc0.model.backends import Backend, Float64Backend


class ModelError(Tc0Error):
    """Bad module parameters, weights or inputs."""


@dataclass(frozen=True)
class ModelConfig:
    """Shape options shared by every module."""

    n: int
    c: int
    scales: int = 1  # K
    factor: int = 2  # a
    times: tuple[float, ...] = ()  # t_1..t_K (default 0.5 each)
    hidden: int | None = None  # FFN width m (default c)
    # fast (AAttC) modules
    delta: float = 0.01  # target error, relative to max |V_val|
    r_bound: float = 1.0  # R: bound on the input entries (random inputs are drawn in [-R, R])
    degree: int | None = None  # polynomial degree (default: the smallest meeting delta)
    strict: bool = False  # refuse inputs with entries beyond R
    poly: fast.PolyPlan | None = None  # derived by ``prepare``

    def __post_init__(self):
        for name in ("n", "c", "scales", "factor"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ModelError(f"--{name if name != 'scales' else 'scales'} must be a positive integer, got {value!r}")
        if self.factor < 2 and self.scales > 1:
            raise ModelError(f"--factor must be >= 2 with several scales, got {self.factor}")
        if self.n % self.factor ** (self.scales - 1):
            raise ModelError(f"--n {self.n} is not divisible by factor^(scales-1) = {self.factor ** (self.scales - 1)}")
        if self.times and len(self.times) != self.scales:
            raise ModelError(f"--t gives {len(self.times)} timestep(s) for {self.scales} scale(s)")
        if self.hidden is not None and self.hidden < 1:
            raise ModelError(f"--hidden must be >= 1, got {self.hidden}")
        for name in ("delta", "r_bound"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
                raise ModelError(f"--{name.replace('_', '-')} must be a positive number, got {value!r}")

    @property
    def t(self) -> tuple[float, ...]:
        return self.times or (0.5,) * self.scales

    @property
    def m(self) -> int:
        return self.hidden or self.c


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


@dataclass(frozen=True)
class ModuleSpec:
    """One compilable module."""

    name: str
    summary: str
    inputs: Callable[[ModelConfig], dict[str, tuple]]
    weights: Callable[[ModelConfig], dict[str, tuple]]
    forward: Callable  # (B, inputs, weights, cfg) -> output tensor
    multiscale: bool = False  # takes --scales
    uses_factor: bool = False  # takes --factor
    divides_n: bool = False  # n must be divisible by the factor a (down-sampling)
    fast_of: str | None = None  # fast variants: the exact module whose attentions AAttC replaces

    def configure(self, cfg: ModelConfig) -> ModelConfig:
        """``cfg`` if this module can run with it, else a ModelError."""
        if not self.multiscale and cfg.scales != 1:
            raise ModelError(f"{self.name} has one scale; --scales applies to flowar")
        if self.divides_n and cfg.n % cfg.factor:
            raise ModelError(f"{self.name}: --n {cfg.n} is not divisible by --factor {cfg.factor}")
        if not self.uses_factor and cfg.factor != 2:
            raise ModelError(f"{self.name} takes no --factor (it applies to upsample, downsample and flowar)")
        return cfg


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


def _run_flowar(B, x, w, cfg, attend=M.attention):
    noises = [x[f"F0_{i}"] for i in range(1, cfg.scales + 1)]
    return M.flowar(B, x["Z_init"], noises, list(cfg.t), w, M.Scales(cfg.n, cfg.scales, cfg.factor), attend)


def _fm_inputs(cfg):
    return {"Y_hat": (cfg.n, cfg.n, cfg.c), "F0": (cfg.n, cfg.n, cfg.c)}


def _run_fm(B, x, w, cfg, attend=M.attention):
    y_hat, noise = _tokens(B, x["Y_hat"], cfg), _tokens(B, x["F0"], cfg)
    t = cfg.t[0]
    return _as_image(B, M.flow_matching(B, y_hat, M.interpolate(B, y_hat, noise, t), t, w, attend), cfg)


def _fast(cfg):
    """AAttC with the config's plan, as the ``attend`` of a composite."""
    return functools.partial(M.fast_attention, poly=cfg.poly)


MODULES: dict[str, ModuleSpec] = {
    spec.name: spec
    for spec in (
        ModuleSpec("matmul", "Y = X W (Lemma 4.1)", _image, lambda cfg: {"W": (cfg.c, cfg.c)},
                   lambda B, x, w, cfg: _as_image(B, B.matmul(_tokens(B, x["X"], cfg), w["W"]), cfg)),
        ModuleSpec("upsample", "bicubic phi_up(X, a) (Lemma 4.2)", _image, lambda cfg: {},
                   lambda B, x, w, cfg: M.upsample(B, x["X"], cfg.factor), uses_factor=True),
        ModuleSpec("downsample", "area phi_down(X, a) (Lemma 4.3)", _image, lambda cfg: {},
                   lambda B, x, w, cfg: M.downsample(B, x["X"], cfg.factor), uses_factor=True, divides_n=True),
        ModuleSpec("mlp", "X W + b (Lemma 4.4)", _image, lambda cfg: {"W": (cfg.c, cfg.c), "b": (cfg.c,)},
                   lambda B, x, w, cfg: _as_image(B, M.mlp(B, _tokens(B, x["X"], cfg), w["W"], w["b"]), cfg)),
        ModuleSpec("ffn", "X + ReLU(X W1 + b1) W2 + b2 (Lemma 4.5)", _image, lambda cfg: _ffn(cfg.c, cfg.m),
                   lambda B, x, w, cfg: _as_image(
                       B, M.ffn(B, _tokens(B, x["X"], cfg), w["W1"], w["b1"], w["W2"], w["b2"]), cfg)),
        ModuleSpec("attention", "D^-1 exp(Q K^T) V (Lemma 4.6)", _image, lambda cfg: _attn(cfg.c),
                   lambda B, x, w, cfg: _as_image(
                       B, M.attention(B, _tokens(B, x["X"], cfg), w["W_Q"], w["W_K"], w["W_V"]), cfg)),
        ModuleSpec("layernorm", "(x - mu) / sqrt(sigma^2) per token (Lemma 4.7)", _image, lambda cfg: {},
                   lambda B, x, w, cfg: _as_image(B, M.layernorm(B, _tokens(B, x["X"], cfg)), cfg)),
        ModuleSpec("flow-matching", "NN(Y_hat, F^t, t) (Lemma 4.8)", _fm_inputs, lambda cfg: _fm(cfg.c), _run_fm),
        ModuleSpec("transformer", "FFN(Attn(Z)) (Def. B.9)", _image, lambda cfg: _tf(cfg.c, cfg.m),
                   lambda B, x, w, cfg: _as_image(B, M.transformer(B, _tokens(B, x["X"], cfg), w), cfg)),
        ModuleSpec("flowar", "K-scale FlowAR inference (Theorem 4.9)", _flowar_inputs, _flowar_weights,
                   _run_flowar, multiscale=True, uses_factor=True),
        ModuleSpec("fast-attention", "AAttC: low-rank polynomial attention (Defs. 5.1, 5.3)", _image,
                   lambda cfg: _attn(cfg.c),
                   lambda B, x, w, cfg: _as_image(B, M.fast_attention(
                       B, _tokens(B, x["X"], cfg), w["W_Q"], w["W_K"], w["W_V"], cfg.poly), cfg),
                   fast_of="attention"),
        ModuleSpec("fast-flow-matching", "NN with AAttC in place of Attn", _fm_inputs, lambda cfg: _fm(cfg.c),
                   lambda B, x, w, cfg: _run_fm(B, x, w, cfg, _fast(cfg)), fast_of="flow-matching"),
        ModuleSpec("fast-flowar", "FlowAR with every Attn replaced by AAttC (Def. 5.4, Theorem 5.8)",
                   _flowar_inputs, _flowar_weights, lambda B, x, w, cfg: _run_flowar(B, x, w, cfg, _fast(cfg)),
                   multiscale=True, uses_factor=True, fast_of="flowar"),
    )
}
#: the exact modules (the paper's definitions), in registry order
EXACT_MODULES = tuple(name for name, spec in MODULES.items() if spec.fast_of is None)
#: exact module -> its AAttC variant
FAST_VARIANT = {spec.fast_of: name for name, spec in MODULES.items() if spec.fast_of is not None}


def get_module(name: str) -> ModuleSpec:
    """The module ``name``, or a ModelError listing the known ones."""
    if name not in MODULES:
        raise ModelError(f"unknown module {name!r}; known: {', '.join(MODULES)}")
    return MODULES[name]


def random_weights(spec: ModuleSpec, cfg: ModelConfig, seed: int = 0, bound: float | None = None) -> dict:
    """Seeded weights, uniform in [-R, R]; default R = 1/sqrt(fan-in) for
    matrices (so activations stay O(1)) and 1/2 for vectors."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in spec.weights(cfg).items():
        r = bound if bound is not None else (1.0 / np.sqrt(shape[0]) if len(shape) == 2 else 0.5)
        out[name] = rng.uniform(-r, r, size=shape)
    return out


def random_inputs(spec: ModuleSpec, cfg: ModelConfig, seed=0) -> dict:
    """Seeded inputs, uniform in [-R, R] (R = ``cfg.r_bound``, default 1)."""
    rng = np.random.default_rng(seed)
    r = cfg.r_bound
    return {name: rng.uniform(-r, r, size=shape) for name, shape in spec.inputs(cfg).items()}


#: random input sets on which the exact model's scores are measured for a fast composite
CALIBRATION_SAMPLES = 8
#: the fitted range is this much wider than the largest score measured there
CALIBRATION_MARGIN = 1.25


class _ScoreRecorder(Float64Backend):
    """float64, recording the largest |argument| of exp (in FlowAR: the attention scores)."""

    largest = 0.0

    def exp(self, x):
        self.largest = max(self.largest, float(np.max(np.abs(x), initial=0.0)))
        return super().exp(x)


def score_bound(spec: ModuleSpec, cfg: ModelConfig, weights: dict) -> float:
    """The score range B AAttC is fitted on. fast-attention: the bound
    implied by |X entries| <= R and the weights (``fast.score_bound``, a
    guarantee). Composites, whose attentions read data-dependent inputs: 1.25
    times the largest score of the exact model over 8 seeded input sets in
    [-R, R] (a calibration, not a guarantee)."""
    if spec.name == "fast-attention":
        return fast.score_bound(cfg.r_bound, weights["W_Q"], weights["W_K"])
    exact = get_module(spec.fast_of)
    recorder = _ScoreRecorder()
    for k in range(CALIBRATION_SAMPLES):
        exact.forward(recorder, random_inputs(exact, cfg, seed=[1 << 30, k]), weights, cfg)
    return CALIBRATION_MARGIN * recorder.largest


def prepare(spec: ModuleSpec, cfg: ModelConfig, weights: dict) -> ModelConfig:
    """``spec.configure(cfg)``, plus, for a fast module, its polynomial plan
    (fitted to the weights' score range) unless ``cfg.poly`` is set."""
    cfg = spec.configure(cfg)
    if spec.fast_of is None or cfg.poly is not None:
        return cfg
    return replace(cfg, poly=fast.plan(score_bound(spec, cfg, weights), cfg.delta, cfg.c, cfg.degree))


def check_bound(cfg: ModelConfig, inputs: dict) -> None:
    """With ``cfg.strict``: refuse input entries beyond R."""
    if not cfg.strict:
        return
    for name, arr in inputs.items():
        worst = float(np.max(np.abs(arr), initial=0.0))
        if worst > cfg.r_bound:
            raise fast.FastAttentionError(f"input array {name!r} has an entry of magnitude {worst:.4g} > --r-bound {cfg.r_bound}")


def check_arrays(kind: str, arrays: dict, shapes: dict[str, tuple]) -> dict:
    """Validate named float arrays against the expected shapes: unknown,
    missing, mis-shaped or non-finite arrays are a ModelError naming the array."""
    unknown = sorted(set(arrays) - set(shapes))
    if unknown:
        raise ModelError(f"unknown {kind} array(s): {', '.join(unknown)} (expected {', '.join(shapes) or 'none'})")
    missing = [k for k in shapes if k not in arrays]
    if missing:
        raise ModelError(f"missing {kind} array(s): {', '.join(missing)}")
    out = {}
    for name, shape in shapes.items():
        arr = np.asarray(arrays[name])
        if arr.shape != tuple(shape):
            raise ModelError(f"{kind} array {name!r} has shape {arr.shape}, expected {tuple(shape)}")
        if not np.issubdtype(arr.dtype, np.number):
            raise ModelError(f"{kind} array {name!r} is not numeric ({arr.dtype})")
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ModelError(f"{kind} array {name!r} holds NaN or infinite values")
        out[name] = arr
    return out
