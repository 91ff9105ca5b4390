"""Simulator throughput: tc0's bit-packed simulator against a plain per-gate
Python evaluator and against Verilator, in gate·samples per second.

Run: ``python benchmarks/simulate.py`` (``--quick`` for a run under a minute,
``--help`` for options). Circuits: the Bristol ``aes_128`` and ``sha256``
files and one large gadget (``int:max`` over 128 numbers of 64 bits, 2.1M
gates; ``--circuit PATH`` benchmarks saved ``.tc0`` files instead).

* Gates are counted as in the source circuit: the Bristol header's gate count
  (XOR, AND, INV; aes_128: 36,663), the strict gate count for a ``.tc0``
  circuit. The strict circuit tc0 imports (XOR lowered to AND/OR/NOT) is
  what all three evaluators run.
* tc0: ``simulate_packed`` on random bit-packed inputs, wall time of one
  call (best of a few), for batches of 64 .. 65536 samples; the schedule's
  compile time is reported apart.
* per-gate Python: one sample at a time, one Python loop over the gates,
  values as Python bools; run for a couple of seconds.
* Verilator: ``verilator --cc --exe --build -O3`` of the exported Verilog
  with a C++ harness that applies a pool of random inputs and times only the
  loop of ``eval()`` calls; its outputs on the pool are checked against tc0.
  Builds are cached in ``benchmarks/out/verilator`` (keyed by the Verilog,
  the harness and the Verilator version); aes_128 takes about two minutes to
  build on two cores. Circuits over ``--verilator-max-edges`` are skipped:
  on sha256 (466k strict gates) Verilator 5.006's front end alone ran for
  over 11 minutes without finishing.

Results go to stdout (Markdown tables) and ``benchmarks/out/simulate.json``
(``simulate-quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tc0
from tc0.ir.circuit import Circuit
from tc0.ir.schema import Kind
from tc0.io.bristol import read_bristol
from tc0.io.verilog import write_verilog
from tc0.compiler.catalog import compile_gadget
from tc0.simulator import schedule_for, simulate_packed

from machine import cpu_model  # noqa: E402 (benchmarks/machine.py, beside this script)

OUT = Path(__file__).resolve().parent / "out"
PACKAGE = Path(tc0.__file__).resolve().parent
BRISTOL = Path(os.environ.get("TC0_BRISTOL_DIR", Path(__file__).resolve().parents[2] / "shared/circuits/bristol"))
BATCHES = (64, 256, 1024, 4096, 16384, 65536)
QUICK_BATCHES = (64, 1024, 4096)
POOL = 64  # distinct input vectors the Verilator harness cycles through


@dataclasses.dataclass
class Subject:
    name: str
    circuit: Circuit
    gates: int  # as counted in the source
    gates_source: str


# --------------------------------------------------------------------- circuits
def cached(path: Path, sources: list[Path], build) -> Circuit:
    """Load ``path`` if it is newer than every file in ``sources``, else build and save it."""
    if path.exists() and path.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return tc0.load(path)
    circuit = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    circuit.save(path)
    return circuit


def bristol_subject(name: str) -> Subject:
    src = BRISTOL / f"{name}.txt"
    code = [PACKAGE / "compiler" / "builder.py", PACKAGE / "ir" / "circuit.py", PACKAGE / "io" / "bristol.py"]
    circuit = cached(OUT / "circuits" / f"{name}.tc0", [src, *code], lambda: read_bristol(src))
    with open(src) as fh:
        gates = int(fh.readline().split()[0])
    return Subject(name, circuit, gates, "Bristol header")


def gadget_subject(name: str, bits: int, m: int) -> Subject:
    tag = f"{name}({bits}x{m})"
    code = [PACKAGE / "compiler" / "builder.py", PACKAGE / "ir" / "circuit.py",
            *(PACKAGE / "compiler" / "gadgets").glob("*.py")]
    circuit = cached(OUT / "circuits" / f"{name.replace(':', '_')}_{bits}x{m}.tc0", code,
                     lambda: compile_gadget(name, bits, m))
    return Subject(tag, circuit, circuit.size, "strict gates")


def file_subject(path: Path) -> Subject:
    circuit = tc0.load(path)
    return Subject(path.stem, circuit, circuit.size, "strict gates")


def renamed_ports(circuit: Circuit) -> Circuit:
    """The same circuit with ports i0, i1, ... / o0, o1, ... (plain C++ names in Verilator)."""
    return dataclasses.replace(
        circuit,
        inputs={f"i{j}": w for j, w in enumerate(circuit.inputs.values())},
        outputs={f"o{j}": ids for j, ids in enumerate(circuit.outputs.values())},
    )


def random_bits(circuit: Circuit, batch: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {p: rng.integers(0, 2, size=(batch, w), dtype=np.uint8) for p, w in circuit.inputs.items()}


# --------------------------------------------------------------------- tc0
def time_call(fn, min_total: float = 0.3, max_reps: int = 5, long: float = 5.0) -> float:
    """Best wall time of ``fn()`` over a few repetitions (one if it takes over ``long`` seconds)."""
    best, spent, reps = float("inf"), 0.0, 0
    while reps == 0 or (reps < max_reps and (reps < 2 or spent < min_total) and best < long):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best, spent, reps = min(best, dt), spent + dt, reps + 1
    return best


def bench_tc0(s: Subject, batches, budget: float) -> dict:
    t = time.perf_counter()
    sched = schedule_for(s.circuit)
    compile_s = time.perf_counter() - t
    rows, last = [], None
    for batch in batches:
        words = -(-batch // 64)
        if last is not None and last[1] * batch / last[0] > budget:
            rows.append({"batch": batch, "seconds": None, "gate_samples_per_s": None,
                         "skipped": f"one call would take over {budget:.0f} s"})
            continue
        rng = np.random.default_rng(batch)
        packed = {p: rng.integers(0, 1 << 63, size=(w, words), dtype=np.uint64) for p, w in s.circuit.inputs.items()}
        dt = time_call(lambda packed=packed: simulate_packed(s.circuit, packed))
        last = (batch, dt)
        rows.append({"batch": batch, "seconds": dt, "gate_samples_per_s": s.gates * batch / dt,
                     "words_per_pass": sched.words_per_pass(words)})
    return {
        "compile_s": compile_s,
        "batches": rows,
        "program_bytes_per_gate": sched.nbytes / s.circuit.size,
        "buffer_bytes_per_gate_at_65536": sched.buffer_bytes(1024) / s.circuit.size,
        "buffer_rows": sched.n_rows + sched.scratch_rows,
    }


# --------------------------------------------------------------------- per-gate Python
class PerGatePython:
    """The plain evaluator: one sample at a time, one Python loop over the gates, Python bools."""

    def __init__(self, circuit: Circuit):
        kinds, offsets, fanins = circuit.kind.tolist(), circuit.offsets.tolist(), circuit.fanins.tolist()
        self.gates = [(kinds[v], fanins[offsets[v] : offsets[v + 1]]) for v in range(circuit.first_gate, circuit.n_nodes)]
        self.out_ids = circuit.output_ids().tolist()

    def __call__(self, bits: list[int]) -> list[bool]:
        value = [False, True] + [bool(b) for b in bits]
        append = value.append
        for kind, fan in self.gates:
            if kind == Kind.AND:
                append(all(map(value.__getitem__, fan)))
            elif kind == Kind.OR:
                append(any(map(value.__getitem__, fan)))
            elif kind == Kind.NOT:
                append(not value[fan[0]])
            else:
                append(2 * sum(map(value.__getitem__, fan)) > len(fan))
        return [value[v] for v in self.out_ids]


def bench_python(s: Subject, budget: float) -> dict:
    """Gate·samples/s of ``PerGatePython`` (setup excluded), checked against tc0 on the same samples."""
    evaluate = PerGatePython(s.circuit)
    inputs = random_bits(s.circuit, 256, seed=7)
    rows = np.concatenate([inputs[p] for p in s.circuit.inputs], axis=1).tolist()
    outputs, spent = [], 0.0
    while not outputs or (spent < budget and len(outputs) < len(rows)):
        t = time.perf_counter()
        outputs.append(evaluate(rows[len(outputs)]))
        spent += time.perf_counter() - t
    n = len(outputs)
    want = tc0.simulate(s.circuit, {p: v[:n] for p, v in inputs.items()})
    agrees = bool(np.array_equal(np.array(outputs, dtype=np.uint8), np.concatenate(list(want.values()), axis=1)))
    return {"samples": n, "seconds": spent, "gate_samples_per_s": s.gates * n / spent, "agrees": agrees}


# --------------------------------------------------------------------- Verilator
def port_words(width: int) -> int:
    return -(-width // 32)


def harness_source(circuit: Circuit) -> str:
    """C++ main: read a pool of inputs, time ``samples`` evals cycling through it, write the pool's outputs."""
    in_words = sum(port_words(w) for w in circuit.inputs.values())
    out_words = sum(port_words(len(ids)) for ids in circuit.outputs.values())
    set_lines, get_lines, at = [], [], 0
    for name, width in circuit.inputs.items():
        n = port_words(width)
        if width > 64:
            set_lines += [f"top->{name}[{j}] = x[{at + j}];" for j in range(n)]
        elif width > 32:
            set_lines.append(f"top->{name} = (uint64_t)x[{at}] | ((uint64_t)x[{at + 1}] << 32);")
        else:
            set_lines.append(f"top->{name} = x[{at}];")
        at += n
    at = 0
    for name, ids in circuit.outputs.items():
        width, n = len(ids), port_words(len(ids))
        if width > 64:
            get_lines += [f"y[{at + j}] = top->{name}[{j}];" for j in range(n)]
        elif width > 32:
            get_lines += [f"y[{at}] = (uint32_t)top->{name};", f"y[{at + 1}] = (uint32_t)(top->{name} >> 32);"]
        else:
            get_lines.append(f"y[{at}] = top->{name};")
        at += n
    first_out = next(iter(circuit.outputs))
    sink = f"top->{first_out}[0]" if len(circuit.outputs[first_out]) > 64 else f"top->{first_out}"
    set_block = "\n        ".join(set_lines)
    get_block = "\n        ".join(get_lines)
    return f"""// generated by benchmarks/simulate.py
#include "Vdut.h"
#include "verilated.h"
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

static const long IN_WORDS = {in_words}, OUT_WORDS = {out_words}, POOL = {POOL};

int main(int argc, char** argv) {{
    long samples = atol(argv[1]);
    std::vector<uint32_t> in(IN_WORDS * POOL), out(OUT_WORDS * POOL);
    FILE* f = fopen(argv[2], "rb");
    if (!f || fread(in.data(), 4, in.size(), f) != in.size()) return 2;
    fclose(f);
    Vdut* top = new Vdut;
    uint64_t sink = 0;
    auto apply = [&](long i) {{
        const uint32_t* x = &in[(i % POOL) * IN_WORDS];
        {set_block}
        top->eval();
    }};
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < samples; ++i) {{
        apply(i);
        sink += {sink};
    }}
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (long i = 0; i < POOL; ++i) {{
        apply(i);
        uint32_t* y = &out[i * OUT_WORDS];
        {get_block}
    }}
    f = fopen(argv[3], "wb");
    fwrite(out.data(), 4, out.size(), f);
    fclose(f);
    printf("%.9f %llu\\n", seconds, (unsigned long long)sink);
    delete top;
    return 0;
}}
"""


