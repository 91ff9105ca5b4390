"""``tc0 check`` of an integer gadget: its circuit against Python integers,
exhaustively for small binary gadgets, else on edge cases and random inputs."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator

import numpy as np

from tc0.compiler.catalog import DEFAULT_BITS, FLOAT_GADGETS, GADGETS, compile_gadget
from tc0.errors import GadgetError
from tc0.models.module import check_seed
from tc0.simulator import bits_to_ints, ints_to_bits, simulate
from tc0.verify.gadget_summary import KEEP, SAMPLE_BATCH, check_samples

#: integer gadgets with at most this many input pairs (or --samples, if larger) are checked on all of them
EXHAUSTIVE_PAIRS = 1 << 16


_INT_OPS: dict[str, Callable] = {
    "int:add": lambda a, b, W: {"y": a + b},
    "int:sub": lambda a, b, W: {"y": (a - b) % (1 << (W + 1))},
    "int:cmp": lambda a, b, W: {"lt": int(a < b), "eq": int(a == b)},
    "int:lt-delta": lambda a, b, W: {"lt": int(a < b)},
    "int:mul": lambda a, b, W: {"y": a * b},
    "int:sum": lambda row, W: {"y": sum(row)},
    "int:max": lambda row, W: {"y": max(row)},
    "int:prod": lambda row, W: {"y": math.prod(row)},
}
#: the depth records compute what these do
_INT_OPS.update({"int:lt-weights": _INT_OPS["int:lt-delta"], "int:add-delta": _INT_OPS["int:add"],
                 "int:sum-delta": _INT_OPS["int:sum"], "int:mul-delta": _INT_OPS["int:mul"]})


def check_int_gadget(name: str, bits: int | None = None, m: int | None = None, samples: int = 10000,
                     seed: int = 0, optimize: str = "size") -> dict:
    """Compile the catalog integer gadget ``name`` and compare it with Python
    integers: on every input pair when there are at most
    max(``samples``, EXHAUSTIVE_PAIRS) of them (binary gadgets, W <= 8 by
    default), else on edge cases plus ``samples`` random inputs
    (0..``MAX_SAMPLES``); in batches of ``SAMPLE_BATCH`` cases, so that
    memory stays bounded."""
    if name not in GADGETS:
        if name in FLOAT_GADGETS:
            raise GadgetError(f"{name} is a float gadget: use p/e, not bits", parameters=("bits", "p", "e"))
        raise GadgetError(f"unknown integer gadget {name!r}; known: {', '.join(GADGETS)}")
    check_samples(samples)
    seed = check_seed(seed)
    t0 = time.perf_counter()
    circuit = compile_gadget(name, bits, m, optimize=optimize)
    t_build = time.perf_counter() - t0
    W = DEFAULT_BITS if bits is None else bits
    reduce = GADGETS[name].uses_m
    exhaustive = not reduce and (1 << (2 * W)) <= max(samples, EXHAUSTIVE_PAIRS)
    fn = _INT_OPS[name]
    total = mismatches = n_edge = 0
    first: list[dict] = []
    t_sim = 0.0
    for kind, cases in _batches(W, m, reduce, exhaustive, samples, seed):
        n_edge += len(cases) if kind == "edge" else 0
        if reduce:
            inputs = {"x": np.concatenate([ints_to_bits([c[j] for c in cases], W) for j in range(m)], axis=1)}
        else:
            inputs = {"a": ints_to_bits([c[0] for c in cases], W), "b": ints_to_bits([c[1] for c in cases], W)}
        t0 = time.perf_counter()
        outputs = simulate(circuit, inputs)
        t_sim += time.perf_counter() - t0
        got = {port: bits_to_ints(v) for port, v in outputs.items()}
        for i, case in enumerate(cases):
            want = fn(case, W) if reduce else fn(case[0], case[1], W)
            for port, v in want.items():
                width = outputs[port].shape[1]
                if got[port][i] != v % (1 << width) or v >> width:
                    mismatches += 1
                    if len(first) < KEEP:
                        first.append({"inputs": [hex(x) for x in case], "port": port, "circuit": hex(got[port][i]),
                                      "python": hex(v)})
                    break
        total += len(cases)
    return {
        "gadget": name,
        "bits": W,
        "m": m,
        "ok": not mismatches,
        "bit_exact": not mismatches,
        "mismatches": mismatches,
        "oracle_mismatches": 0,
        "samples": total,
        "random_samples": 0 if exhaustive else samples,
        "edge_cases": n_edge,
        "exhaustive": exhaustive,
        "seed": seed,
        "oracle": "Python integers",
        "size": circuit.size,
        "depth": circuit.depth,
        "edges": circuit.edges,
        "first_mismatches": first,
        "seconds": {"build": round(t_build, 3), "simulate": round(t_sim, 3)},
    }


def _batches(W: int, m: int | None, reduce: bool, exhaustive: bool, samples: int,
             seed: int) -> Iterator[tuple[str, list]]:
    """("edge" or "cases", a batch of cases): every pair in order when
    ``exhaustive``, else the edge cases, then ``samples`` random ones in
    batches of at most SAMPLE_BATCH (a pair (a, b), or m numbers when ``reduce``)."""
    if exhaustive:
        pairs = 1 << (2 * W)
        for start in range(0, pairs, SAMPLE_BATCH):
            index = range(start, min(start + SAMPLE_BATCH, pairs))
            yield "cases", [(i >> W, i & ((1 << W) - 1)) for i in index]
        return
    top = (1 << W) - 1
    rnd = random.Random(seed)

    def value():
        return rnd.getrandbits(rnd.randint(0, W)) if rnd.random() < 0.3 else rnd.getrandbits(W)

    special = sorted({0, 1, top, top - 1 if W > 1 else 0, 1 << (W - 1), (1 << (W - 1)) - 1})
    if reduce:
        edge = [[v] * m for v in special] + [[rnd.choice(special) for _ in range(m)] for _ in range(50)]
    else:
        edge = [(x, y) for x in special for y in special] + [(x, x) for x in (value() for _ in range(50))]
    for start in range(0, len(edge), SAMPLE_BATCH):
        yield "edge", edge[start : start + SAMPLE_BATCH]
    for start in range(0, samples, SAMPLE_BATCH):
        count = min(SAMPLE_BATCH, samples - start)
        yield "cases", ([[value() for _ in range(m)] for _ in range(count)] if reduce
                        else [(value(), value()) for _ in range(count)])
