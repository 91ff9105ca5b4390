"""Simulator throughput: tc0's bit-packed simulator against four anchors, in
gate·samples per second: straight-line bitsliced C (the practical limit),
ABC's ``&sim_gen``, Verilator, and a plain per-gate Python evaluator.

Run: ``python benchmarks/simulate.py`` (``--quick``: aes_128 only, batches
64, 1024, 4096, cached C and Verilator builds only, under a minute; ``--help``
for options). Circuits: the Bristol ``aes_128`` and ``sha256`` files
(``$TC0_BRISTOL_DIR``, default ``../shared/circuits/bristol`` beside the
repository) and a ~10^7-gate tc0 module, ``tc0 compile attention --n 4 --c 5
--p 8 --e 5`` (9,758,000 strict gates, 67M fan-in edges, depth 361; about
15 s to compile and save, cached in ``benchmarks/out/circuits``);
``--circuit PATH`` benchmarks saved ``.tc0`` files in its place, ``--bristol
NAME`` chooses the Bristol circuits. Every evaluator is measured in
the same run, at batches 64, 256, 1024, 4096, 16384 and 65536; each circuit
gets one Markdown table (rows: the evaluators, columns: the batches) and a
line giving tc0 as a percentage of bitsliced C and as a multiple of ABC and
Verilator at each batch >= 4096.

* Gates are counted as in the source circuit: the Bristol header's gate count
  (XOR, AND, INV; aes_128: 36,663), the strict gate count for a ``.tc0``
  circuit, whatever each evaluator runs internally.
* tc0: ``simulate_packed`` on random bit-packed inputs, wall time of one
  call (best of a few; one if it takes over 5 s), for each batch, unless one
  call would exceed ``--tc0-budget`` (extrapolated from the batch before);
  the schedule's compile time (``schedule_for``) is reported apart. One
  thread (the row the comparisons use: every anchor is single-threaded), and
  again with ``threads=2`` (the machine's two cores; blocks of samples shared).
* bitsliced C, single-threaded: the circuit as straight-line C, each wire a
  ``uint64_t __attribute__((vector_size(32)))`` holding 256 samples, one
  statement per 2-input AND / XOR or NOT. A Bristol circuit is generated
  straight from its file, one statement per gate line (so it runs exactly
  the header's gate count; EQ/EQW are aliases, MAND k ANDs); a tc0 circuit is
  first lowered to AND/XOR/NOT with ``tc0.io.lowering`` as the Bristol and
  AIGER exports do (AND trees, De Morgan ORs, MAJ as adder tree plus
  comparator), so it runs more statements than its strict gates. The
  statements are cut into ``noinline`` functions of at most
  ``--c-function-statements`` (so gcc's time stays about linear); wires
  local to a function are locals, wires read by a later function go through
  a small scratch array. ``gcc -O2 -march=native``; ``main`` reads the
  inputs block-major (per 256-sample block, one vector per input bit), loops
  over the ``ceil(samples / 256)`` blocks, and times only that loop
  (``clock_gettime``, best over repetitions of at least a millisecond each);
  at batch 64 the one block has 64 of its 256 lanes in use, and the table
  counts 64 samples. Its outputs are checked bit for bit against tc0's
  ``simulate_packed`` on the same inputs at every batch, and the run stops
  on a mismatch. Builds are cached in ``benchmarks/out/bitsliced`` keyed by
  a hash of the C source, the flags and the gcc version. Circuits whose C
  would exceed ``--c-max-statements`` are skipped: gcc took 0.15-0.18 ms per
  statement here in functions of 2,000 (aes_128's 36,663 in 5.4 s, sha256's
  135,073 in 24 s; aes_128 as one function took 21.5 s), and the attention
  module lowers to 114M statements, about five hours of gcc.
* ABC (``berkeley-abc``, ``yosys-abc`` or ``abc`` on PATH): the circuit
  exported with ``tc0.io.aiger.write_aiger`` (XOR as three ANDs), then one
  ABC process per batch runs ``&r FILE; time; &sim_gen -W w; ...(k
  times)...; time`` with w = batch / 64 64-bit words and k chosen so the
  timed commands take about a second (0.3 s with ``--quick``). ``&r`` structurally hashes while
  reading, so ABC may simulate fewer ANDs than the file holds (recorded as
  ``abc_ands``). Each ``&sim_gen`` draws w words of random patterns per
  input, simulates every AND node over them and then hashes every node's
  simulation signature to count the distinct ones; all of that is timed.
  The time is ABC's own, printed by its ``time`` command (the CPU seconds of
  the commands between the two ``time`` calls; ABC 1.01 of 2023 counts user
  time, ``getrusage``) divided by k; the JSON also gives the wall time per
  call (process wall time minus that of a run that only reads the file,
  divided by k). ABC runs with glibc's ``MALLOC_MMAP_MAX_=0`` and a huge
  ``MALLOC_TRIM_THRESHOLD_`` so that the k calls reuse warm memory rather
  than fault in fresh pages (slow on this VM). A batch whose simulation
  signatures would exceed ``--abc-max-gb`` (two copies, 8 bytes per word per
  node) is skipped, as is a circuit ABC cannot read.
* Verilator: ``verilator --cc --exe --build -O3`` of the exported Verilog
  with a C++ harness that applies a pool of random inputs and times only the
  loop of ``eval()`` calls; its outputs on the pool are checked against tc0.
  Builds are cached in ``benchmarks/out/verilator`` (keyed by the Verilog,
  the harness and the Verilator version); aes_128 takes about two minutes to
  build on two cores. Circuits over ``--verilator-max-edges`` are skipped:
  on sha256 (466k strict gates) Verilator 5.006's front end alone ran for
  over 11 minutes without finishing.
* per-gate Python: one sample at a time, one Python loop over the gates,
  values as Python bools; run for a couple of seconds, checked against tc0.

Verilator and per-gate Python evaluate one sample at a time, so their one
figure is shown at every batch. Compiles (gcc, Verilator) run under
``nice -n 10``. Results go to stdout (Markdown) and
``benchmarks/out/simulate.json`` (``simulate-quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import re
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
from tc0.io.aiger import write_aiger
from tc0.io.bristol import read_bristol
from tc0.io.lowering import AND2, INV, XOR2, lower_circuit
from tc0.io.verilog import write_verilog
from tc0.simulator import schedule_for, simulate_packed

from machine import cpu_model  # noqa: E402 (benchmarks/machine.py, beside this script)

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out"
PACKAGE = Path(tc0.__file__).resolve().parent
BRISTOL = Path(os.environ.get("TC0_BRISTOL_DIR", ROOT.parent / "shared/circuits/bristol"))
BATCHES = (64, 256, 1024, 4096, 16384, 65536)
QUICK_BATCHES = (64, 1024, 4096)
POOL = 64  # distinct input vectors the Verilator harness cycles through
LANES = 256  # samples per bitsliced-C vector
NICE = ["nice", "-n", "10"]  # compiles share the machine
#: the ~10^7-gate subject: ``tc0 compile attention`` with these options
MODULE = ("attention", ["--n", "4", "--c", "5", "--p", "8", "--e", "5"])


@dataclasses.dataclass
class Subject:
    name: str
    circuit: Circuit
    gates: int  # as counted in the source
    gates_source: str
    bristol: Path | None = None  # the Bristol file it came from


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
    return Subject(name, circuit, gates, "Bristol header", src)


def module_subject() -> Subject:
    """The ~10^7-gate subject, compiled by ``tc0 compile`` in a subprocess (cached)."""
    name, options = MODULE
    path = OUT / "circuits" / f"{name}_{'_'.join(o.strip('-') for o in options)}.tc0"
    code = [p for part in ("compiler", "models", "numerics", "ir") for p in (PACKAGE / part).rglob("*.py")]

    def build() -> Circuit:
        print(f"  compiling tc0 {name} {' '.join(options)} ...", flush=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "tc0", "compile", name, *options, "-o", str(path)],
                       cwd=ROOT, check=True, capture_output=True, text=True)
        return tc0.load(path)

    circuit = cached(path, code, build)
    return Subject(f"{name} n=4 c=5 p=8 e=5", circuit, circuit.size, "strict gates")


def file_subject(path: Path) -> Subject:
    circuit = tc0.load(path)
    return Subject(path.stem, circuit, circuit.size, "strict gates")


def safe_name(name: str) -> str:
    """``name`` as a plain file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


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


