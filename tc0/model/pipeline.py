"""Compile, run, estimate and check FlowAR modules: the glue between the
module definitions (``registry``), the three backends, and the simulator.

Circuit ports of a module: one input port per input array (DESIGN section 5
names, in the module's order), then, with ``weights_as_inputs``, one per
weight array (named as in the weights file, e.g. ``scale1.tf.attn.W_Q``).
Each port holds its tensor's words row-major, word j at bits
``j*width .. j*width + width - 1`` (LSB first). The single output port ``Y``
holds the output tensor the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tc0.builder import Builder
from tc0.circuit import Circuit
from tc0.floats import FloatFormat
from tc0.gadgets.catalog import gadget_stats
from tc0.model.backends import CircuitBackend, CostBackend, Float64Backend, PbitBackend
from tc0.model.registry import ModelConfig, ModelError, ModuleSpec, check_bound, prepare, random_inputs, random_weights
from tc0.simulator import simulate

#: default refusal threshold of ``build_circuit`` (about 8 GB of builder memory)
DEFAULT_MAX_GATES = 40_000_000
#: sums with more terms than this are priced by extrapolating a power law (see ``gadget_cost``)
_LARGEST_PRICED_SUM = 256


# ---------------------------------------------------------------- estimates
#: the catalog gadget behind each scalar operation of the backends
_GADGET_OF = {op: f"float:{op}" for op in ("add", "sub", "mul", "div", "exp", "sqrt", "relu", "sum")}


def gadget_cost(p: int, e: int, op: str, m: int = 0) -> tuple[int, int]:
    """(gates, edges) of one float gadget ``op`` on variable inputs (sums: of m terms).

    Sums of more than 256 terms are extrapolated from m = 128 and 256 with a
    power law (their size grows about linearly in m there)."""
    if op == "sum" and m > _LARGEST_PRICED_SUM:
        big, half = gadget_cost(p, e, op, _LARGEST_PRICED_SUM), gadget_cost(p, e, op, _LARGEST_PRICED_SUM // 2)
        return tuple(int(b * (m / _LARGEST_PRICED_SUM) ** np.log2(b / h)) for b, h in zip(big, half))
    gates, edges, _ = gadget_stats(_GADGET_OF[op], None, m if op == "sum" else None, p, e)
    return gates, edges


@dataclass(frozen=True)
class Estimate:
    """Scalar operation counts of a module and the gates they would take."""

    counts: dict  # (op, m) -> number of scalar operations (m: terms of a sum, else 0)
    prices: dict  # (op, m) -> (gates, edges) of one such operation on variable inputs

    @property
    def gates(self) -> int:
        """Upper bound on the circuit's size."""
        return sum(count * self.prices[key][0] for key, count in self.counts.items())

    @property
    def edges(self) -> int:
        """Upper bound on the circuit's edges (fan-in entries)."""
        return sum(count * self.prices[key][1] for key, count in self.counts.items())

    @property
    def largest_sum(self) -> int:
        """Most terms of any iterated sum the module performs (its own m for d_⊕); 0 if none."""
        return max((m for op, m in self.counts if op == "sum"), default=0)

    def by_op(self) -> dict[str, int]:
        """Estimated gates per operation kind."""
        out: dict[str, int] = {}
        for (op, m), count in self.counts.items():
            out[op] = out.get(op, 0) + count * self.prices[(op, m)][0]
        return out


def estimate(spec: ModuleSpec, cfg: ModelConfig, fmt: FloatFormat, weights: dict | None = None) -> Estimate:
    """Count the module's scalar float operations (no gates built) and price
    each by its gadget's size: an upper bound on the circuit's size, since
    constant operands fold away in the real circuit. ``weights`` matter only
    to fast modules (their polynomial degree); default: seeded ones."""
    cfg = prepare(spec, cfg, random_weights(spec, cfg) if weights is None else weights)
    B = CostBackend()
    inputs = {name: B.constant(np.zeros(shape)) for name, shape in spec.inputs(cfg).items()}
    weights = {name: B.constant(np.zeros(shape)) for name, shape in spec.weights(cfg).items()}
    spec.forward(B, inputs, weights, cfg)
    return Estimate(dict(B.counts), {key: gadget_cost(fmt.p, fmt.e, *key) for key in B.counts})


# ---------------------------------------------------------------- circuits
def build_circuit(
    spec: ModuleSpec,
    cfg: ModelConfig,
    fmt: FloatFormat,
    weights: dict,
    *,
    weights_as_inputs: bool = False,
    max_gates: int = DEFAULT_MAX_GATES,
    progress: Callable[[int, int], None] | None = None,
) -> Circuit:
    """The module's circuit (ports: see the module docstring).

    Refuses (``ModelError``) when the estimate exceeds ``max_gates`` and stops
    as soon as the builder holds more than ``max_gates`` nodes. ``progress``
    is called with the builder's node count and the estimated size after
    every float operation.
    """
    if max_gates < 1:
        raise ModelError(f"--max-gates must be >= 1, got {max_gates}")
    cfg = prepare(spec, cfg, weights)
    est = estimate(spec, cfg, fmt, weights)
    estimated_gates = est.gates
    if estimated_gates > max_gates:
        raise ModelError(
            f"{spec.name} at n={cfg.n} c={cfg.c} p={fmt.p} is estimated at {estimated_gates:,} gates "
            f"(an upper bound) > --max-gates {max_gates:,}; choose smaller sizes or raise --max-gates"
        )

    def after_op(b: Builder) -> None:
        if b.n_nodes > max_gates:
            raise ModelError(
                f"{spec.name} passed --max-gates {max_gates:,} while building; "
                "choose smaller sizes or raise --max-gates"
            )
        if progress is not None:
            progress(b.n_nodes, estimated_gates)

    b = Builder(expected_gates=estimated_gates, expected_edges=est.edges)
    B = CircuitBackend(b, fmt, after_op)
    x = {name: B.input(name, shape) for name, shape in spec.inputs(cfg).items()}
    if weights_as_inputs:
        w = {name: B.input(name, np.shape(arr)) for name, arr in weights.items()}
    else:
        w = {name: B.constant(arr) for name, arr in weights.items()}
    with b.scope(spec.name):
        y = spec.forward(B, x, w, cfg)
    b.output("Y", y)
    return b.build()


