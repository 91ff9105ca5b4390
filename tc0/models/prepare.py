"""A module's configuration made ready to run: checked against the module,
and for a fast (AAttC) module its polynomial plan fitted to the range of its
attention scores. Also the refusal of inputs beyond that range."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tc0.errors import FastAttentionError
from tc0.models.backends import Float64Backend
from tc0.models.config import ModelConfig
from tc0.models.layers import aattc_plan
from tc0.models.limits import check_size
from tc0.models.module import ModuleSpec, random_inputs
from tc0.models.registry import get_module

#: random input sets on which the exact model's scores are measured for a fast composite
CALIBRATION_SAMPLES = 8
#: the fitted range is this much wider than the largest score measured there
CALIBRATION_MARGIN = 1.25


class _ScoreRecorder(Float64Backend):
    """float64, recording the largest |argument| of exp (the attention scores)."""

    largest = 0.0

    def exp(self, x):
        self.largest = max(self.largest, float(np.max(np.abs(x), initial=0.0)))
        return super().exp(x)


def score_bound(spec: ModuleSpec, cfg: ModelConfig, weights: dict) -> float:
    """The score range B AAttC is fitted on: the module's own guaranteed bound
    where it has one (fast-attention: implied by |X entries| <= R and the
    weights). Composites, whose attentions read data-dependent inputs: 1.25
    times the largest score of the exact model over 8 seeded input sets in
    [-R, R] (the "calibration" stream; a calibration, not a guarantee)."""
    if spec.score_bound is not None:
        return spec.score_bound(cfg, weights)
    exact = get_module(spec.fast_of)
    check_size(exact, cfg)
    return calibrated_bound(exact, cfg, weights)


def calibrated_bound(exact: ModuleSpec, cfg: ModelConfig, weights: dict) -> float:
    """1.25 times the largest attention score of the exact module over 8
    seeded input sets in [-R, R] ("calibration" stream), on float64. The
    size is the caller's to check (``score_bound`` does)."""
    recorder = _ScoreRecorder()
    for k in range(CALIBRATION_SAMPLES):
        exact.forward(recorder, random_inputs(exact, cfg, 0, "calibration", k), weights, cfg)
    return CALIBRATION_MARGIN * recorder.largest


def prepare(spec: ModuleSpec, cfg: ModelConfig, weights: dict) -> ModelConfig:
    """``spec.configure(cfg)``, plus, for a fast module, its polynomial plan
    (fitted to the weights' score range) unless ``cfg.poly`` is set."""
    cfg = spec.configure(cfg)
    if spec.fast_of is None or cfg.poly is not None:
        return cfg
    return replace(cfg, poly=aattc_plan.plan(score_bound(spec, cfg, weights), cfg.delta, cfg.c, cfg.degree))


def check_bound(cfg: ModelConfig, inputs: dict) -> None:
    """With ``cfg.strict``: refuse input entries beyond R."""
    if not cfg.strict:
        return
    for name, arr in inputs.items():
        worst = float(np.max(np.abs(arr), initial=0.0))
        if worst > cfg.r_bound:
            raise FastAttentionError(f"input array {name!r} has an entry of magnitude {worst:.4g} > r_bound "
                                     f"{cfg.r_bound}", parameters=("r_bound",))


def fast_plan(cfg: ModelConfig) -> dict:
    """The AAttC plan of a prepared fast-module config, JSON-ready."""
    return {"degree": cfg.poly.degree, "rank": cfg.poly.rank(cfg.c), "score_bound": cfg.poly.score_bound,
            "delta": cfg.poly.delta, "fit_rel_error": cfg.poly.rel_error}


def plan_summary(plan: dict) -> str:
    """``fast_plan``'s dict as a phrase."""
    return (f"AAttC degree {plan['degree']}, rank {plan['rank']}, scores fitted on +-{plan['score_bound']:.3g} "
            f"(exp fit rel. error {plan['fit_rel_error']:.2g}, delta {plan['delta']:g})")
