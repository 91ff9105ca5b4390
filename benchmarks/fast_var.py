"""Exact against fast (AAttC) VAR over the image side n (seed 004, Theorem 5.7).

Run: ``python benchmarks/fast_var.py`` (``--quick``: n up to 32; ``--help``).
Setup (DESIGN section 8): ``var`` and ``fast-var`` at c = ``--c`` (default
4, fixed: the theorem's claim is at fixed d), K = 3 scales of sizes 1, n/2,
n, seeded weights (seed 0) and one seeded input set X_init (seed 1) in
[-1, 1].

* fast-var's polynomial is fitted, as ``tc0 check fast-var`` does, on 1.25
  times the largest exact score over 8 calibration input sets
  (``tc0.models.prepare.calibrated_bound``; run here without the 2^24-scalar
  limit of the CLI, which refuses exact var at n = 64), to target error
  ``--delta``; the composite has no guaranteed bound, so the ℓ∞ error
  against exact is reported next to δ·max|exact|.
* times: best of ``--repeats`` calls of the module on the float64 backend
  (one call if it takes over 5 s).
* circuit sizes: ``tc0.models.estimate.estimate`` at p = ``--p`` (scalar
  float operations x gadget sizes, no gates built; an upper bound).
* exponents: least-squares slope of log(value) against log(n) over
  n >= ``--fit-from`` (anchors: exact 4, fast 2, Lemmas D.1/D.5 and 5.1-5.3);
  "k" columns: the slope from the previous n.

Results go to stdout and ``benchmarks/out/fast_var.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# sibling benchmark scripts
from fast_attention import fit, local_slopes, table
from simulate import machine, time_call

from tc0.models.backends import Float64Backend
from tc0.models.estimate import estimate
from tc0.models.layers import aattc_plan
from tc0.models.module import make_config, random_inputs, random_weights
from tc0.models.prepare import calibrated_bound, fast_plan
from tc0.models.registry import get_module
from tc0.numerics import FloatFormat

OUT = Path(__file__).resolve().parent / "out"
EXACT, FAST = get_module("var"), get_module("fast-var")


def _float64(spec, cfg, x, w) -> np.ndarray:
    return np.asarray(spec.forward(Float64Backend(), x, w, cfg))


def point(n: int, args, fmt: FloatFormat) -> dict:
    """Plan, time, compare and estimate var and fast-var at side n."""
    cfg = make_config(EXACT, n=n, c=args.c)
    w = random_weights(EXACT, cfg, seed=0)
    x = random_inputs(EXACT, cfg, seed=1)
    t = time.perf_counter()
    bound = calibrated_bound(EXACT, cfg, w)
    fcfg = replace(make_config(FAST, n=n, c=args.c, delta=args.delta),
                   poly=aattc_plan.plan(bound, args.delta, args.c))
    plan_s = time.perf_counter() - t
    y_exact, y_fast = _float64(EXACT, cfg, x, w), _float64(FAST, fcfg, x, w)
    row = {"n": n, "c": args.c, "sizes": list(cfg.s), "tokens": sum(s * s for s in cfg.s), **fast_plan(fcfg),
           "plan_s": plan_s,
           "exact_s": time_call(lambda: _float64(EXACT, cfg, x, w), np.inf, args.repeats),
           "fast_s": time_call(lambda: _float64(FAST, fcfg, x, w), np.inf, args.repeats),
           "linf_error": float(np.max(np.abs(y_fast - y_exact))),
           "max_abs_exact": float(np.max(np.abs(y_exact))),
           "exact_gates": estimate(EXACT, cfg, fmt, w).gates,
           "fast_gates": estimate(FAST, fcfg, fmt, w).gates}
    row["delta_bound"] = args.delta * row["max_abs_exact"]
    print(f"  n={n}: exact {row['exact_s']:.3g} s, fast {row['fast_s']:.3g} s, "
          f"{row['exact_gates']:.3g} vs {row['fast_gates']:.3g} gates", flush=True)
    return row


def report(res: dict, args) -> None:
    m = res["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} logical CPUs, Python {m['python']}, numpy {m['numpy']} "
          f"(load average at start: {', '.join(f'{x:.2f}' for x in m['load_average'])})")
    print(f"var vs fast-var, c = {args.c}, K = 3 (sizes 1, n/2, n), delta = {args.delta:g}, p = {args.p}; "
          "B = calibrated score bound, g = degree, r = C(c+g, g) rank; k = local exponent from the previous n\n")
    rows = res["points"]
    cols = [local_slopes(rows, key) for key in ("exact_s", "fast_s", "exact_gates", "fast_gates")]
    table(["n", "tokens", "B", "g", "r", "exact s", "k", "fast s", "k", "exact gates", "k", "fast gates", "k",
           "ℓ∞ err", "δ·max|exact|"],
          [[r["n"], f"{r['tokens']:,}", f"{r['score_bound']:.3g}", r["degree"], r["rank"], f"{r['exact_s']:.3g}",
            k1, f"{r['fast_s']:.3g}", k2, f"{r['exact_gates']:.4g}", k3, f"{r['fast_gates']:.4g}", k4,
            f"{r['linf_error']:.3g}", f"{r['delta_bound']:.3g}"]
           for r, k1, k2, k3, k4 in zip(rows, *cols)])
    print(f"## Fitted exponents in n (least squares over n >= {args.fit_from}; theory: exact 4, fast 2)\n")
    table(["quantity", "exact", "fast", "fitted over n", "fast below exact"],
          [[name, f"{e['exponent']:.2f}", f"{f['exponent']:.2f}", ", ".join(map(str, e["n"])),
            "yes" if f["exponent"] < e["exponent"] else "NO"] for name, (e, f) in res["exponents"].items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n up to 32")
    parser.add_argument("--n", type=int, nargs="+", help="image sides (default 4 8 16 32 64)")
    parser.add_argument("--c", type=int, default=4, help="channels d, fixed (default 4)")
    parser.add_argument("--delta", type=float, default=1e-3, help="AAttC target error (default 1e-3)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per point, best taken (default 3)")
    parser.add_argument("--fit-from", type=int, default=16, help="smallest n in the fits (default 16)")
    parser.add_argument("--p", type=int, default=8, help="significand bits of the estimated circuits (default 8)")
    args = parser.parse_args()
    ns = args.n or ([4, 8, 16, 32] if args.quick else [4, 8, 16, 32, 64])
    fmt = FloatFormat(args.p)
    start = time.perf_counter()
    res = {"machine": machine(), "settings": vars(args) | {"format": str(fmt)}}
    res["points"] = [point(n, args, fmt) for n in ns]
    res["exponents"] = {name: (fit(res["points"], f"exact_{unit}", args.fit_from),
                               fit(res["points"], f"fast_{unit}", args.fit_from))
                        for name, unit in (("float64 time", "s"), ("circuit size (estimate)", "gates"))}
    res["wall_s"] = time.perf_counter() - start
    report(res, args)
    print(f"wall time of the run: {res['wall_s']:.0f} s")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / ("fast_var-quick.json" if args.quick else "fast_var.json")
    path.write_text(json.dumps(res, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
