"""A module run streamed (DESIGN section 9): its definition on the streamed
backend, the pieces run on a ``Runner``, their measures summed.

Depth is the deepest output bit, each piece's inputs starting at the level
they were carried with; size is the sum of the pieces' sizes. With sample
input sets, every piece is simulated and compared with the p-bit reference
operation, and the output words come back for the caller to compare end to
end.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tc0.cluster import Runner
from tc0.compiler.gadgets.floats import SCOPES
from tc0.memory import peak_bytes
from tc0.models.backends.pieces import gather_wires, measures_of
from tc0.models.backends.stream import DEFAULT_PIECE_GATES, StreamBackend
from tc0.models.config import ModelConfig
from tc0.models.estimate import estimate
from tc0.models.module import ModuleSpec
from tc0.models.prepare import prepare
from tc0.numerics import FloatFormat


@dataclass(frozen=True)
class StreamedRun:
    """Measures of a streamed run.

    ``scope_sizes``: gates per scope path. ``mismatches``: per piece that
    differed from the p-bit reference, (operation, scope, words that
    differ). ``output_words`` (samples, outputs) and ``output_level``
    (outputs, width) are the output's words (None when measuring) and bit
    levels. ``peak_rss`` adds this process's peak resident memory to that of
    every worker process that ran a piece (an upper bound on their peak
    together)."""

    size: int
    edges: int
    depth: int
    pieces: int
    expected_gates: int
    scope_sizes: dict[str, int]
    mismatches: list[tuple[str, str, int]]
    output_words: np.ndarray | None
    output_level: np.ndarray
    peak_rss: int
    workers: int
    where: str
    seconds: float


def stream_module(
    spec: ModuleSpec,
    cfg: ModelConfig,
    fmt: FloatFormat,
    weights: dict,
    runner: Runner,
    *,
    cases: list[dict] | None = None,
    weights_as_inputs: bool = False,
    piece_gates: int = DEFAULT_PIECE_GATES,
    progress: Callable[[int, int], None] | None = None,
) -> StreamedRun:
    """Stream the module. ``cases`` (sample input sets, float64 arrays by
    input name) make it a check; without them it only measures.
    ``progress(done, total)`` is called as pieces finish, with estimated gates
    (``total``: the module's estimate, an upper bound)."""
    start = time.perf_counter()
    cfg = prepare(spec, cfg, weights)
    samples = len(cases) if cases else 0
    finished = None
    if progress is not None:  # the estimate is the progress bar's total: priced only for a bar
        total, done = estimate(spec, cfg, fmt, weights).gates, [0]

        def finished(gates: int) -> None:
            done[0] += gates
            progress(done[0], total)

    B = StreamBackend(fmt, runner, samples=samples, piece_gates=piece_gates, progress=finished)

    def words_of(arrays):
        return np.stack([fmt.encode(a) for a in arrays]) if samples else None

    with B.scope(spec.name):
        x = {name: B.input(shape, words_of([case[name] for case in cases or ()]))
             for name, shape in spec.inputs(cfg).items()}
        if weights_as_inputs:
            w = {name: B.input(np.shape(arr), words_of([arr] * samples)) for name, arr in weights.items()}
        else:
            w = {name: B.constant(arr) for name, arr in weights.items()}
        y = np.asarray(spec.forward(B, x, w, cfg)).reshape(-1)

    # of the pieces only their measures come back; of the outputs' origins, their wires
    results = runner.gather([runner.submit(measures_of, B.origins[info.origin]) for info in B.pieces])
    used, output_origin = np.unique(y["origin"], return_inverse=True)
    out = gather_wires(output_origin, y["pos"], runner.gather([B.origins[k] for k in used]), fmt)
    scope_sizes: Counter[str] = Counter()
    worker_peak: dict[int, int] = {}
    for r in results:
        scope_sizes.update(r.scope_sizes)
        if r.pid != os.getpid():
            worker_peak[r.pid] = max(worker_peak.get(r.pid, 0), r.peak_rss)
    return StreamedRun(
        size=sum(r.size for r in results),
        edges=sum(r.edges for r in results),
        depth=int(out.level.max(initial=0)),
        pieces=len(results),
        expected_gates=sum(info.expected_gates for info in B.pieces),
        scope_sizes=dict(scope_sizes),
        mismatches=[(info.op, info.scope, r.mismatches) for info, r in zip(B.pieces, results) if r.mismatches],
        output_words=out.words,
        output_level=out.level,
        peak_rss=peak_bytes() + sum(worker_peak.values()),
        workers=runner.workers,
        where=runner.where,
        seconds=time.perf_counter() - start,
    )


def stream_measures(run: StreamedRun, scopes: bool = False) -> dict:
    """The run's measures as a JSON-ready dict (with ``scopes``: gates per scope path, largest first)."""
    out = {
        "size": run.size,
        "depth": run.depth,
        "edges": run.edges,
        "streamed": True,
        "pieces": run.pieces,
        "estimated_gates": run.expected_gates,
        "workers": run.workers,
        "cluster": run.where,
        "peak_rss_bytes": run.peak_rss,
        "seconds": round(run.seconds, 3),
        "mismatching_ops": [{"op": op, "scope": scope, "words": count} for op, scope, count in run.mismatches],
    }
    if scopes:
        ranked = sorted(run.scope_sizes.items(), key=lambda kv: (-kv[1], kv[0]))
        out["scopes"] = [{"scope": scope, "size": size} for scope, size in ranked]
    return out


#: the scope names of the float gadgets ("fadd", ...)
GADGET_SCOPES = frozenset(SCOPES.values())


def split_at_gadget(path: str) -> tuple[str, str | None]:
    """(the scope ``path`` cut after its outermost float gadget scope, that
    gadget scope); (``path``, None) when no gadget scope is on it."""
    parts = path.split("/")
    cut = next((i for i, part in enumerate(parts) if part in GADGET_SCOPES), None)
    return (path, None) if cut is None else ("/".join(parts[: cut + 1]), parts[cut])


def group_scopes(scope_sizes: dict[str, int], key: Callable[[str], str]) -> list[tuple[str, int]]:
    """Gates summed per ``key(scope path)``, largest first."""
    totals: Counter[str] = Counter()
    for path, size in scope_sizes.items():
        totals[key(path)] += size
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


def module_scopes(scope_sizes: dict[str, int]) -> list[tuple[str, int]]:
    """Gates per module scope: each path cut after its first gadget scope
    (``float:add`` ...), largest first."""
    return group_scopes(scope_sizes, lambda path: split_at_gadget(path)[0])