# ---------------------------------------------------------------- backends
def run_float64(spec: ModuleSpec, cfg: ModelConfig, inputs: dict, weights: dict) -> np.ndarray:
    """The module on float64 numpy."""
    cfg = prepare(spec, cfg, weights)
    check_bound(cfg, inputs)
    return np.asarray(spec.forward(Float64Backend(), inputs, weights, cfg), dtype=np.float64)


def run_pbit(spec: ModuleSpec, cfg: ModelConfig, fmt: FloatFormat, inputs: dict, weights: dict) -> np.ndarray:
    """The module on the p-bit reference; inputs and weights are float64
    values, rounded to the format first. Returns words."""
    cfg = prepare(spec, cfg, weights)
    check_bound(cfg, inputs)
    encode = {name: fmt.encode(arr) for name, arr in inputs.items()}
    enc_w = {name: fmt.encode(arr) for name, arr in weights.items()}
    return np.asarray(spec.forward(PbitBackend(fmt), encode, enc_w, cfg))


def rounded(fmt: FloatFormat, arrays: dict) -> dict:
    """The arrays rounded to the format, as float64 values."""
    return {name: fmt.decode(fmt.encode(arr)) for name, arr in arrays.items()}


# ---------------------------------------------------------------- check
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
) -> dict:
    """Compile the module, simulate it on ``samples`` random input sets
    (uniform in [-1, 1], seeded), and compare with the p-bit reference word
    for word; also measure the p-bit reference against float64 run on the
    same rounded inputs and weights.

    ``max_abs_err`` is the largest |pbit - float64| over all outputs and
    samples; ``max_rel_err`` divides each sample's largest error by that
    sample's largest |float64| output (a normwise relative error, which stays
    meaningful where single outputs are near zero).
    """
    if samples < 1:
        raise ModelError(f"--samples must be >= 1, got {samples}")
    cfg = prepare(spec, cfg, weights)
    start = time.perf_counter()
    circuit = build_circuit(
        spec, cfg, fmt, weights, weights_as_inputs=weights_as_inputs, max_gates=max_gates, progress=progress
    )
    built = time.perf_counter()
    cases = [random_inputs(spec, cfg, seed=[seed, k]) for k in range(samples)]
    words = {name: np.stack([fmt.encode(case[name]) for case in cases]) for name in spec.inputs(cfg)}
    if weights_as_inputs:
        words.update({name: np.broadcast_to(fmt.encode(arr), (samples,) + np.shape(arr)) for name, arr in weights.items()})
    out_bits = simulate(circuit, fmt.port_bits(words))["Y"]
    simulated = time.perf_counter()
    circuit_words = fmt.from_bits(out_bits.reshape(samples, -1, fmt.width))
    reference = np.stack([run_pbit(spec, cfg, fmt, case, weights).reshape(-1) for case in cases])
    exact_weights = rounded(fmt, weights)
    float64 = np.stack([run_float64(spec, cfg, rounded(fmt, case), exact_weights).reshape(-1) for case in cases])
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
        "bit_exact": not differs.any(),
        "mismatches": int(differs.sum()),
        "mismatching_samples": int(differs.any(axis=1).sum()),
        "samples": samples,
        "outputs_per_sample": int(reference.shape[1]),
        "max_abs_err": float(errors.max()),
        "max_rel_err": float(rel.max()),
        "size": circuit.size,
        "depth": circuit.depth,
        "edges": circuit.edges,
        "build_seconds": round(built - start, 3),
        "simulate_seconds": round(simulated - built, 3),
    }
    if cfg.poly is not None:
        result.update(fast_plan(cfg))
    return result


def fast_plan(cfg: ModelConfig) -> dict:
    """The AAttC plan of a prepared fast-module config, JSON-ready."""
    return {"degree": cfg.poly.degree, "rank": cfg.poly.rank(cfg.c), "score_bound": cfg.poly.score_bound,
            "delta": cfg.poly.delta, "fit_rel_error": cfg.poly.rel_error}


def plan_summary(plan: dict) -> str:
    """``fast_plan``'s dict as a phrase."""
    return (f"AAttC degree {plan['degree']}, rank {plan['rank']}, scores fitted on +-{plan['score_bound']:.3g} "
            f"(exp fit rel. error {plan['fit_rel_error']:.2g}, delta {plan['delta']:g})")


def check_summary(result: dict) -> str:
    """One line for the terminal."""
    verdict = "bit-exact" if result["bit_exact"] else f"MISMATCH in {result['mismatches']} output word(s)"
    return (
        f"{result['module']} n={result['n']} c={result['c']} K={result['scales']} p={result['p']} e={result['e']}: "
        f"{verdict} over {result['samples']} sample(s); size {result['size']:,}, depth {result['depth']}, "
        f"edges {result['edges']:,}; p-bit vs float64: max abs err {result['max_abs_err']:.3g}, "
        f"max rel err {result['max_rel_err']:.3g}; built in {result['build_seconds']:.1f} s"
        + (f"; {plan_summary(result)}" if "degree" in result else "")
    )
