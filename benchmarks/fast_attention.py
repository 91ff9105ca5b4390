"""Exact against fast (AAttC) attention and FlowAR over the image side n.

Float64 wall time, error against exact and circuit size, with fitted exponents.

Run: ``python benchmarks/fast_attention.py`` (``--quick`` for a short run,
``--help`` for options). Setup (DESIGN section 4, last item;
``tc0/models/layers/aattc_plan.py``):

* n = 4 .. 64 (N = n^2 tokens), c = max(2, ceil(log2 n)) channels (``--c``
  fixes c), seeded weights (``registry.random_weights``, seed 0, uniform in
  +-1/sqrt(c)), inputs seed 1, target error ``--delta``.
* attention / fast-attention: the input bound R is chosen per n so that the
  guaranteed score bound B = R^2 sum_l colsum|W_Q|_l colsum|W_K|_l equals
  ``--score-bound`` (default 1), i.e. R = sqrt(B / B at R = 1). The plan's
  degree g is then the same at every n and the rank r = C(c + g, g) grows
  only through c. Check: |fast - exact| <= delta max|V_val|, V_val = X W_V.
* flowar / fast-flowar (K = 2): inputs in [-1, 1]. Their attentions read
  layer-normed or computed activations, so R does not bound the scores;
  instead W_Q and W_K of every attention are scaled by one factor so that the
  calibrated B (1.25 x the largest exact score over 8 seeded input sets: a
  calibration, not a guarantee) is ``--score-bound``. ``--keep-weights``
  uses the seeded weights as they are (B then grows with c). No error bound
  is guaranteed for the composite; the error is reported.
* times: best of ``--repeats`` calls (one if a call takes over 5 s) of
  ``tc0.models.run.run`` on the float64 backend with the prepared config, ``time.perf_counter``;
  the polynomial fit and, for flowar, the calibrations (for the W_Q, W_K
  scale and for the plan) are timed apart as "plan s".
* circuit sizes: ``tc0.models.estimate.estimate`` (scalar float operations x gadget
  sizes, no gates built; an upper bound, since constant operands fold away;
  long sums are priced by a power-law extrapolation, see
  ``estimate.gadget_cost``), and real circuits built at n = 2, 4 (c = 2) to
  show how close it is.
* exponents: least-squares slope of log(value) against log(n) over
  n >= ``--fit-from``; "k" columns: the slope from the previous n.

Results go to stdout (Markdown tables) and ``benchmarks/out/fast_attention.json``
(``fast_attention-quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# sibling benchmark scripts (benchmarks/machine.py, simulate.py)
from simulate import machine, time_call

from tc0.numerics import FloatFormat
from tc0.report.sweeps import fitted_exponent
from tc0.models.backends import Float64Backend
from tc0.models.compile import build_circuit
from tc0.models.estimate import estimate
from tc0.models.flowar.config import FlowARConfig
from tc0.models.layers import aattc_plan
from tc0.models.module import random_inputs, random_weights
from tc0.models.prepare import fast_plan, prepare, score_bound
from tc0.models.registry import get_module
from tc0.models.run import run

OUT = Path(__file__).resolve().parent / "out"
ATTENTION = get_module("attention"), get_module("fast-attention")
FLOWAR = get_module("flowar"), get_module("fast-flowar")


def channels(n: int, fixed: int | None) -> int:
    """c = max(2, ceil(log2 n)) unless fixed."""
    return fixed or max(2, math.ceil(math.log2(n)))



def _float64(spec, cfg, x, w):
    """The module on the float64 backend."""
    return np.asarray(run(spec, cfg, Float64Backend(), x, w))


def attention_setup(n: int, c: int, args) -> tuple[FlowARConfig, dict]:
    """Config (R set so that B = --score-bound) and seeded weights of (fast-)attention."""
    w = random_weights(ATTENTION[0], FlowARConfig(n=n, c=c), seed=0)
    r_bound = math.sqrt(args.score_bound / aattc_plan.score_bound(1.0, w["W_Q"], w["W_K"]))
    return FlowARConfig(n=n, c=c, delta=args.delta, r_bound=r_bound), w


def flowar_setup(n: int, c: int, args) -> tuple[FlowARConfig, dict, float]:
    """Config, weights (W_Q, W_K scaled so that the calibrated B = --score-bound
    unless --keep-weights) and the scale factor of (fast-)flowar."""
    cfg = FlowARConfig(n=n, c=c, scales=2, delta=args.delta)
    w = random_weights(FLOWAR[1], cfg, seed=0)
    if args.keep_weights:
        return cfg, w, 1.0
    scale = math.sqrt(args.score_bound / score_bound(FLOWAR[1], cfg, w))
    return cfg, {k: v * scale if k.endswith(("W_Q", "W_K")) else v for k, v in w.items()}, scale


def compare(specs, cfg: FlowARConfig, w: dict, repeats: int) -> dict:
    """Plan, time and compare the exact and the fast module on one seeded input set."""
    exact, fast_spec = specs
    t = time.perf_counter()
    fcfg = prepare(fast_spec, cfg, w)
    plan_s = time.perf_counter() - t
    ecfg = prepare(exact, cfg, w)
    x = random_inputs(fast_spec, cfg, seed=1)
    y_exact, y_fast = _float64(exact, ecfg, x, w), _float64(fast_spec, fcfg, x, w)
    return {
        "n": cfg.n, "c": cfg.c, "tokens": cfg.n * cfg.n, "r_bound": cfg.r_bound, **fast_plan(fcfg),
        "plan_s": plan_s,
        "exact_s": time_call(lambda: _float64(exact, ecfg, x, w), math.inf, repeats),
        "fast_s": time_call(lambda: _float64(fast_spec, fcfg, x, w), math.inf, repeats),
        "linf_error": float(np.max(np.abs(y_fast - y_exact))),
        "max_abs_exact": float(np.max(np.abs(y_exact))),
        "inputs": x,
    }


def attention_rows(ns, args) -> list[dict]:
    """Exact vs fast attention in float64, with the delta max|V_val| check."""
    rows = []
    for n in ns:
        cfg, w = attention_setup(n, channels(n, args.c), args)
        row = compare(ATTENTION, cfg, w, args.repeats)
        v_val = row.pop("inputs")["X"].reshape(-1, cfg.c) @ w["W_V"]
        row["error_bound"] = args.delta * float(np.max(np.abs(v_val)))
        row["within_bound"] = row["linf_error"] <= row["error_bound"]
        rows.append(row)
        print(f"  attention n={n}: exact {row['exact_s']:.3g} s, fast {row['fast_s']:.3g} s", flush=True)
    return rows


def flowar_rows(ns, args) -> list[dict]:
    """Exact vs fast FlowAR (K = 2) in float64; points predicted to exceed the budget are skipped."""
    rows, last = [], None
    for n in ns:
        c = channels(n, args.c)
        if n % 2:
            rows.append({"n": n, "c": c, "skipped": "n must be even for K = 2"})
            continue
        if last is not None and last["exact_s"] * (n / last["n"]) ** 4 > args.flowar_budget:
            rows.append({"n": n, "c": c, "skipped": f"exact run predicted over --flowar-budget {args.flowar_budget:g} s"})
            continue
        t = time.perf_counter()
        cfg, w, scale = flowar_setup(n, c, args)
        setup_s = time.perf_counter() - t
        row = compare(FLOWAR, cfg, w, args.repeats)
        del row["inputs"]
        row.update(qk_scale=scale, plan_s=row["plan_s"] + setup_s)
        rows.append(row)
        last = row
        print(f"  flowar n={n}: exact {row['exact_s']:.3g} s, fast {row['fast_s']:.3g} s", flush=True)
    return rows


def size_rows(ns, fmt: FloatFormat, args) -> list[dict]:
    """Estimated circuit sizes (upper bounds) of attention and fast-attention."""
    rows = []
    for n in ns:
        cfg, w = attention_setup(n, channels(n, args.c), args)
        fcfg = prepare(ATTENTION[1], cfg, w)
        rows.append({"n": n, "c": cfg.c, "tokens": n * n, **fast_plan(fcfg),
                     "exact_gates": estimate(ATTENTION[0], cfg, fmt, w).gates,
                     "fast_gates": estimate(ATTENTION[1], fcfg, fmt, w).gates})
    return rows


def built_rows(ns, fmt: FloatFormat, args) -> list[dict]:
    """Real circuits of attention and fast-attention at c = 2, against their estimates."""
    rows = []
    for n in ns:
        cfg, w = attention_setup(n, 2, args)
        for spec in ATTENTION:
            mcfg = prepare(spec, cfg, w)
            t = time.perf_counter()
            circuit = build_circuit(spec, mcfg, fmt, w)
            rows.append({"module": spec.name, "n": n, "c": 2, "size": circuit.size, "depth": circuit.depth,
                         "estimate": estimate(spec, mcfg, fmt, w).gates, "build_s": time.perf_counter() - t})
            print(f"  built {spec.name} n={n}: {circuit.size:,} gates", flush=True)
            del circuit
    return rows


# --------------------------------------------------------------------- report
def fit(rows, key: str, fit_from: int) -> dict:
    """Fitted exponent of ``key`` in n over the measured rows with n >= fit_from."""
    pts = [(r["n"], r[key]) for r in rows if "skipped" not in r and r["n"] >= fit_from]
    return {"exponent": fitted_exponent(*zip(*pts)) if len(pts) > 1 else float("nan"), "n": [n for n, _ in pts]}


def local_slopes(rows, key: str) -> list[str]:
    """Per row: slope of log(key) against log(n) from the previous measured row."""
    out, prev = [], None
    for r in rows:
        if "skipped" in r:
            out.append("—")
            continue
        out.append("—" if prev is None else f"{math.log(r[key] / prev[key]) / math.log(r['n'] / prev['n']):.2f}")
        prev = r
    return out


def table(headers: list[str], rows: list[list]) -> None:
    """A Markdown table, first column left-aligned."""
    print("| " + " | ".join(headers) + " |")
    print("|---|" + "---:|" * (len(headers) - 1))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")
    print()


def plan_cells(r: dict) -> list:
    return [f"{r['score_bound']:.3g}", r["degree"], f"{r['rank']:,}"]


def timing_table(rows: list[dict], extra_headers: list[str], extra) -> None:
    """Exact vs fast times with local slopes, plan, and the per-table extra columns."""
    k_exact, k_fast = local_slopes(rows, "exact_s"), local_slopes(rows, "fast_s")
    body = []
    for r, ke, kf in zip(rows, k_exact, k_fast):
        if "skipped" in r:
            body.append([r["n"], r["c"], "skipped: " + r["skipped"]] + [""] * (9 + len(extra_headers)))
            continue
        body.append([r["n"], r["c"], f"{r['tokens']:,}", *plan_cells(r), f"{r['plan_s']:.3g}",
                     f"{r['exact_s']:.3g}", ke, f"{r['fast_s']:.3g}", kf, f"{r['exact_s'] / r['fast_s']:.2f}",
                     *extra(r)])
    table(["n", "c", "N", "B", "g", "r", "plan s", "exact s", "k", "fast s", "k", "exact/fast", *extra_headers], body)


def report(res: dict, args) -> None:
    m = res["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} logical CPUs, Python {m['python']}, numpy {m['numpy']} "
          f"(load average at start: {', '.join(f'{x:.2f}' for x in m['load_average'])})")
    print(f"delta = {args.delta:g}; c = {'max(2, ceil(log2 n))' if args.c is None else args.c}; "
          f"B = score bound the polynomial is fitted on, g = its degree, r = C(c+g, g) its rank; "
          f"k = local exponent in n from the previous row\n")

    print(f"## Attention, float64 (R per n so that the guaranteed B = {args.score_bound:g})\n")
    timing_table(res["attention"], ["R", "ℓ∞ err", "δ·max|V_val|", "err ≤ bound"], lambda r: [
        f"{r['r_bound']:.3g}", f"{r['linf_error']:.3g}", f"{r['error_bound']:.3g}",
        "yes" if r["within_bound"] else "NO"])

    how = "seeded weights as they are" if args.keep_weights else \
        f"W_Q, W_K scaled so that the calibrated B = {args.score_bound:g}"
    print(f"## FlowAR K = 2, float64 (inputs in [-1, 1], {how})\n")
    timing_table(res["flowar"], ["W_Q,K scale", "ℓ∞ err", "max|exact|"], lambda r: [
        f"{r['qk_scale']:.3g}", f"{r['linf_error']:.3g}", f"{r['max_abs_exact']:.3g}"])

    print(f"## Circuit size estimates, p = {args.p} (upper bounds: scalar float ops x gadget sizes; "
          "long sums priced by power-law extrapolation)\n")
    sizes = res["sizes"]
    table(["n", "c", "N", "B", "g", "r", "attention gates", "k", "fast-attention gates", "k", "fast/exact"],
          [[r["n"], r["c"], f"{r['tokens']:,}", *plan_cells(r), f"{r['exact_gates']:.4g}", ke,
            f"{r['fast_gates']:.4g}", kf, f"{r['fast_gates'] / r['exact_gates']:.3f}"]
           for r, ke, kf in zip(sizes, local_slopes(sizes, "exact_gates"), local_slopes(sizes, "fast_gates"))])

    if res["built"]:
        print(f"## Built circuits, p = {args.p}, c = 2, against the estimate\n")
        table(["module", "n", "size", "estimate", "size/estimate", "depth", "build s"],
              [[r["module"], r["n"], f"{r['size']:,}", f"{r['estimate']:,}", f"{r['size'] / r['estimate']:.3f}",
                r["depth"], f"{r['build_s']:.1f}"] for r in res["built"]])

    print(f"## Fitted exponents in n (least squares over n >= {args.fit_from})\n")
    ex = res["exponents"]
    table(["quantity", "exact", "fast", "fitted over n", "fast below exact"],
          [[name, f"{e['exponent']:.2f}", f"{f['exponent']:.2f}", ", ".join(map(str, e["n"])),
            "yes" if f["exponent"] < e["exponent"] else "NO"] for name, (e, f) in ex.items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n up to 32, one built size (under a minute)")
    parser.add_argument("--n", type=int, nargs="+", help="image sides for the float64 timings (default 4 8 16 32 64)")
    parser.add_argument("--size-n", type=int, nargs="+", help="image sides for the size estimates (default 2 .. 64)")
    parser.add_argument("--build-n", type=int, nargs="*", help="image sides of the real circuits, c = 2 (default 2 4)")
    parser.add_argument("--c", type=int, help="fixed channel count (default max(2, ceil(log2 n)))")
    parser.add_argument("--delta", type=float, default=1e-3, help="AAttC target error, relative to max|V_val|")
    parser.add_argument("--score-bound", type=float, default=1.0, help="the score bound B to aim at (default 1)")
    parser.add_argument("--keep-weights", action="store_true", help="flowar: do not scale W_Q, W_K to reach B")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per point, best taken (default 5)")
    parser.add_argument("--fit-from", type=int, default=16, help="smallest n in the fits (default 16)")
    parser.add_argument("--flowar-budget", type=float, default=60.0,
                        help="skip flowar at n if one exact run is predicted (n^4 from the last) over this many s")
    parser.add_argument("--p", type=int, default=8, help="mantissa bits of the circuits' float format (default 8)")
    args = parser.parse_args()
    quick = args.quick
    ns = args.n or ([4, 8, 16, 32] if quick else [4, 8, 16, 32, 64])
    size_ns = args.size_n or ([2, 4, 8, 16, 32] if quick else [2, 4, 8, 16, 32, 64])
    build_ns = args.build_n if args.build_n is not None else ([2] if quick else [2, 4])
    fmt = FloatFormat(args.p)

    start = time.perf_counter()
    res = {"machine": machine(), "settings": vars(args) | {"format": str(fmt)}}
    print("float64 attention ...", flush=True)
    res["attention"] = attention_rows(ns, args)
    print("float64 flowar ...", flush=True)
    res["flowar"] = flowar_rows(ns, args)
    print("size estimates ...", flush=True)
    res["sizes"] = size_rows(size_ns, fmt, args)
    print("building circuits ...", flush=True)
    res["built"] = built_rows(build_ns, fmt, args)
    res["exponents"] = {
        name: (fit(res[key], f"exact_{unit}", args.fit_from), fit(res[key], f"fast_{unit}", args.fit_from))
        for name, key, unit in (("attention float64 time", "attention", "s"), ("flowar float64 time", "flowar", "s"),
                                ("attention circuit size (estimate)", "sizes", "gates"))
    }
    res["wall_s"] = time.perf_counter() - start
    report(res, args)
    print(f"wall time of the run: {res['wall_s']:.0f} s")

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / ("fast_attention-quick.json" if quick else "fast_attention.json")
    path.write_text(json.dumps(res, indent=2))
    print(f"wrote {path}")
    bad = [r["n"] for r in res["attention"] if not r["within_bound"]]
    if bad:
        sys.exit(f"fast-attention error above delta max|V_val| at n = {bad}")


if __name__ == "__main__":
    main()
