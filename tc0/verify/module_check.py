"""``tc0 check`` of a module: its circuit simulated on random input sets and
compared word for word with the p-bit reference, and the p-bit reference
measured against float64."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from tc0.cluster import Runner
from tc0.errors import ModelError
from tc0.models.backends import value_backend
from tc0.models.backends.stream import DEFAULT_PIECE_GATES
from tc0.models.compile import DEFAULT_MAX_GATES, build_circuit
from tc0.models.config import ModelConfig
from tc0.models.module import ModuleSpec, random_inputs
from tc0.models.prepare import fast_plan, plan_summary, prepare
from tc0.models.run import rounded, run
from tc0.models.streamed import stream_measures, stream_module
from tc0.numerics import FloatFormat
from tc0.simulator import simulate


def check_module(
    spec: ModuleSpec,
    cfg: ModelConfig,
    fmt: FloatFormat,
    weights: dict,
    *,
    samples: int = 8,
    seed: int = 0,
    weights_as_inputs: bool = False,
    max_gates: int = DEFAULT_MAX_GATES,
    progress: Callable[[int, int], None] | None = None,
    runner: Runner | None = None,
    piece_gates: int = DEFAULT_PIECE_GATES,
) -> dict:
    """Compile the module, simulate it on ``samples`` random input sets
    (uniform in [-1, 1], seeded), and compare with the p-bit reference word
    for word; also measure the p-bit reference against float64 run on the
    same rounded inputs and weights.

    With a ``runner`` the module is streamed (DESIGN section 9) in pieces of
    at most ``piece_gates`` estimated gates instead of built whole: every
    piece is checked against its p-bit reference operation too, and the
    result adds ``pieces``, ``peak_rss_bytes``, ``workers`` and the pieces
    that mismatched (``mismatching_ops``).

    ``max_abs_err`` is the largest |pbit - float64| over all outputs and
    samples; ``max_rel_err`` divides each sample's largest error by that
    sample's largest |float64| output (a normwise relative error, which stays
    meaningful where single outputs are near zero).
    """
    if samples < 1:
        raise ModelError(f"samples must be >= 1, got {samples}", parameters=("samples",))
    cfg = prepare(spec, cfg, weights)
    cases = [random_inputs(spec, cfg, seed=[seed, k]) for k in range(samples)]
    if runner is None:
        circuit_words, measured = _whole(spec, cfg, fmt, weights, cases, weights_as_inputs, max_gates, progress)
    else:
        streamed = stream_module(spec, cfg, fmt, weights, runner, cases=cases, weights_as_inputs=weights_as_inputs,
                                 piece_gates=piece_gates, progress=progress)
        circuit_words, measured = streamed.output_words, stream_measures(streamed)
    pbit, float64_backend = value_backend("pbit", fmt), value_backend("float64")
    reference = np.stack([np.asarray(run(spec, cfg, pbit, case, weights)).reshape(-1) for case in cases])
    exact_weights = rounded(fmt, weights)
    float64 = np.stack([float64_backend.values(run(spec, cfg, float64_backend, rounded(fmt, case), exact_weights))
                        .reshape(-1) for case in cases])
    differs = circuit_words != reference
    errors = np.abs(fmt.decode(reference) - float64)
    scale = np.abs(float64).max(axis=1)
    rel = np.where(scale > 0, errors.max(axis=1) / np.where(scale > 0, scale, 1.0), errors.max(axis=1))
    result = {
        "module": spec.name,
        "n": cfg.n,
        "c": cfg.c,
        "scales": cfg.scales,
        "factor": cfg.factor,
        "p": fmt.p,
        "e": fmt.e,
        "weights_as_inputs": weights_as_inputs,
        "bit_exact": not differs.any() and not measured.get("mismatching_ops"),
        "mismatches": int(differs.sum()),
        "mismatching_samples": int(differs.any(axis=1).sum()),
        "samples": samples,
        "outputs_per_sample": int(reference.shape[1]),
        "max_abs_err": float(errors.max()),
        "max_rel_err": float(rel.max()),
        **measured,
    }
    if cfg.poly is not None:
        result.update(fast_plan(cfg))
    return result


def _whole(spec, cfg, fmt, weights, cases, weights_as_inputs, max_gates, progress) -> tuple[np.ndarray, dict]:
    """The whole circuit built and simulated: its output words (samples, outputs) and measures."""
    start = time.perf_counter()
    circuit = build_circuit(
        spec, cfg, fmt, weights, weights_as_inputs=weights_as_inputs, max_gates=max_gates, progress=progress
    )
    built = time.perf_counter()
    samples = len(cases)
    words = {name: np.stack([fmt.encode(case[name]) for case in cases]) for name in spec.inputs(cfg)}
    if weights_as_inputs:
        words.update({name: np.broadcast_to(fmt.encode(arr), (samples,) + np.shape(arr)) for name, arr in weights.items()})
    out_bits = simulate(circuit, fmt.port_bits(words))["Y"]
    simulated = time.perf_counter()
    measured = {"size": circuit.size, "depth": circuit.depth, "edges": circuit.edges,
                "build_seconds": round(built - start, 3), "simulate_seconds": round(simulated - built, 3)}
    return fmt.from_bits(out_bits.reshape(samples, -1, fmt.width)), measured


def check_summary(result: dict) -> str:
    """One line for the terminal."""
    verdict = "bit-exact" if result["bit_exact"] else f"MISMATCH in {result['mismatches']} output word(s)"
    if result.get("mismatching_ops"):
        first = result["mismatching_ops"][0]
        verdict += f", first in {first['op']} at {first['scope']} ({len(result['mismatching_ops'])} piece(s))"
    return (
        f"{result['module']} n={result['n']} c={result['c']} K={result['scales']} p={result['p']} e={result['e']}: "
        f"{verdict} over {result['samples']} sample(s); size {result['size']:,}, depth {result['depth']}, "
        f"edges {result['edges']:,}; p-bit vs float64: max abs err {result['max_abs_err']:.3g}, "
        f"max rel err {result['max_rel_err']:.3g}; "
        + (f"streamed in {result['pieces']:,} pieces on {result['workers']} worker(s), {result['seconds']:.1f} s, "
           f"peak memory {result['peak_rss_bytes'] / 2**30:.2f} GiB" if "pieces" in result
           else f"built in {result['build_seconds']:.1f} s")
        + (f"; {plan_summary(result)}" if "degree" in result else "")
    )
