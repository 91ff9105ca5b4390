"""The simulator at its limits: depth and size (issue #19's second target).

Run: ``python benchmarks/simulate_limits.py`` (``--quick`` for 10^5 levels and
10^7 gates). Two measurements, each in a fresh process, printed beside
their anchors:

* **depth**: a chain of 1,000,000 levels (AND with an input bit, NOT, and
  OR with an input bit, in turn), one sample: the schedule's compile time and
  the run's, against the 5 s target (and 128 s, ~130 µs per level, of the
  numpy-call simulator before the compiled one). The output is checked
  against a plain Python loop over the levels, for all four inputs.
* **size**: a random circuit of 10^8 gates (AND/OR of 2 fan-ins, NOT, MAJ of
  3, each reading nodes a few hundred back) made straight from arrays, then
  simulated on 64 samples. Peak resident memory during the simulation (the
  kernel's ``VmHWM``, reset after the circuit is built) against the circuit's
  in-memory size (its arrays' bytes), the target being at most 1.5×. The
  peak includes the interpreter, numpy and numba themselves (measured apart
  and printed).

Results go to stdout and ``benchmarks/out/simulate_limits.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parent / "out"


def reset_peak() -> None:
    """Start ``VmHWM`` over from the current resident size (Linux ``clear_refs``)."""
    Path("/proc/self/clear_refs").write_text("5")


def chain_circuit(levels: int):
    """AND(x0), NOT, OR(x1) in turn: ``levels`` gates, each one level deeper."""
    from tc0 import Circuit, Kind

    first = 4
    n = first + levels
    kind = np.empty(n, dtype=np.uint8)
    kind[:first] = [Kind.CONST0, Kind.CONST1, Kind.INPUT, Kind.INPUT]
    step = np.arange(levels) % 3
    kind[first:] = np.choose(step, [Kind.AND, Kind.NOT, Kind.OR])
    counts = np.concatenate([np.zeros(first, dtype=np.int64), np.where(step == 1, 1, 2)])
    offsets = np.concatenate([[0], np.cumsum(counts)])
    ids = np.arange(first, n)
    fanins = np.empty(offsets[-1], dtype=np.int32)
    fanins[offsets[ids]] = ids - 1  # the previous level (node 3 = x1 feeds the first gate)
    two = ids[step != 1]
    fanins[offsets[two] + 1] = np.where(step[step != 1] == 0, 2, 3)
    return Circuit(kind, offsets, fanins, np.zeros(n, dtype=np.int32), ("",), {"x": 2}, {"y": np.array([n - 1])})


def chain_value(levels: int, x0: int, x1: int) -> int:
    """The chain's output, one Python step per level."""
    value = x1
    for i in range(levels):
        value = (value & x0) if i % 3 == 0 else (1 - value) if i % 3 == 1 else (value | x1)
    return value


def child_chain(levels: int) -> dict:
    import tc0
    from tc0.simulator import schedule_for

    circuit = chain_circuit(levels)
    start = time.perf_counter()
    schedule_for(circuit)
    compile_s = time.perf_counter() - start
    results = {}
    for x0, x1 in ((0, 0), (0, 1), (1, 0), (1, 1)):
        start = time.perf_counter()
        out = tc0.simulate(circuit, {"x": np.array([[x0, x1]], dtype=np.uint8)})["y"]
        results[(x0, x1)] = (time.perf_counter() - start, int(out[0, 0]))
    wrong = [k for k, (_, got) in results.items() if got != chain_value(levels, *k)]
    if wrong:
        raise SystemExit(f"chain of {levels} levels: wrong output for inputs {wrong}")
    return {"levels": levels, "compile_s": compile_s, "run_s": min(t for t, _ in results.values()),
            "first_run_s": results[(0, 0)][0]}


