"""``tc0 check`` of a module: its circuit simulated on random input sets and
compared word for word with the p-bit reference, and the p-bit reference
measured against float64."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from tc0.cluster import Runner
from tc0.errors import ModelError
from tc0.models.backends import value_backend
from tc0.models.backends.stream import DEFAULT_PIECE_GATES
from tc0.models.compile import DEFAULT_MAX_GATES, build_circuit
from tc0.models.config import ModelConfig, shape_text
from tc0.models.limits import check_size
from tc0.models.module import ModuleSpec, check_seed, random_inputs
from tc0.models.prepare import fast_plan, plan_summary, prepare
from tc0.models.run import rounded, run
from tc0.models.streamed import stream_measures, stream_module
from tc0.numerics import FloatFormat
from tc0.simulator import simulate

#: most input sets of one module check
MAX_SAMPLES = 1 << 16
#: input sets simulated and compared at once (fewer when one set holds many words: ``BATCH_SCALARS``)
SAMPLE_BATCH = 4096
#: most words (inputs, outputs and input weights over the samples) of one batch
BATCH_SCALARS = 1 << 22
#: a streamed check keeps every operation's words for every sample: samples x scalar operations at most this
STREAM_WORDS = 1 << 27


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
    (uniform in [-R, R], the "cases" stream of ``seed``, one per sample), and
    compare with the p-bit reference word for word; also measure the p-bit
    reference against float64 run on the same rounded inputs and weights.
    Samples run in batches of at most ``SAMPLE_BATCH`` (and
    ``BATCH_SCALARS`` words), so memory does not grow with ``samples``
    (1..``MAX_SAMPLES``); the module must fit ``tc0.models.limits``.

    With a ``runner`` the module is streamed (DESIGN section 9) in pieces of
    at most ``piece_gates`` estimated gates instead of built whole: every
    piece is checked against its p-bit reference operation too, and the
    result adds ``pieces``, ``peak_rss_bytes``, ``workers`` and the pieces
    that mismatched (``mismatching_ops``). All samples go through the pieces
    at once: samples x scalar operations must be at most ``STREAM_WORDS``.

    ``max_abs_err`` is the largest |pbit - float64| over all outputs and
    samples; ``max_rel_err`` divides each sample's largest error by that
    sample's largest |float64| output (a normwise relative error, which stays
    meaningful where single outputs are near zero). ``warnings`` are those
    of the float64 runs (non-finite or underflowed values, a layer norm that
    cannot depend on its input: ``tc0.models.backends.float64``).
    """
    check_seed(seed)
    cfg = prepare(spec, cfg, weights)
    check_samples(spec, cfg, samples, streamed=runner is not None)
    pbit, float64_backend = value_backend("pbit", fmt), value_backend("float64")
    exact_weights = rounded(fmt, weights)
    tally = _Tally()

    def compare(cases: list[dict], circuit_words: np.ndarray) -> None:
        reference = np.stack([np.asarray(run(spec, cfg, pbit, case, weights)).reshape(-1) for case in cases])
        float64 = np.stack([float64_backend.values(run(spec, cfg, float64_backend, rounded(fmt, case),
                                                       exact_weights)).reshape(-1) for case in cases])
        tally.add(circuit_words != reference, np.abs(fmt.decode(reference) - float64), np.abs(float64).max(axis=1))

    def cases_of(first: int, stop: int) -> list[dict]:
        return [random_inputs(spec, cfg, seed, "cases", k) for k in range(first, stop)]

    if runner is None:
        measured = _whole(spec, cfg, fmt, weights, samples, cases_of, compare, weights_as_inputs, max_gates, progress)
    else:
        cases = cases_of(0, samples)
        streamed = stream_module(spec, cfg, fmt, weights, runner, cases=cases, weights_as_inputs=weights_as_inputs,
                                 piece_gates=piece_gates, progress=progress)
        measured = stream_measures(streamed)
        compare(cases, streamed.output_words)
    result = {
        "module": spec.name,
        **spec.shape(cfg),
        "p": fmt.p,
        "e": fmt.e,
        "method": fmt.method,
        "weights_as_inputs": weights_as_inputs,
        "bit_exact": not tally.mismatches and not measured.get("mismatching_ops"),
        "mismatches": tally.mismatches,
        "mismatching_samples": tally.mismatching_samples,
        "samples": samples,
        "outputs_per_sample": tally.outputs,
        "max_abs_err": tally.max_abs_err,
        "max_rel_err": tally.max_rel_err,
        **measured,
        "warnings": float64_backend.warnings,
    }
    if cfg.poly is not None:
        result.update(fast_plan(cfg))
    return result