def words_of(bits: np.ndarray) -> np.ndarray:
    """(samples, width) bits -> (samples, ceil(width/32)) uint32, bit j at word j//32 bit j%32."""
    n = port_words(bits.shape[1])
    padded = np.zeros((len(bits), 32 * n), dtype=np.uint8)
    padded[:, : bits.shape[1]] = bits
    return np.packbits(padded, axis=1, bitorder="little").view("<u4")


def bench_verilator(s: Subject, quick: bool, max_edges: int) -> dict:
    verilator = shutil.which("verilator")
    if verilator is None:
        return {"skipped": "verilator is not on PATH"}
    if s.circuit.edges > max_edges:
        return {"skipped": f"{s.circuit.edges:,} edges > --verilator-max-edges {max_edges:,} (its compile would not finish in time)"}
    circuit = renamed_ports(s.circuit)
    version = subprocess.run([verilator, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    harness = harness_source(circuit)
    work = OUT / "verilator" / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    write_verilog(circuit, work / "dut.v", module="dut")
    key = hashlib.sha256((work / "dut.v").read_bytes() + harness.encode() + version.encode()).hexdigest()[:16]
    build = OUT / "verilator" / f"{s.name.replace(':', '_')}-{key}"
    record = build / "build.json"
    if not record.exists():
        if quick:
            return {"skipped": "--quick and no cached build (run the full benchmark once)"}
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        (work / "dut.v").replace(build / "dut.v")
        (build / "harness.cpp").write_text(harness)
        cmd = [verilator, "--cc", "--exe", "--build", "-O3", "-j", str(os.cpu_count() or 1), "-Wno-fatal",
               "--top-module", "dut", "--Mdir", "obj_dir", "dut.v", "harness.cpp", "-o", "bench"]
        print(f"  building Verilator model for {s.name} ...", flush=True)
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=build, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return {"skipped": f"verilator build failed: {done.stderr.strip().splitlines()[-1:]}"}
        record.write_text(json.dumps({"compile_s": time.perf_counter() - t, "version": version, "command": cmd}))
    compile_s = json.loads(record.read_text())["compile_s"]
    pool = random_bits(s.circuit, POOL, seed=99)
    np.concatenate([words_of(pool[p]) for p in s.circuit.inputs], axis=1).tofile(build / "pool.bin")

    def run(samples: int) -> float:
        done = subprocess.run([str(build / "obj_dir" / "bench"), str(samples), "pool.bin", "out.bin"],
                              cwd=build, capture_output=True, text=True, check=True)
        return float(done.stdout.split()[0])

    samples = 1000
    seconds = run(samples)
    target = 0.3 if quick else 1.5
    if seconds < target:
        samples = int(samples * target / max(seconds, 1e-6))
        seconds = run(samples)
    got = np.fromfile(build / "out.bin", dtype="<u4").reshape(POOL, -1)
    want = np.concatenate([words_of(v) for v in tc0.simulate(s.circuit, pool).values()], axis=1)
    return {
        "samples": samples,
        "seconds": seconds,
        "gate_samples_per_s": s.gates * samples / seconds,
        "compile_s": compile_s,
        "agrees": bool(np.array_equal(got, want)),
        "version": version,
    }


# --------------------------------------------------------------------- report
def machine() -> dict:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def fmt(x) -> str:
    return "—" if x is None else f"{x:.3g}"


def report(info: dict, results: list[dict]) -> None:
    load = ", ".join(f"{x:.2f}" for x in info["load_average"])
    print(f"\nMachine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, numpy {info['numpy']}"
          f" (load average at start: {load})")
    print("Throughput in gate·samples/s; gates counted as in the source circuit.\n")
    print("| circuit | gates | batch | tc0 | ×Python | ×Verilator |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        py, vl = r["python"]["gate_samples_per_s"], r["verilator"].get("gate_samples_per_s")
        for row in r["tc0"]["batches"]:
            g = row["gate_samples_per_s"]
            ratio_py = None if g is None else g / py
            ratio_vl = None if g is None or vl is None else g / vl
            print(f"| {r['name']} | {r['gates']:,} | {row['batch']:,} | {fmt(g)} | {fmt(ratio_py)} | {fmt(ratio_vl)} |")
    print("\n| circuit | strict gates | depth | per-gate Python | Verilator | Verilator compile s | "
          "tc0 compile s | tc0 program B/gate | tc0 buffer B/gate @65536 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        v, t = r["verilator"], r["tc0"]
        vl = fmt(v["gate_samples_per_s"]) if "gate_samples_per_s" in v else "skipped"
        print(f"| {r['name']} | {r['strict_gates']:,} | {r['depth']} | {fmt(r['python']['gate_samples_per_s'])} | {vl} | "
              f"{fmt(v.get('compile_s'))} | {t['compile_s']:.2f} | {t['program_bytes_per_gate']:.1f} | "
              f"{t['buffer_bytes_per_gate_at_65536']:.1f} |")
    for r in results:
        v, p = r["verilator"], r["python"]
        notes = [f"per-gate Python: {p['samples']} samples, outputs {'agree' if p['agrees'] else 'DISAGREE'} with tc0"]
        notes += [f"tc0 batch {row['batch']:,} skipped: {row['skipped']}" for row in r["tc0"]["batches"] if "skipped" in row]
        if "skipped" in v:
            notes.append(f"Verilator skipped: {v['skipped']}")
        else:
            notes.append(f"Verilator: {v['samples']:,} samples, outputs on {POOL} inputs "
                         f"{'agree' if v['agrees'] else 'DISAGREE'} with tc0")
        print(f"- {r['name']}: " + "; ".join(notes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small circuits and batches, cached Verilator builds only")
    parser.add_argument("--circuit", type=Path, action="append", default=[],
                        help="benchmark this saved .tc0 circuit instead of the built-in large gadget (repeatable)")
    parser.add_argument("--no-verilator", action="store_true", help="skip Verilator")
    parser.add_argument("--verilator-max-edges", type=int, default=500_000,
                        help="skip Verilator for circuits with more fan-in edges (default 500,000: aes_128 has "
                             "212k; Verilator's front end ran over 11 minutes on sha256's 820k without finishing)")
    args = parser.parse_args()

    info = machine()
    names = ["aes_128"] if args.quick else ["aes_128", "sha256"]
    subjects = [bristol_subject(n) for n in names]
    if args.circuit:
        subjects += [file_subject(p) for p in args.circuit]
    else:
        subjects.append(gadget_subject("int:max", 16 if args.quick else 64, 128))
    batches = QUICK_BATCHES if args.quick else BATCHES
    results = []
    for s in subjects:
        print(f"{s.name}: {s.gates:,} gates ({s.gates_source}), {s.circuit.size:,} strict gates, "
              f"{s.circuit.edges:,} edges", flush=True)
        entry = {"name": s.name, "gates": s.gates, "gates_counted_as": s.gates_source,
                 "strict_gates": s.circuit.size, "edges": s.circuit.edges, "depth": s.circuit.depth}
        entry["tc0"] = bench_tc0(s, batches, budget=5.0 if args.quick else 120.0)
        entry["python"] = bench_python(s, budget=0.5 if args.quick else 2.0)
        entry["verilator"] = (
            {"skipped": "--no-verilator"} if args.no_verilator
            else bench_verilator(s, args.quick, args.verilator_max_edges)
        )
        results.append(entry)
    report(info, results)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / ("simulate-quick.json" if args.quick else "simulate.json")
    path.write_text(json.dumps({"machine": info, "results": results}, indent=2))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