def random_circuit(gates: int, seed: int = 0):
    """``gates`` random gates over 64 inputs; fan-ins up to ~500 nodes back."""
    from tc0 import Circuit, Kind

    rng = np.random.default_rng(seed)
    first = 2 + 64
    n = first + gates
    kind = np.empty(n, dtype=np.uint8)
    kind[:2], kind[2:first] = [Kind.CONST0, Kind.CONST1], Kind.INPUT
    kind[first:] = rng.choice(np.array([Kind.AND, Kind.OR, Kind.NOT, Kind.MAJ], dtype=np.uint8), gates,
                              p=[0.35, 0.35, 0.1, 0.2])
    offsets = np.zeros(n + 1, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    counts[first:] = np.array([0, 0, 0, 2, 2, 1, 3], dtype=np.int64)[kind[first:]]
    np.cumsum(counts, out=offsets[1:])
    del counts
    fanins = np.empty(offsets[-1], dtype=np.int32)
    chunk = 1 << 24
    for lo in range(0, len(fanins), chunk):  # owner of each edge, chunk by chunk (bounded temporaries)
        edges = np.arange(lo, min(lo + chunk, len(fanins)))
        owner = np.searchsorted(offsets, edges, side="right") - 1
        back = 1 + rng.integers(0, 500, len(edges))
        fanins[lo : lo + len(edges)] = np.maximum(owner - back, 2)
    outputs = {"y": np.arange(n - 64, n)}
    return Circuit(kind, offsets, fanins, np.full(n, 0, dtype=np.int32), ("",), {"x": 64}, outputs)


def child_memory(gates: int) -> dict:
    import gc

    import tc0
    from tc0.memory import peak_bytes, resident_bytes

    baseline = resident_bytes()  # interpreter, numpy, numba, tc0
    circuit = random_circuit(gates)
    gc.collect()
    circuit_bytes = sum(a.nbytes for a in (circuit.kind, circuit.offsets, circuit.fanins, circuit.scope,
                                           *circuit.outputs.values()))
    before = resident_bytes()
    reset_peak()
    inputs = {"x": np.random.default_rng(1).integers(0, 2, (64, 64), dtype=np.uint8)}
    start = time.perf_counter()
    out = tc0.simulate(circuit, inputs)["y"]
    seconds = time.perf_counter() - start
    peak = peak_bytes()
    return {"gates": gates, "circuit_bytes": circuit_bytes, "baseline_rss": baseline, "rss_before": before,
            "peak_rss": peak, "seconds": seconds, "ones": int(out.sum())}


def in_child(kind: str, size: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(size)], capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{kind} child failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^5 levels and 10^7 gates")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, size = args.child[0], int(args.child[1])
        print(json.dumps(child_chain(size) if kind == "chain" else child_memory(size)))
        return
    levels, gates = (10**5, 10**7) if args.quick else (10**6, 10**8)
    chain = in_child("chain", levels)
    print(f"chain of {levels:,} levels, one sample: compile {chain['compile_s']:.2f} s, run {chain['run_s'] * 1e3:.1f} ms "
          f"(first run {chain['first_run_s']:.2f} s) | target < 5 s; before: ~130 µs per level "
          f"({levels * 130e-6:.0f} s)")
    mem = in_child("memory", gates)
    ratio = mem["peak_rss"] / mem["circuit_bytes"]
    print(f"{gates:,} gates, 64 samples: circuit {mem['circuit_bytes'] / 2**30:.2f} GiB, peak RSS "
          f"{mem['peak_rss'] / 2**30:.2f} GiB = {ratio:.2f}x | target <= 1.5x "
          f"(RSS before {mem['rss_before'] / 2**30:.2f} GiB, of which interpreter and libraries "
          f"{mem['baseline_rss'] / 2**30:.2f} GiB); {mem['seconds']:.1f} s")
    OUT.mkdir(exist_ok=True)
    name = "simulate_limits-quick.json" if args.quick else "simulate_limits.json"
    (OUT / name).write_text(json.dumps({"chain": chain, "memory": mem, "peak_over_circuit": ratio}, indent=1))


if __name__ == "__main__":
    main()
