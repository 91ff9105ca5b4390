"""What a model family registers: ``ModuleSpec`` (one compilable module: its
configuration type, input and weight shapes, and its definition) and
``Family`` (a family's modules, its lemmas and the exponents its paper
implies), plus the seeded weights and inputs of a module."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from tc0.errors import ModelError
from tc0.models.config import ModelConfig
from tc0.models.lemma import Lemma


@dataclass(frozen=True)
class ModuleSpec:
    """One compilable module.

    ``inputs`` and ``weights`` map a configuration to the named shapes of the
    input and weight arrays (DESIGN section 5 names); ``forward(B, inputs,
    weights, cfg)`` is the definition, written once against the ``Backend``
    interface. ``parameters`` lists the family parameters the module reads
    beyond n and c, ``defaults`` the values it takes when one is not given,
    and ``check`` (optional) refuses configurations the module cannot run
    with. A fast variant names the exact module whose attentions AAttC
    replaces (``fast_of``) and, where its inputs reach the attention
    directly, a guaranteed bound on the scores (``score_bound(cfg,
    weights)``; otherwise the range is calibrated, ``tc0.models.prepare``).
    """

    name: str
    summary: str
    config_type: type[ModelConfig]
    inputs: Callable[[ModelConfig], dict[str, tuple]]
    weights: Callable[[ModelConfig], dict[str, tuple]]
    forward: Callable
    parameters: tuple[str, ...] = ()
    defaults: Mapping[str, object] = field(default_factory=dict)
    check: Callable[[ModelConfig], None] | None = None
    fast_of: str | None = None
    score_bound: Callable[[ModelConfig, dict], float] | None = None

    def shape(self, cfg: ModelConfig) -> dict:
        """n, c and the shape parameters of ``cfg`` this module takes (``ModelConfig.shape``)."""
        taken = set(self.parameters) | ({"sizes"} if "scales" in self.parameters else set())
        return {k: v for k, v in cfg.shape().items() if k in ("n", "c") or k in taken}

    def configure(self, cfg: ModelConfig) -> ModelConfig:
        """``cfg`` if this module can run with it, else a ModelError."""
        if not isinstance(cfg, self.config_type):
            raise ModelError(f"{self.name} takes a {self.config_type.__name__}, not a {type(cfg).__name__}")
        for f in dataclasses.fields(cfg):
            exclusive = f.name in cfg.exclusive_parameters and f.name not in self.parameters
            if exclusive and getattr(cfg, f.name) != f.default:
                raise ModelError(f"{self.name} takes no {f.name}", parameters=(f.name,))
        if self.check is not None:
            self.check(cfg)
        return cfg


def make_config(spec: ModuleSpec, **given) -> ModelConfig:
    """The module's configuration from named parameters (None: not given; the
    module's ``defaults``, then the configuration's, apply). A parameter the
    module's configuration does not have, or AAttC options for an exact
    module, are a ModelError naming it."""
    names = {f.name for f in dataclasses.fields(spec.config_type) if f.name != "poly"}
    given = {k: v for k, v in given.items() if v is not None}
    for name in given:
        if name not in names:
            raise ModelError(f"{spec.name} takes no {name}", parameters=(name,))
    fast_options = [k for k in ("delta", "degree") if k in given]
    if spec.fast_of is None and fast_options:
        raise ModelError(f"delta/degree apply to the fast modules, not to {spec.name}", parameters=("delta", "degree"))
    return spec.configure(spec.config_type(**{**spec.defaults, **given}))


@dataclass(frozen=True)
class Family:
    """A model family: its modules (registry order), the depth lemmas per
    module, the size exponent in n its paper's runtime implies, and the
    ``tc0 report`` defaults that differ between families (``n_values``,
    ``scales``, ``max_stream_gates``)."""

    name: str
    title: str
    modules: Mapping[str, ModuleSpec]
    lemmas: Mapping[str, Lemma]
    paper_exponents: Mapping[str, int]
    report_defaults: Mapping[str, object] = field(default_factory=dict)


#: what seeded random arrays are drawn for; under one seed each purpose has its own random stream
STREAMS = ("weights", "inputs", "cases", "calibration")
#: seeds are integers in 0..MAX_SEED
MAX_SEED = 2**63 - 1


def check_seed(seed, name: str = "seed") -> int:
    """``seed`` as an int, or a ModelError naming ``name`` unless it is an integer in 0..2^63-1."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise ModelError(f"{name} must be an integer in 0..2^63-1, got {seed!r}", parameters=(name,))
    return int(seed)


def seeded_stream(seed: int, purpose: str, sample: int | None = None) -> np.random.Generator:
    """The random generator for ``purpose`` (one of ``STREAMS``; and ``sample``)
    under ``seed``: numpy's ``SeedSequence(seed)`` with spawn key (the
    purpose's index[, sample]). Different purposes or samples draw
    independent streams; the same seed, purpose and sample, the same one."""
    key = (STREAMS.index(purpose),) + (() if sample is None else (sample,))
    return np.random.default_rng(np.random.SeedSequence(check_seed(seed), spawn_key=key))


def random_weights(spec: ModuleSpec, cfg: ModelConfig, seed: int = 0, bound: float | None = None) -> dict:
    """Seeded weights (the "weights" stream), uniform in [-R, R]; R =
    ``bound`` (positive, finite), default 1/sqrt(fan-in) for matrices and
    convolution kernels (fan-in: the product of all axes but the last, so
    activations stay O(1)) and 1/2 for vectors."""
    if bound is not None and not (isinstance(bound, (int, float)) and np.isfinite(bound) and bound > 0):
        raise ModelError(f"bound must be a positive finite number, got {bound}", parameters=("bound",))
    rng = seeded_stream(seed, "weights")
    out = {}
    for name, shape in spec.weights(cfg).items():
        r = bound if bound is not None else (1.0 / np.sqrt(np.prod(shape[:-1])) if len(shape) >= 2 else 0.5)
        out[name] = rng.uniform(-r, r, size=shape)
    return out


def weights_under(weights: dict, prefix: str) -> dict:
    """The weights named ``prefix``+name, keyed by name (a part's weights within a composite's)."""
    return {k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)}


def random_inputs(spec: ModuleSpec, cfg: ModelConfig, seed: int = 0, purpose: str = "inputs",
                  sample: int | None = None) -> dict:
    """Seeded inputs, uniform in [-R, R] (R = ``cfg.r_bound``, default 1),
    from the stream of ``purpose`` ("inputs": ``tc0 inputs``; "cases": the
    input sets of a check, one per ``sample``; "calibration")."""
    rng = seeded_stream(seed, purpose, sample)
    r = cfg.r_bound
    return {name: rng.uniform(-r, r, size=shape) for name, shape in spec.inputs(cfg).items()}