def random_words(rows: int, words: int, seed: int) -> np.ndarray:
    """(rows, words) uint64, every bit random."""
    return np.random.default_rng(seed).integers(0, np.iinfo(np.uint64).max, size=(rows, words),
                                                dtype=np.uint64, endpoint=True)


def tc0_packed(circuit: Circuit, stacked: np.ndarray) -> np.ndarray:
    """tc0's outputs, stacked ``(output bits, words)``, on stacked packed inputs ``(input bits, words)``."""
    packed, start = {}, 0
    for port, width in circuit.inputs.items():
        packed[port] = np.ascontiguousarray(stacked[start : start + width])
        start += width
    return np.concatenate([np.asarray(v) for v in simulate_packed(circuit, packed).values()])


def tc0_bits(circuit: Circuit, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """tc0's outputs ``(samples, output bits)`` uint8 on ``(samples, width)`` bits per port."""
    bits = np.concatenate([inputs[p] for p in circuit.inputs], axis=1)
    n = len(bits)
    words = -(-n // 64)
    padded = np.zeros((bits.shape[1], 64 * words), dtype=np.uint8)
    padded[:, :n] = bits.T
    stacked = np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64)
    out = tc0_packed(circuit, stacked)
    return np.unpackbits(out.astype("<u8").view(np.uint8), axis=1, bitorder="little")[:, :n].T


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


def bench_tc0(s: Subject, batches, budget: float, threads: int = 1) -> dict:
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
        dt = time_call(lambda packed=packed: simulate_packed(s.circuit, packed, threads=threads))
        last = (batch, dt)
        rows.append({"batch": batch, "seconds": dt, "gate_samples_per_s": s.gates * batch / dt,
                     "words_per_pass": sched.words_per_pass(words)})
    return {
        "compile_s": compile_s,
        "batches": rows,
        "program_bytes_per_gate": sched.nbytes / s.circuit.size,
        "buffer_bytes_per_gate_at_65536": sched.buffer_bytes(1024) / s.circuit.size,
        "buffer_rows": sched.n_rows,
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
    del evaluate
    n = len(outputs)
    want = tc0_bits(s.circuit, {p: v[:n] for p, v in inputs.items()})
    agrees = bool(np.array_equal(np.array(outputs, dtype=np.uint8), want))
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


def cached_build(kind: str, name: str, key: str, quick: bool, cmd: list[str], what: str, files: dict,
                 record: dict) -> tuple[Path | None, dict]:
    """``(build directory, its build.json)`` of ``OUT/kind/NAME-KEY``, built now unless
    a build is cached there: ``files`` (name -> writer of that path) are put in the
    directory and ``cmd`` runs in it (niced); ``record`` and the compile time go to
    build.json. ``(None, {"skipped": why})`` with ``quick`` and no cache, or when the
    command fails."""
    build = OUT / kind / f"{safe_name(name)}-{key}"
    path = build / "build.json"
    if not path.exists():
        if quick:
            return None, {"skipped": "--quick and no cached build (run the full benchmark once)"}
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        for file, write in files.items():
            write(build / file)
        print(f"  {what} ...", flush=True)
        t = time.perf_counter()
        done = subprocess.run(NICE + cmd, cwd=build, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None, {"skipped": f"{kind} build failed: {done.stderr.strip().splitlines()[-1:]}"}
        path.write_text(json.dumps({"compile_s": time.perf_counter() - t, **record, "command": cmd}))
    return build, json.loads(path.read_text())


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
    cmd = [verilator, "--cc", "--exe", "--build", "-O3", "-j", str(os.cpu_count() or 1), "-Wno-fatal",
           "--top-module", "dut", "--Mdir", "obj_dir", "dut.v", "harness.cpp", "-o", "bench"]
    build, built = cached_build("verilator", s.name, key, quick, cmd, f"building Verilator model for {s.name}",
                                {"dut.v": lambda path: (work / "dut.v").replace(path),
                                 "harness.cpp": lambda path: path.write_text(harness)},
                                {"version": version})
    if build is None:
        return built
    compile_s = built["compile_s"]
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
    want_bits = tc0_bits(s.circuit, pool)
    want, start = [], 0
    for ids in s.circuit.outputs.values():
        want.append(words_of(want_bits[:, start : start + len(ids)]))
        start += len(ids)
    return {
        "samples": samples,
        "seconds": seconds,
        "gate_samples_per_s": s.gates * samples / seconds,
        "compile_s": compile_s,
        "agrees": bool(np.array_equal(got, np.concatenate(want, axis=1))),
        "version": version,
    }


# --------------------------------------------------------------------- bitsliced C
@dataclasses.dataclass
class Netlist:
    """2-input AND / XOR and INV gates over references: 0 and 1 are the
    constants, 2 .. 2 + n_in - 1 the input bits in tc0's port order, and gate
    g (in evaluation order) is 2 + n_in + g."""

    n_in: int
    op: np.ndarray  # AND2, XOR2 or INV (tc0.io.lowering's codes)
    a: np.ndarray
    b: np.ndarray  # -1 for INV
    outputs: np.ndarray  # the reference of each output bit, in tc0's port order
    source: str  # how it was made


def bristol_netlist(path: Path) -> Netlist:
    """A Bristol file's gates, one per gate line (MAND: k ANDs), EQ / EQW as aliases."""
    with open(path) as fh:
        lines = [line.split() for line in fh if line.strip()]
    nwires = int(lines[0][1])
    n_in, n_out = sum(map(int, lines[1][1:])), sum(map(int, lines[2][1:]))
    ref = np.full(nwires, -1, dtype=np.int64)
    ref[:n_in] = 2 + np.arange(n_in)
    codes = {"AND": AND2, "XOR": XOR2, "INV": INV, "MAND": AND2}
    op, a, b = [], [], []
    for tok in lines[3:]:
        kind, nin, nout = tok[-1], int(tok[0]), int(tok[1])
        wires = [int(w) for w in tok[2:-1]]
        ins, outs = wires[:nin], wires[nin:]
        if kind == "EQ":
            ref[outs[0]] = ins[0]
        elif kind == "EQW":
            ref[outs[0]] = ref[ins[0]]
        elif kind in codes:
            pairs = [(ins[j], ins[nout + j]) for j in range(nout)] if kind == "MAND" else [(ins[0], ins[-1])]
            for (x, y), w in zip(pairs, outs):
                op.append(codes[kind])
                a.append(ref[x])
                b.append(-1 if kind == "INV" else ref[y])
                ref[w] = 2 + n_in + len(op) - 1
        else:
            raise ValueError(f"{path}: unknown Bristol gate {kind}")
    outputs = ref[nwires - n_out :]
    return Netlist(n_in, np.array(op, dtype=np.uint8), np.array(a, dtype=np.int64), np.array(b, dtype=np.int64),
                   outputs, "Bristol file, one statement per gate line")


def lowered_netlist(circuit: Circuit) -> Netlist:
    """The circuit lowered to AND / XOR / INV by ``tc0.io.lowering`` (as the Bristol and AIGER exports do)."""
    xag, wire = lower_circuit(circuit)
    op, a, b = xag.gates()  # wires: node ids for constants and inputs, then first_gate + g for gate g
    return Netlist(circuit.n_inputs, op, a, b, wire[circuit.output_ids()],
                   "strict circuit lowered by tc0.io.lowering")


def live_statements(net: Netlist) -> int:
    """How many gates some output depends on (gcc drops the others)."""
    base = 2 + net.n_in
    live = np.zeros(base + len(net.op), dtype=bool)
    live[net.outputs] = True
    a, b = net.a.tolist(), net.b.tolist()
    for g in range(len(a) - 1, -1, -1):
        if live[base + g]:
            live[a[g]] = True
            if b[g] >= 0:
                live[b[g]] = True
    return int(live[base:].sum())


def c_source(net: Netlist, per_function: int) -> str:
    """Straight-line bitsliced C for ``net`` (see the module docstring), with a timing ``main``."""
    n_g, base, n_out = len(net.op), 2 + net.n_in, len(net.outputs)
    chunk = np.arange(n_g) // per_function
    n_chunks = max(1, -(-n_g // per_function))
    last = np.full(base + n_g, -1, dtype=np.int64)  # the last function reading each reference
    np.maximum.at(last, net.a, chunk)
    binary = net.op != INV
    np.maximum.at(last, net.b[binary], chunk[binary])
    # scratch slots for wires read by a later function, reused once their last reader has run
    slot = np.full(n_g, -1, dtype=np.int64)
    crossing = np.flatnonzero(last[base:] > chunk)
    free: list[int] = []
    release: dict[int, list[int]] = {}
    n_slots, k = 0, 0
    for c in range(n_chunks):
        free += release.pop(c - 1, [])
        while k < len(crossing) and chunk[crossing[k]] == c:
            g = int(crossing[k])
            if free:
                slot[g] = free.pop()
            else:
                slot[g], n_slots = n_slots, n_slots + 1
            release.setdefault(int(last[base + g]), []).append(int(slot[g]))
            k += 1
    out_at: dict[int, list[int]] = {}
    for p, r in enumerate(net.outputs.tolist()):
        out_at.setdefault(r, []).append(p)
    ops, a_list, b_list, chunk_of, slot_of = net.op.tolist(), net.a.tolist(), net.b.tolist(), chunk.tolist(), slot.tolist()
    sym = {AND2: "&", XOR2: "^"}
    body: list[str] = []
    for c in range(n_chunks):
        body.append(f"static void __attribute__((noinline)) f{c}(const v4 *restrict x, v4 *restrict y, v4 *restrict S)\n{{")
        loaded: set[int] = set()

        def operand(r: int, c=c, loaded=loaded) -> str:
            if r < 2:
                return "ONE" if r else "ZERO"
            if r < base:
                if r not in loaded:
                    body.append(f"    const v4 i{r - 2} = x[{r - 2}];")
                    loaded.add(r)
                return f"i{r - 2}"
            g = r - base
            if chunk_of[g] == c:
                return f"t{g}"
            if r not in loaded:
                body.append(f"    const v4 s{g} = S[{slot_of[g]}];")
                loaded.add(r)
            return f"s{g}"

        if c == n_chunks - 1:  # outputs that are constants or inputs
            for r, ps in out_at.items():
                if r < base:
                    value = operand(r)
                    body.extend(f"    y[{p}] = {value};" for p in ps)
        for g in range(c * per_function, min(n_g, (c + 1) * per_function)):
            x = operand(a_list[g])
            expr = f"~{x}" if ops[g] == INV else f"{x} {sym[ops[g]]} {operand(b_list[g])}"
            body.append(f"    const v4 t{g} = {expr};")
            if slot_of[g] >= 0:
                body.append(f"    S[{slot_of[g]}] = t{g};")
            body.extend(f"    y[{p}] = t{g};" for p in out_at.get(base + g, ()))
        body.append("}\n")
    calls = "\n".join(f"    f{c}(x, y, S);" for c in range(n_chunks))
    return f"""// generated by benchmarks/simulate.py: {net.source}; {n_g} statements
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t v4 __attribute__((vector_size(32)));  // 256 samples of one wire
#define ZERO ((v4){{0, 0, 0, 0}})
#define ONE (~ZERO)
enum {{ N_IN = {net.n_in}, N_OUT = {n_out}, N_SLOTS = {n_slots} }};

{chr(10).join(body)}
static void eval_block(const v4 *restrict x, v4 *restrict y, v4 *restrict S)
{{
{calls}
}}

static void run(long blocks, const v4 *x, v4 *y, v4 *S)
{{
    for (long b = 0; b < blocks; ++b)
        eval_block(x + b * N_IN, y + b * N_OUT, S);
}}

static double now(void)
{{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}}

// bench BLOCKS MIN_SECONDS IN OUT: IN holds BLOCKS x N_IN vectors (block-major); writes
// BLOCKS x N_OUT vectors to OUT; prints the best seconds of one pass over the blocks,
// the passes per timed repetition, and the repetitions.
int main(int argc, char **argv)
{{
    if (argc != 5) {{
        fprintf(stderr, "usage: %s BLOCKS MIN_SECONDS IN OUT\\n", argv[0]);
        return 2;
    }}
    long blocks = atol(argv[1]);
    double min_total = atof(argv[2]);
    size_t nx = (size_t)blocks * N_IN, ny = (size_t)blocks * N_OUT;
    v4 *x = aligned_alloc(32, (nx + 1) * sizeof(v4)), *y = aligned_alloc(32, (ny + 1) * sizeof(v4));
    v4 *S = aligned_alloc(32, (N_SLOTS + 1) * sizeof(v4));
    if (!x || !y || !S) return 3;
    memset(y, 0, (ny + 1) * sizeof(v4));
    memset(S, 0, (N_SLOTS + 1) * sizeof(v4));
    FILE *f = fopen(argv[3], "rb");
    if (!f || fread(x, sizeof(v4), nx, f) != nx) return 4;
    fclose(f);
    run(blocks, x, y, S);
    f = fopen(argv[4], "wb");
    if (!f || fwrite(y, sizeof(v4), ny, f) != ny) return 5;
    fclose(f);
    double t = now();
    run(blocks, x, y, S);
    double once = now() - t;
    long inner = once >= 1e-3 ? 1 : (long)(1e-3 / (once > 1e-9 ? once : 1e-9)) + 1;
    double best = 1e300, total = 0;
    long reps = 0;
    while (reps < 3 || (total < min_total && reps < 100000)) {{
        t = now();
        for (long k = 0; k < inner; ++k)
            run(blocks, x, y, S);
        double dt = now() - t;
        total += dt;
        if (dt / (double)inner < best) best = dt / (double)inner;
        ++reps;
    }}
    printf("%.9e %ld %ld\\n", best, inner, reps);
    free(x);
    free(y);
    free(S);
    return 0;
}}
"""


def gcc_version(gcc: str) -> str:
    return subprocess.run([gcc, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]


def bench_c(s: Subject, batches, quick: bool, max_statements: int, per_function: int, reference: str) -> dict:
    """The bitsliced-C anchor at every batch, checked against tc0 (raises ``SystemExit`` on a mismatch)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        return {"skipped": "gcc is not on PATH"}
    too_big = f"--c-max-statements {max_statements:,}; {reference}"
    if s.bristol is None and s.circuit.edges - s.circuit.size > max_statements:
        return {"skipped": f"its lowering has at least {s.circuit.edges - s.circuit.size:,} statements > {too_big}"}
    t = time.perf_counter()
    net = bristol_netlist(s.bristol) if s.bristol is not None else lowered_netlist(s.circuit)
    if len(net.op) > max_statements:
        return {"skipped": f"{len(net.op):,} statements > {too_big}"}
    source = c_source(net, per_function)
    generate_s = time.perf_counter() - t
    flags = ["-O2", "-march=native"]
    version = gcc_version(gcc)
    key = hashlib.sha256(source.encode() + " ".join(flags).encode() + version.encode()).hexdigest()[:16]
    build, built = cached_build("bitsliced", s.name, key, quick, [gcc, *flags, "-o", "bench", "bench.c"],
                                f"compiling bitsliced C for {s.name} ({len(net.op):,} statements)",
                                {"bench.c": lambda path: path.write_text(source)},
                                {"statements": len(net.op), "gcc": version})
    if build is None:
        return built
    n_in, n_out = net.n_in, len(net.outputs)
    rows = []
    for batch in batches:
        blocks, words = -(-batch // LANES), -(-batch // 64)
        x = random_words(n_in, 4 * blocks, seed=1000 + batch)
        np.ascontiguousarray(x.reshape(n_in, blocks, 4).transpose(1, 0, 2)).tofile(build / "in.bin")
        done = subprocess.run([str(build / "bench"), str(blocks), "0.1" if quick else "0.3", "in.bin", "out.bin"],
                              cwd=build, capture_output=True, text=True, check=True)
        seconds = float(done.stdout.split()[0])
        got = np.fromfile(build / "out.bin", dtype=np.uint64).reshape(blocks, n_out, 4).transpose(1, 0, 2)
        got = got.reshape(n_out, 4 * blocks)[:, :words]
        want = tc0_packed(s.circuit, x[:, :words])
        if not np.array_equal(got, want):
            bad = int(np.count_nonzero(got != want))
            raise SystemExit(f"bitsliced C disagrees with tc0's simulate_packed on {s.name} at batch {batch}: "
                             f"{bad:,} of {want.size:,} output words differ ({build})")
        rows.append({"batch": batch, "seconds": seconds, "gate_samples_per_s": s.gates * batch / seconds,
                     "agrees": True})
    (build / "in.bin").unlink(missing_ok=True)
    (build / "out.bin").unlink(missing_ok=True)
    return {"statements": len(net.op), "live_statements": live_statements(net), "netlist": net.source,
            "functions": -(-len(net.op) // per_function), "generate_s": generate_s, "compile_s": built["compile_s"],
            "gcc": built["gcc"], "flags": flags, "batches": rows}


# --------------------------------------------------------------------- ABC
ABC_ENV = {**os.environ, "MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 50)}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_abc(abc: str, commands: str, work: Path) -> tuple[str, float]:
    """ABC's output (colour codes removed) and the wall seconds of the process."""
    (work / "script.abc").write_text(commands + "\n")
    t = time.perf_counter()
    done = subprocess.run([abc, "-f", "script.abc"], cwd=work, env=ABC_ENV, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise RuntimeError(f"ABC failed: {tail[0]}")
    return ANSI.sub("", done.stdout), wall


def bench_abc(s: Subject, batches, quick: bool, max_bytes: float) -> dict:
    abc = shutil.which("berkeley-abc") or shutil.which("yosys-abc") or shutil.which("abc")
    if abc is None:
        return {"skipped": "no berkeley-abc, yosys-abc or abc on PATH"}
    work = OUT / "abc" / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    aig = work / "circuit.aig"
    try:
        t = time.perf_counter()
        write_aiger(s.circuit, aig)
        export_s = time.perf_counter() - t
        with open(aig, "rb") as fh:
            header = fh.readline().split()
        file_ands = int(header[5])
        try:
            text, _ = run_abc(abc, "&r circuit.aig; &ps", work)
        except RuntimeError as exc:
            return {"skipped": f"ABC cannot read tc0's AIGER export ({file_ands:,} ANDs): {exc}", "file_ands": file_ands}
        found = re.search(r"and\s*=\s*(\d+)", text)
        if found is None:
            return {"skipped": f"ABC's &ps printed no AND count: {text.strip().splitlines()[-1:]}"}
        ands = int(found.group(1))
        if ands == 0 and s.circuit.size > 0:
            return {"skipped": f"ABC read no AND gates from the export ({file_ands:,} in the file)"}
        version = ANSI.sub("", subprocess.run([abc, "-c", "version"], capture_output=True, text=True,
                                              check=False).stdout).strip().splitlines()[-1]
        noop = min(run_abc(abc, "&r circuit.aig; time; time", work)[1] for _ in range(3))
        objects = ands + s.circuit.n_inputs + s.circuit.n_outputs + 1
        target = 0.3 if quick else 1.0
        rows, per_word = [], None
        for batch in batches:
            w = -(-batch // 64)
            need = 2 * 8 * w * objects
            if need > max_bytes:
                rows.append({"batch": batch, "seconds": None, "gate_samples_per_s": None,
                             "skipped": f"simulation signatures need ~{need / 1e9:.1f} GB > --abc-max-gb"})
                continue
            k = 16 if per_word is None else max(1, min(100_000, int(np.ceil(target / (per_word * w)))))
            for _attempt in range(3):
                script = "&r circuit.aig\ntime\n" + f"&sim_gen -W {w}\n" * k + "time"  # ABC cuts long lines
                text, wall = run_abc(abc, script, work)
                reported = float(re.findall(r"elapse:\s*([0-9.]+)", text)[-1])
                if text.count("Generated") != k:
                    raise RuntimeError(f"ABC ran {text.count('Generated')} of {k} &sim_gen commands")
                if reported >= target / 2 or k == 100_000:
                    break
                k = max(k + 1, min(100_000, int(np.ceil(k * target / max(reported, 0.005)))))
            seconds = reported / k
            per_word = max(seconds / w, 1e-9)
            rows.append({"batch": batch, "seconds": seconds, "gate_samples_per_s": s.gates * batch / seconds if seconds else None,
                         "calls": k, "reported_s": reported, "wall_s_per_call": max(wall - noop, 0.0) / k})
        return {"abc_ands": ands, "file_ands": file_ands, "export_s": export_s, "version": version,
                "noop_wall_s": noop, "batches": rows}
    except RuntimeError as exc:
        return {"skipped": str(exc)}
    finally:
        aig.unlink(missing_ok=True)


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


def per_batch(entry: dict, batches) -> list:
    """Gate·samples/s at each batch (None where not measured): per-batch rows, or one figure for every batch."""
    if "batches" in entry:
        by = {row["batch"]: row.get("gate_samples_per_s") for row in entry["batches"]}
        return [by.get(b) for b in batches]
    return [entry.get("gate_samples_per_s")] * len(batches)


def report(info: dict, results: list[dict], batches) -> None:
    load = ", ".join(f"{x:.2f}" for x in info["load_average"])
    print(f"\nMachine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, numpy {info['numpy']}"
          f" (load average at start: {load})")
    print("Throughput in gate·samples/s; gates counted as in the source circuit. Verilator and per-gate Python "
          "evaluate one sample at a time: one figure, shown at every batch.")
    names = {"tc0": "tc0", "tc0_2_threads": "tc0, 2 threads", "bitsliced_c": "bitsliced C",
             "abc": "ABC &sim_gen", "verilator": "Verilator", "python": "per-gate Python"}
    for r in results:
        print(f"\n**{r['name']}**: {r['gates']:,} gates ({r['gates_counted_as']}), {r['strict_gates']:,} strict, "
              f"depth {r['depth']}\n")
        print("| gate·samples/s | " + " | ".join(f"{b:,}" for b in batches) + " |")
        print("|---|" + "---:|" * len(batches))
        figures = {}
        for key, label in names.items():
            figures[key] = per_batch(r[key], batches)
            print(f"| {label} | " + " | ".join(fmt(x) for x in figures[key]) + " |")
        parts = []
        for j, b in enumerate(batches):
            if b < 4096 or figures["tc0"][j] is None:
                continue
            g = figures["tc0"][j]
            c, a, v = figures["bitsliced_c"][j], figures["abc"][j], figures["verilator"][j]
            parts.append(f"{b:,}: " + ", ".join([
                "C —" if c is None else f"{100 * g / c:.1f} % of C",
                "ABC —" if a is None else f"{g / a:.3g}× ABC",
                "Verilator —" if v is None else f"{g / v:.3g}× Verilator"]))
        print("\ntc0 at batch " + ("; ".join(parts) if parts else "≥ 4,096: not measured"))
        notes = [f"tc0 schedule compile {r['tc0']['compile_s']:.2f} s"]
        notes += [f"tc0 batch {row['batch']:,} skipped: {row['skipped']}" for row in r["tc0"]["batches"] if "skipped" in row]
        c = r["bitsliced_c"]
        if "skipped" in c:
            notes.append(f"bitsliced C skipped: {c['skipped']}")
        else:
            notes.append(f"bitsliced C: {c['statements']:,} statements ({c['live_statements']:,} live) in "
                         f"{c['functions']} functions, gcc {c['compile_s']:.1f} s, outputs agree with tc0 at every batch")
        a = r["abc"]
        if "skipped" in a:
            notes.append(f"ABC skipped: {a['skipped']}")
        else:
            notes.append(f"ABC: {a['abc_ands']:,} ANDs after &r ({a['file_ands']:,} in tc0's export)")
            notes += [f"ABC batch {row['batch']:,} skipped: {row['skipped']}" for row in a["batches"] if "skipped" in row]
        v = r["verilator"]
        if "skipped" in v:
            notes.append(f"Verilator skipped: {v['skipped']}")
        else:
            notes.append(f"Verilator: {v['samples']:,} samples, compile {v['compile_s']:.0f} s, outputs on {POOL} inputs "
                         f"{'agree' if v['agrees'] else 'DISAGREE'} with tc0")
        p = r["python"]
        notes.append(f"per-gate Python: {p['samples']} sample{'' if p['samples'] == 1 else 's'}, outputs {'agree' if p['agrees'] else 'DISAGREE'} with tc0")
        print("\n" + "".join(f"- {n}\n" for n in notes), end="")
    print("\n| circuit | strict gates | depth | tc0 compile s | tc0 program B/gate | tc0 buffer B/gate @65536 | "
          "C statements | gcc s | Verilator compile s | ABC ANDs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        t, c, v, a = r["tc0"], r["bitsliced_c"], r["verilator"], r["abc"]
        cells = [r["name"], f"{r['strict_gates']:,}", str(r["depth"]), f"{t['compile_s']:.2f}",
                 f"{t['program_bytes_per_gate']:.1f}", f"{t['buffer_bytes_per_gate_at_65536']:.1f}",
                 f"{c['statements']:,}" if "statements" in c else "—",
                 f"{c['compile_s']:.1f}" if "compile_s" in c else "—",
                 fmt(v.get("compile_s")), f"{a['abc_ands']:,}" if "abc_ands" in a else "—"]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="aes_128 only, batches 64, 1024, 4096, cached C and Verilator builds only")
    parser.add_argument("--circuit", type=Path, action="append", default=[],
                        help="benchmark this saved .tc0 circuit instead of the built-in attention module (repeatable)")
    parser.add_argument("--bristol", action="append", default=[], metavar="NAME",
                        help="benchmark this Bristol circuit of $TC0_BRISTOL_DIR (repeatable; default aes_128 and "
                             "sha256, --quick: aes_128; 'none' for none)")
    parser.add_argument("--no-module", action="store_true", help="leave out the ~10^7-gate attention module")
    parser.add_argument("--no-verilator", action="store_true", help="skip Verilator")
    parser.add_argument("--no-abc", action="store_true", help="skip ABC")
    parser.add_argument("--no-c", action="store_true", help="skip the bitsliced-C anchor")
    parser.add_argument("--verilator-max-edges", type=int, default=500_000,
                        help="skip Verilator for circuits with more fan-in edges (default 500,000: aes_128 has "
                             "212k; Verilator's front end ran over 11 minutes on sha256's 820k without finishing)")
    parser.add_argument("--tc0-budget", type=float, default=300.0,
                        help="skip a tc0 batch whose one call would take longer, extrapolated from the batch "
                             "before (default 300 s; --quick: 5 s)")
    parser.add_argument("--c-max-statements", type=int, default=2_000_000,
                        help="skip the bitsliced-C anchor for circuits with more C statements (default 2,000,000)")
    parser.add_argument("--c-function-statements", type=int, default=2_000,
                        help="statements per generated C function (default 2,000)")
    parser.add_argument("--abc-max-gb", type=float, default=8.0,
                        help="skip ABC batches whose simulation signatures need more memory (default 8 GB)")
    args = parser.parse_args()

    info = machine()
    names = [n for n in args.bristol if n != "none"] if args.bristol else (
        ["aes_128"] if args.quick else ["aes_128", "sha256"])
    subjects = [bristol_subject(n) for n in names]
    if args.circuit:
        subjects += [file_subject(p) for p in args.circuit]
    elif not (args.quick or args.no_module):
        subjects.append(module_subject())
    batches = QUICK_BATCHES if args.quick else BATCHES
    results = []
    for s in subjects:
        print(f"{s.name}: {s.gates:,} gates ({s.gates_source}), {s.circuit.size:,} strict gates, "
              f"{s.circuit.edges:,} edges", flush=True)
        entry = {"name": s.name, "gates": s.gates, "gates_counted_as": s.gates_source,
                 "strict_gates": s.circuit.size, "edges": s.circuit.edges, "depth": s.circuit.depth}
        entry["tc0"] = bench_tc0(s, batches, budget=5.0 if args.quick else args.tc0_budget)
        entry["tc0_2_threads"] = bench_tc0(s, batches, budget=5.0 if args.quick else args.tc0_budget, threads=2)
        entry["bitsliced_c"] = (
            {"skipped": "--no-c"} if args.no_c
            else bench_c(s, batches, args.quick, args.c_max_statements, args.c_function_statements,
                         c_reference(results))
        )
        entry["abc"] = {"skipped": "--no-abc"} if args.no_abc else bench_abc(s, batches, args.quick, args.abc_max_gb * 1e9)
        entry["verilator"] = (
            {"skipped": "--no-verilator"} if args.no_verilator
            else bench_verilator(s, args.quick, args.verilator_max_edges)
        )
        entry["python"] = bench_python(s, budget=0.5 if args.quick else 2.0)
        results.append(entry)
    report(info, results, batches)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / ("simulate-quick.json" if args.quick else "simulate.json")
    path.write_text(json.dumps({"machine": info, "batches": list(batches), "results": results}, indent=2))
    print(f"\nwrote {path}")


def c_reference(results: list[dict]) -> str:
    """The measured gcc time of the largest circuit compiled so far, to say why a bigger one is skipped."""
    done = [r for r in results if "compile_s" in r.get("bitsliced_c", {})]
    if not done:
        return "gcc's time grows with the statements (about 0.15-0.18 ms each here)"
    r = max(done, key=lambda r: r["bitsliced_c"]["statements"])
    c = r["bitsliced_c"]
    return (f"gcc -O2 took {c['compile_s']:.0f} s on {r['name']}'s {c['statements']:,} statements "
            f"({1e3 * c['compile_s'] / c['statements']:.2f} ms each)")


if __name__ == "__main__":
    main()