def check_samples(spec: ModuleSpec, cfg: ModelConfig, samples: int, streamed: bool = False) -> None:
    """A ModelError naming samples unless it is in 1..MAX_SAMPLES and, for a
    streamed check, samples x the module's scalar operations is at most
    STREAM_WORDS (``cfg`` prepared; the module must fit ``tc0.models.limits``)."""
    if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= MAX_SAMPLES:
        raise ModelError(f"samples must be in 1..{MAX_SAMPLES:,}, got {samples}", parameters=("samples",))
    if not streamed:
        return
    operations = sum(check_size(spec, cfg).counts.values())
    if samples * operations > STREAM_WORDS:
        raise ModelError(
            f"a streamed check keeps every operation's words for every sample: {samples:,} samples x "
            f"{operations:,} scalar operations > {STREAM_WORDS:,} (2^27); "
            + (f"use samples <= {STREAM_WORDS // operations:,}" if operations <= STREAM_WORDS
               else "the module is too large to check streamed (tc0 measure measures it)"),
            parameters=("samples",))


class _Tally:
    """Mismatches and errors summed over batches of samples."""

    def __init__(self):
        self.mismatches = self.mismatching_samples = self.outputs = 0
        self.max_abs_err = self.max_rel_err = 0.0

    def add(self, differs: np.ndarray, errors: np.ndarray, scale: np.ndarray) -> None:
        """One batch: which output words differ, |pbit - float64| (samples, outputs), max |float64| per sample."""
        self.mismatches += int(differs.sum())
        self.mismatching_samples += int(differs.any(axis=1).sum())
        self.outputs = int(errors.shape[1])
        worst = errors.max(axis=1)
        rel = np.where(scale > 0, worst / np.where(scale > 0, scale, 1.0), worst)
        self.max_abs_err = max(self.max_abs_err, float(worst.max()))
        self.max_rel_err = max(self.max_rel_err, float(rel.max()))


def _whole(spec, cfg, fmt, weights, samples, cases_of, compare, weights_as_inputs, max_gates, progress) -> dict:
    """The whole circuit built, then simulated batch by batch (``cases_of(first,
    stop)``, each batch handed to ``compare(cases, output words)``); its measures."""
    start = time.perf_counter()
    circuit = build_circuit(
        spec, cfg, fmt, weights, weights_as_inputs=weights_as_inputs, max_gates=max_gates, progress=progress
    )
    built = time.perf_counter()
    shapes = spec.inputs(cfg)
    per_sample = len(circuit.outputs["Y"]) // fmt.width + sum(math.prod(s) for s in shapes.values())
    if weights_as_inputs:
        per_sample += sum(np.size(arr) for arr in weights.values())
    batch = max(1, min(SAMPLE_BATCH, BATCH_SCALARS // per_sample))
    simulating = 0.0
    for first in range(0, samples, batch):
        cases = cases_of(first, min(first + batch, samples))
        t0 = time.perf_counter()
        words = {name: np.stack([fmt.encode(case[name]) for case in cases]) for name in shapes}
        if weights_as_inputs:
            words.update({name: np.broadcast_to(fmt.encode(arr), (len(cases),) + np.shape(arr))
                          for name, arr in weights.items()})
        out_bits = simulate(circuit, fmt.port_bits(words))["Y"]
        simulating += time.perf_counter() - t0
        compare(cases, fmt.from_bits(out_bits.reshape(len(cases), -1, fmt.width)))
    return {"size": circuit.size, "depth": circuit.depth, "edges": circuit.edges,
            "build_seconds": round(built - start, 3), "simulate_seconds": round(simulating, 3)}


def check_summary(result: dict) -> str:
    """One line for the terminal."""
    verdict = "bit-exact" if result["bit_exact"] else f"MISMATCH in {result['mismatches']} output word(s)"
    if result.get("mismatching_ops"):
        first = result["mismatching_ops"][0]
        verdict += f", first in {first['op']} at {first['scope']} ({len(result['mismatching_ops'])} piece(s))"
    return (
        f"{result['module']} {shape_text(result)} p={result['p']} e={result['e']} ({result['method']}): "
        f"{verdict} over {result['samples']} sample(s); size {result['size']:,}, depth {result['depth']}, "
        f"edges {result['edges']:,}; p-bit vs float64: max abs err {result['max_abs_err']:.3g}, "
        f"max rel err {result['max_rel_err']:.3g}; "
        + (f"streamed in {result['pieces']:,} pieces on {result['workers']} worker(s), {result['seconds']:.1f} s, "
           f"peak memory {result['peak_rss_bytes'] / 2**30:.2f} GiB" if "pieces" in result
           else f"built in {result['build_seconds']:.1f} s")
        + (f"; {plan_summary(result)}" if "degree" in result else "")
    )
