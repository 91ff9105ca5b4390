"""Size, edges, depth and build time of the catalog's integer gadgets, and a
comparison of two iterated-sum constructions.

Run: ``python benchmarks/gadgets.py`` (``--help`` for options).

Part 1: one row per catalog circuit (int:add, int:cmp, int:mul over W = 8..64;
int:sum over m = 2..256 at W = 16; int:max over m = 2..128 at W = 16), with the
least-squares exponent of size (and edges) against W or m.

Part 2: ``integer.iterated_sum(b, xs, column_first=True)`` (count every
column first, then the block round, then one adder) against
``column_first=False`` (the block round applied directly to the m rows), for m
numbers of W = 16 bits. The direct block round uses weighted counts of total
weight S = m * (2^B - 1) with B = bit_length(m), i.e. about ceil(W/B) * S^2
threshold fan-ins; rows whose estimate exceeds ``--block-budget`` are skipped
and only the estimate is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tc0 import Builder  # noqa: E402
from tc0.compiler.gadgets import integer  # noqa: E402
from tc0.report.sweeps import fitted_exponent  # noqa: E402
from tc0.compiler.catalog import compile_gadget  # noqa: E402
from machine import cpu_model  # noqa: E402  (benchmarks/machine.py, beside this script)




def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def catalog_table(specs) -> None:
    print(f"{'gadget':<9} {'W':>4} {'m':>4} {'size':>9} {'edges':>11} {'depth':>5} {'build s':>8}")
    for name, param, values, fixed in specs:
        xs, sizes, edges = [], [], []
        for v in values:
            kwargs = {**fixed, param: v}
            c, seconds = timed(lambda: compile_gadget(name, **kwargs))
            m = kwargs.get("m")
            print(f"{name:<9} {kwargs['bits']:>4} {m if m is not None else '-':>4} {c.size:>9} {c.edges:>11} "
                  f"{c.depth:>5} {seconds:>8.3f}")
            xs.append(v)
            sizes.append(c.size)
            edges.append(c.edges)
        x_name = "W" if param == "bits" else "m"
        print(f"  -> {name}: size ~ {x_name}^{fitted_exponent(xs, sizes):.2f}, "
              f"edges ~ {x_name}^{fitted_exponent(xs, edges):.2f}\n")


def build_sum(m: int, w: int, column_first: bool):
    b = Builder()
    rows = b.input("x", m * w).reshape(m, w)
    b.output("y", integer.iterated_sum(b, rows, column_first=column_first))
    return b.build()


def block_estimate(m: int, w: int) -> int:
    """Rough fan-in count of the direct block round (ceil(W/B) * S^2)."""
    block = m.bit_length()
    total = m * ((1 << block) - 1)
    return -(-w // block) * total * total


def sum_comparison(ms, w: int, budget: float) -> None:
    print(f"iterated sum of m numbers of W={w} bits: iterated_sum(column_first=True) vs column_first=False")
    head = f"{'m':>4} | {'col-first size':>14} {'edges':>9} {'depth':>5} {'s':>6} | " \
           f"{'block size':>10} {'edges':>10} {'depth':>5} {'s':>6} | smaller"
    print(head)
    print("-" * len(head))
    col, blk = ([], [], []), ([], [], [])
    for m in ms:
        c1, t1 = timed(lambda: build_sum(m, w, True))
        col[0].append(m), col[1].append(c1.size), col[2].append(c1.edges)
        left = f"{m:>4} | {c1.size:>14} {c1.edges:>9} {c1.depth:>5} {t1:>6.2f} | "
        est = block_estimate(m, w)
        if est > budget:
            skipped = f"{'skipped':>10} {f'~{est:.1e}':>10} {'':>5} {'':>6}"
            print(left + skipped + " | column-first (block not built; estimated fan-ins shown)")
            continue
        c2, t2 = timed(lambda: build_sum(m, w, False))
        blk[0].append(m), blk[1].append(c2.size), blk[2].append(c2.edges)
        smaller = "column-first" if c1.size < c2.size else ("block" if c2.size < c1.size else "tie")
        smaller_e = "column-first" if c1.edges < c2.edges else ("block" if c2.edges < c1.edges else "tie")
        print(left + f"{c2.size:>10} {c2.edges:>10} {c2.depth:>5} {t2:>6.2f} | size: {smaller}, edges: {smaller_e}")
    print(f"  -> column-first: size ~ m^{fitted_exponent(col[0], col[1]):.2f}, "
          f"edges ~ m^{fitted_exponent(col[0], col[2]):.2f} (m = {col[0][0]}..{col[0][-1]})")
    if blk[0]:
        print(f"  -> block:        size ~ m^{fitted_exponent(blk[0], blk[1]):.2f}, "
              f"edges ~ m^{fitted_exponent(blk[0], blk[2]):.2f} (m = {blk[0][0]}..{blk[0][-1]})")
        both = [m for m in blk[0]]
        col_sub = [s for m, s in zip(col[0], col[1]) if m in both]
        print(f"     over the same m: column-first size ~ m^{fitted_exponent(both, col_sub):.2f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block-budget", type=float, default=2e7,
                        help="skip the direct block method when its estimated fan-in count exceeds this")
    parser.add_argument("--max-m", type=int, default=128, help="largest m for int:max (m=128 takes ~5 s)")
    args = parser.parse_args(argv)

    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}\n")

    widths = [8, 16, 32, 64]
    catalog_table([
        ("int:add", "bits", widths, {}),
        ("int:cmp", "bits", widths, {}),
        ("int:mul", "bits", widths, {}),
        ("int:sum", "m", [2, 3, 4, 8, 16, 32, 64, 128, 256], {"bits": 16}),
        ("int:max", "m", [m for m in (2, 4, 8, 16, 32, 64, 128) if m <= args.max_m], {"bits": 16}),
    ])
    sum_comparison([4, 5, 6, 8, 12, 16, 24, 32, 64, 128, 256], 16, args.block_budget)


if __name__ == "__main__":
    main()
