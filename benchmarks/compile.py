"""Compile speed and memory of the bulk ``Builder`` on whole modules.

Run: ``python benchmarks/compile.py`` (``--help`` for options). For each
point (module, n, c, K) a fresh subprocess builds the module's circuit at
p = 8, e = 5 (the sizes the issue quotes; ``--p``/``--e``) with ``tc0.models.compile.build_circuit``
(random weights as constants), after a warm-up build of the module's
smallest instance (so the numba kernels' compilation, or their load from
numba's cache, is not timed), and reports:

* gates, edges, depth of the built circuit; build seconds (wall time of the
  ``build_circuit`` call, which includes its gate-count estimate), of which
  user and system CPU seconds (system time is mostly page faults on fresh
  memory); gates/s and edges/s;
* peak memory: the peak resident set size of the subprocess during the call
  (``ru_maxrss``) minus its resident set size just before it, so imports,
  the interpreter and the weights are not counted;
* the budget ratio peak / (8 * edges + 16 * gates) (the issue's target is <= 1).

The defaults are n = 4 and the largest sizes that fit the 24 GB, 2-CPU
development machine: attention n = 8, c = 4 (113M gates, 848M edges; 5.1 GB,
60-90 s) and flowar n = 8, c = 2, K = 2 (191M gates, 1.58G edges; 9.1 GB,
115-130 s); the whole run takes about 5 minutes. n = 16 would be about 16
times larger, beyond the memory and the int32 node ids.

A point whose subprocess fails (for example killed for lack of memory) is
reported as such. Results go to stdout and ``benchmarks/out/compile.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import cpu_model  # noqa: E402  (benchmarks/machine.py, beside this script)

OUT = Path(__file__).resolve().parent / "out"


def rss_bytes() -> int:
    """The current resident set size of this process."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(module: str, n: int, c: int, scales: int, p: int, e: int) -> dict:
    """Build one module's circuit in this process; return its measures."""
    from tc0.models.compile import build_circuit
    from tc0.models.flowar.config import FlowARConfig
    from tc0.models.module import random_weights
    from tc0.models.registry import get_module
    from tc0.numerics import FloatFormat

    spec = get_module(module)
    cfg = FlowARConfig(n=n, c=c, scales=scales)
    # warm-up: the smallest instance, so numba's compile (or cache load) is not timed
    small = dataclasses.replace(cfg, n=cfg.factor ** (cfg.scales - 1), c=1)
    build_circuit(spec, small, FloatFormat(p, e), random_weights(spec, small, 0), max_gates=1 << 40)
    weights = random_weights(spec, cfg, 0)
    before = rss_bytes()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    circuit = build_circuit(spec, cfg, FloatFormat(p, e), weights, max_gates=1 << 40)
    seconds = time.perf_counter() - t
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    peak = cpu_after.ru_maxrss * 1024 - before
    gates, edges = circuit.size, circuit.edges
    return {
        "module": module, "n": n, "c": c, "scales": scales, "p": p, "e": e,
        "gates": gates, "edges": edges, "depth": circuit.depth, "seconds": seconds,
        "user_seconds": cpu_after.ru_utime - cpu.ru_utime, "system_seconds": cpu_after.ru_stime - cpu.ru_stime,
        "gates_per_s": gates / seconds, "edges_per_s": edges / seconds,
        "peak_bytes": peak, "budget_bytes": 8 * edges + 16 * gates, "budget_ratio": peak / (8 * edges + 16 * gates),
    }


def run_point(point: dict, timeout: float) -> dict:
    """``measure`` in a fresh subprocess (so that peak memory is this point's alone)."""
    cmd = [sys.executable, __file__, "--one", json.dumps(point)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {**point, "error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode} (killed: out of memory?)"]
        return {**point, "error": tail[0]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def points(args) -> list[dict]:
    pts = [dict(module="attention", n=n, c=c, scales=1) for n in args.attention_n for c in args.attention_c]
    pts += [dict(module="flowar", n=n, c=c, scales=args.flowar_k) for n in args.flowar_n for c in args.flowar_c]
    return [{**pt, "p": args.p, "e": args.e} for pt in pts]


def report(rows: list[dict]) -> None:
    print(f"{'module':<10} {'n':>3} {'c':>3} {'K':>2} {'gates':>12} {'edges':>13} {'depth':>6} {'build s':>8} "
          f"{'user s':>7} {'sys s':>6} {'gates/s':>10} {'edges/s':>11} {'peak MB':>8} {'/budget':>7}")
    for r in rows:
        head = f"{r['module']:<10} {r['n']:>3} {r['c']:>3} {r['scales']:>2}"
        if "error" in r:
            print(f"{head}  failed: {r['error']}")
            continue
        print(f"{head} {r['gates']:>12,} {r['edges']:>13,} {r['depth']:>6} {r['seconds']:>8.1f} "
              f"{r['user_seconds']:>7.1f} {r['system_seconds']:>6.1f} {r['gates_per_s']:>10,.0f} {r['edges_per_s']:>11,.0f} {r['peak_bytes'] / 2**20:>8,.0f} "
              f"{r['budget_ratio']:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attention-n", type=int, nargs="*", default=[4, 8])
    parser.add_argument("--attention-c", type=int, nargs="*", default=[4])
    parser.add_argument("--flowar-n", type=int, nargs="*", default=[4, 8], help="each divisible by 2 (K = 2)")
    parser.add_argument("--flowar-c", type=int, nargs="*", default=[2])
    parser.add_argument("--flowar-k", type=int, default=2)
    parser.add_argument("--p", type=int, default=8)
    parser.add_argument("--e", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per point")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one point, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(**json.loads(args.one))))
        return

    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()}
    print(f"machine: {machine['cpu']}, {machine['cores']} logical CPUs, Python {machine['python']}")
    print("peak = peak RSS during the build minus RSS before it (a fresh process per point)\n")
    rows = []
    for pt in points(args):
        print(f"... {pt['module']} n={pt['n']} c={pt['c']} K={pt['scales']}", flush=True)
        rows.append(run_point(pt, args.timeout))
    print()
    report(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "compile.json"
    path.write_text(json.dumps({"machine": machine, "points": rows}, indent=2))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
