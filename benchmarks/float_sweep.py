"""Depth and size of every float gadget of the catalog across p.

Run: ``python benchmarks/float_sweep.py`` (``--help`` for options).

For each p (default 4, 8, 12, 16, 24; e = p + 1 unless ``--e`` is given)
builds add, sub, mul, div, sqrt, exp, lt, eq, max, relu, sum (m = 16),
prod (m = 8) and dot (m = 16), each in a child process with a time limit
(``--timeout``) and an address-space limit (``--memory-gb``): a point that
exceeds either is skipped with the reason printed, and the same gadget is
not attempted at larger p (its circuits only grow with p). Prints a table
(depth, and size) and which depths are the same across the p measured;
writes everything to benchmarks/out/float_sweep.json.

``--p`` takes a comma-separated list with ranges, e.g. ``--p 4-16,20,24``,
and ``--gadgets`` a subset (``--gadgets add,mul,sum``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tc0.numerics import FloatFormat  # noqa: E402
from tc0.compiler.catalog import compile_gadget  # noqa: E402
from machine import cpu_model  # noqa: E402  (benchmarks/machine.py, beside this script)

GADGETS = ["add", "sub", "mul", "div", "sqrt", "exp", "lt", "eq", "max", "relu", "sum", "prod", "dot"]
M = {"sum": 16, "prod": 8, "dot": 16}
OUT = Path(__file__).resolve().parent / "out" / "float_sweep.json"




def parse_ps(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    return sorted(set(out))


def _build(conn, op, p, e, m, memory_bytes):
    """Child process: build one gadget, send back its measures."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        t0 = time.perf_counter()
        c = compile_gadget(f"float:{op}", m=m, p=p, e=e)
        seconds = time.perf_counter() - t0
        conn.send({"size": c.size, "depth": int(c.depth), "edges": c.edges, "seconds": round(seconds, 2)})
    except MemoryError:
        conn.send({"skipped": f"needs more than {memory_bytes / 2**30:.0f} GB of memory"})
    except Exception as exc:  # report, do not hide: the table shows it
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def measure(op, p, e, m, timeout, memory_bytes) -> dict:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_build, args=(child, op, p, e, m, memory_bytes))
    t0 = time.perf_counter()
    proc.start()
    child.close()
    result = None
    if parent.poll(timeout):
        try:
            result = parent.recv()
        except EOFError:
            result = None
    if result is None:
        alive = proc.is_alive()
        proc.kill()
        proc.join()
        if alive:
            result = {"skipped": f"build took more than {timeout:.0f} s"}
        else:
            result = {"skipped": f"build process died (exit code {proc.exitcode}; likely out of memory)"}
    else:
        proc.join()
    result["wall_seconds"] = round(time.perf_counter() - t0, 2)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p", default="4,8,12,16,24", help="p values: list with ranges, e.g. 4-16,24 [4,8,12,16,24]")
    ap.add_argument("--e", type=int, default=None, help="exponent bits for every p [default: p + 1]")
    ap.add_argument("--gadgets", default=",".join(GADGETS), help="subset of: " + ",".join(GADGETS))
    ap.add_argument("--timeout", type=float, default=600, help="seconds per build before skipping [600]")
    ap.add_argument("--memory-gb", type=float, default=14, help="address-space limit per build [14]")
    ap.add_argument("--out", type=Path, default=OUT, help="JSON output [benchmarks/out/float_sweep.json]")
    args = ap.parse_args(argv)
    ps = parse_ps(args.p)
    ops = [g.strip() for g in args.gadgets.split(",") if g.strip()]
    unknown = [g for g in ops if g not in GADGETS]
    if unknown:
        ap.error(f"unknown gadgets {unknown}; known: {GADGETS}")
    memory = int(args.memory_gb * 2**30)

    points = []
    given_up: dict[str, str] = {}
    for p in ps:
        e = args.e if args.e is not None else p + 1
        try:
            FloatFormat(p, e)
        except ValueError as exc:
            print(f"p = {p}: skipped ({exc})", flush=True)
            continue
        for op in ops:
            m = M.get(op)
            if op in given_up:
                rec = {"skipped": f"not attempted: {given_up[op]}"}
            else:
                rec = measure(op, p, e, m, args.timeout, memory)
                if "skipped" in rec or "error" in rec:
                    given_up[op] = f"p = {p} was already skipped ({rec.get('skipped') or rec.get('error')})"
            rec = {"gadget": f"float:{op}", "op": op, "m": m, "p": p, "e": e, **rec}
            points.append(rec)
            status = (f"depth {rec['depth']:>4}  size {rec['size']:>10}  edges {rec['edges']:>11}  {rec['seconds']:>7.2f} s"
                      if "depth" in rec else f"SKIPPED: {rec.get('skipped') or rec.get('error')}")
            print(f"p = {p:>2} e = {e:>2}  {op:<5}{'' if m is None else f' m={m}':<6} {status}", flush=True)

    # ---- table and the same-across-p statement
    label = lambda op: op + (f" m={M[op]}" if op in M else "")  # noqa: E731
    by = {(r["op"], r["p"]): r for r in points}
    measured_ps = sorted({r["p"] for r in points})
    print()
    print("Depth (size) per p" + ("" if args.e is not None else ", e = p + 1"))
    header = f"| {'gadget':<10} | " + " | ".join(f"p = {p:<13}" for p in measured_ps) + " |"
    print(header)
    print("|" + "-" * 12 + "|" + "|".join("-" * 19 for _ in measured_ps) + "|")
    for op in ops:
        cells = []
        for p in measured_ps:
            r = by.get((op, p))
            cells.append(f"{r['depth']:>3} ({r['size']:>9})" if r and "depth" in r else f"{'skipped':<15}")
        print(f"| {label(op):<10} | " + " | ".join(f"{c:<17}" for c in cells) + " |")

    summary = {}
    print()
    for op in ops:
        depths = {p: by[(op, p)]["depth"] for p in measured_ps if (op, p) in by and "depth" in by[(op, p)]}
        values = sorted(set(depths.values()))
        missing = [p for p in measured_ps if p not in depths]
        note = f" (not measured at p = {', '.join(map(str, missing))})" if missing else ""
        if len(values) == 1:
            text = f"{label(op)}: depth {values[0]} at every measured p{note}"
        elif not values:
            text = f"{label(op)}: not measured"
        else:
            text = f"{label(op)}: depth CHANGES with p: " + ", ".join(f"p={p}: {d}" for p, d in depths.items()) + note
        summary[op] = {"depths": depths, "same_across_p": len(values) == 1, "missing_p": missing}
        print(text)
    same = [label(op) for op in ops if summary[op]["same_across_p"]]
    differ = [label(op) for op in ops if not summary[op]["same_across_p"] and summary[op]["depths"]]
    print(f"\nSame depth across the measured p: {', '.join(same) or 'none'}.")
    print(f"Depth differs across p: {', '.join(differ) or 'none'}.")

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    except OSError:
        commit = ""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "timeout_seconds": args.timeout,
        "memory_gb": args.memory_gb,
        "p": measured_ps,
        "e": args.e if args.e is not None else "p + 1",
        "m": M,
        "points": points,
        "depth_across_p": summary,
    }, indent=2))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
