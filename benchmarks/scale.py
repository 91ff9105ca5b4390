"""flowar past one machine's memory: streamed measures at n = 4, 8, 16
against whole builds, and the speed-up of two Dask workers over one.

Run: ``python benchmarks/scale.py`` (``--help`` for options). Every run is a
fresh subprocess (``tc0 measure --json`` for streamed points; a whole
``build_circuit`` for the whole builds) so memory figures do not mix:

* streamed (flowar, c = 2, p = 8, e = 9, K = 2, default piece size) at each
  ``--n``: size, depth, edges, pieces, wall seconds, peak resident memory of
  all processes together (the main process plus every worker's peak, an
  upper bound on their sum at any instant), workers;
* whole builds at the ``--whole`` sides: size, depth, seconds, peak
  resident memory; beside each streamed point the depth difference (the
  anchor: 0) and the size difference in percent (anchor: within 1%);
* ``--speedup N``: the streamed measure at side N on 1 and on 2 workers,
  and their ratio (anchor: >= 1.6);
* the fitted exponent of size in n over the streamed points (log-log least
  squares) beside the paper's 4 (Theorem 4.9's runtime bound).

Before each streamed point the estimate (an upper bound, no gates built) is
printed, so a long run (n = 16: about 3G gates, tens of minutes) can be
stopped early. Results go to stdout and ``benchmarks/out/scale.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"
TC0 = [str(Path(sys.executable).with_name("tc0"))]
SHAPE = ["--c", "2", "--p", "8", "--e", "9", "--scales", "2"]

WHOLE = """
import json, sys, time
from tc0.memory import peak_bytes
from tc0.models.compile import build_circuit
from tc0.models.module import make_config, random_weights
from tc0.models.registry import get_module
from tc0.numerics import FloatFormat
spec = get_module("flowar")
cfg = make_config(spec, n=int(sys.argv[1]), c=2, scales=2)
start = time.perf_counter()
circuit = build_circuit(spec, cfg, FloatFormat(8, 9), random_weights(spec, cfg), max_gates=2_000_000_000)
seconds = time.perf_counter() - start
print(json.dumps({"size": circuit.size, "depth": circuit.depth, "edges": circuit.edges, "seconds": seconds,
                  "peak_rss_bytes": peak_bytes()}))
"""


def estimate(n: int) -> int:
    from tc0.models.estimate import estimate as module_estimate
    from tc0.models.module import make_config, random_weights
    from tc0.models.registry import get_module
    from tc0.numerics import FloatFormat

    spec = get_module("flowar")
    cfg = make_config(spec, n=n, c=2, scales=2)
    return module_estimate(spec, cfg, FloatFormat(8, 9), random_weights(spec, cfg)).gates


def streamed(n: int, workers: int) -> dict:
    start = time.perf_counter()
    out = subprocess.run([*TC0, "measure", "flowar", "--n", str(n), *SHAPE, "--workers", str(workers), "--json"],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    data["wall_seconds"] = time.perf_counter() - start
    return data


def whole(n: int) -> dict:
    out = subprocess.run([sys.executable, "-c", WHOLE, str(n)], capture_output=True, text=True)
    if out.returncode != 0:
        return {"failed": out.stderr.strip().splitlines()[-1:] or [f"exit {out.returncode}"]}
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="4,8,16", help="sides streamed [default: 4,8,16]")
    parser.add_argument("--whole", default="4,8", help="sides also built whole [default: 4,8]")
    parser.add_argument("--workers", type=int, default=2, help="workers of the streamed points [default: 2]")
    parser.add_argument("--speedup", type=int, default=8, help="side of the 1-vs-2-worker comparison (0: skip)")
    args = parser.parse_args()
    sides = [int(v) for v in args.n.split(",") if v]
    whole_sides = [int(v) for v in args.whole.split(",") if v]
    result = {"streamed": {}, "whole": {}, "speedup": None}
    print(f"{'n':>3} {'estimate':>14} {'size':>14} {'depth':>6} {'edges':>15} {'pieces':>7} {'seconds':>8} "
          f"{'peak GiB':>9} {'workers':>7} | {'whole size':>14} {'depth':>6} {'seconds':>8} {'peak GiB':>9} "
          f"{'d depth':>7} {'d size':>8}")
    for n in sides:
        est = estimate(n)
        print(f"{n:>3} {est:>14,} ...", end="\r", flush=True)
        s = streamed(n, args.workers)
        s["estimate"] = est
        result["streamed"][n] = s
        line = (f"{n:>3} {est:>14,} {s['size']:>14,} {s['depth']:>6} {s['edges']:>15,} {s['pieces']:>7} "
                f"{s['seconds']:>8.1f} {s['peak_rss_bytes'] / 2**30:>9.2f} {s['workers']:>7}")
        if n in whole_sides:
            w = whole(n)
            result["whole"][n] = w
            if "failed" in w:
                line += f" | whole build failed: {w['failed']}"
            else:
                line += (f" | {w['size']:>14,} {w['depth']:>6} {w['seconds']:>8.1f} {w['peak_rss_bytes'] / 2**30:>9.2f} "
                         f"{s['depth'] - w['depth']:>7} {100 * (s['size'] / w['size'] - 1):>+7.3f}%")
        print(line)
    if len(sides) >= 2:
        ns = np.array(sides, dtype=float)
        sizes = np.array([result["streamed"][n]["size"] for n in sides], dtype=float)
        exponent = float(np.polyfit(np.log(ns), np.log(sizes), 1)[0])
        result["size_exponent"] = exponent
        print(f"fitted size exponent in n over n = {sides}: {exponent:.2f} (paper: 4)")
    if args.speedup:
        one, two = streamed(args.speedup, 1), streamed(args.speedup, 2)
        ratio = one["seconds"] / two["seconds"]
        result["speedup"] = {"n": args.speedup, "one_worker_seconds": one["seconds"],
                             "two_workers_seconds": two["seconds"], "ratio": ratio}
        print(f"n = {args.speedup} measure: 1 worker {one['seconds']:.1f} s, 2 workers {two['seconds']:.1f} s, "
              f"speed-up {ratio:.2f}x (anchor: >= 1.6x)")
    OUT.mkdir(exist_ok=True)
    (OUT / "scale.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
