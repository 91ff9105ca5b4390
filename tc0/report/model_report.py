"""``tc0 report``: build every module of a model family over a sweep of n
(and of p), and set the measured depth and size against the paper's lemmas.

The report holds:

* ``rows``: one lemma row per built point (``lemma_rows``): measured depth
  and size, the paper's formula and bound, the corrected formula and bound
  where the paper leaves an operation out, and a verdict against each
  (``ok_paper``, ``ok_corrected``); ``over_paper`` and ``over_corrected``
  name the rows above either bound;
* ``modules``: per module the n sweep at the main p: depth and size per n,
  whether depth is constant from some n on, and the least-squares exponent of
  log size against log n beside the exponent the paper's runtime implies;
* ``p_sweep``: per module, depth and size over p at one small n;
* ``breakdown``: per module (largest n built), gates and critical-path depth
  by float gadget;
* ``gadget_depths``: d_std, d_⊕(m), d_exp, d_sqrt, d_div per p.

A point whose estimate fits ``max_gates`` is built whole; one above it is
streamed (DESIGN section 9: measured piece by piece, never held whole) up to
``max_stream_gates``. Whole points are independent tasks on the runner's
workers; streamed points spread their pieces over the same workers. Points
above both budgets, or whose shape a module refuses (flowar needs n
divisible by a^(K-1)), are listed as skipped with the reason, never dropped
silently.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from tc0.cluster import Runner
from tc0.compiler.catalog import METHOD_CHOICES, float_format, module_format
from tc0.errors import ModelError, ReportError
from tc0.ir.measures import scope_breakdown
from tc0.models.backends import value_backend
from tc0.models.backends.stream import DEFAULT_PIECE_GATES
from tc0.models.compile import build_circuit
from tc0.models.config import ModelConfig, positive_int
from tc0.models.estimate import Estimate, estimate
from tc0.models.module import Family, make_config, random_inputs, random_weights
from tc0.models.prepare import fast_plan, prepare
from tc0.models.registry import FAMILIES, FAST_VARIANT, get_module
from tc0.models.run import run
from tc0.models.streamed import group_scopes, split_at_gadget, stream_module
from tc0.numerics import FloatFormat
from tc0.numerics.format import OPTIMIZE
from tc0.report.gadget_depths import GadgetDepths
from tc0.report.lemma_rows import lemma_row
from tc0.report.sweeps import Sweep, fitted_exponent


@dataclass(frozen=True)
class ReportPlan:
    """What ``tc0 report`` builds: the exact modules of a family (default: all of them)."""

    family: str = "flowar"
    modules: tuple[str, ...] = ()
    n_values: tuple[int, ...] | None = None  # default: the family's, else DEFAULTS
    p_values: tuple[int, ...] = (4, 8, 12)
    c: int = 4
    scales: int | None = None
    factor: int = 2
    max_gates: int = 12_000_000
    max_stream_gates: int | None = None
    piece_gates: int = DEFAULT_PIECE_GATES
    seed: int = 0
    fast_n: tuple[int, ...] = (4, 8, 16, 32)  # n of the exact-vs-fast comparison (estimates, float64)
    method: str = "table"  # of div, sqrt and exp: "table", "series" or "auto" (per p, the smaller)
    diagonal: bool = False  # the i-th n with the i-th p (the regime p = poly(n)) instead of the two sweeps
    optimize: str = "size"  # build every point for size or for depth (tc0.compiler.negations, docs/gadgets.md)

    #: the values of the fields left None, unless the family's ``report_defaults`` give others
    DEFAULTS: ClassVar[dict] = {"n_values": (1, 2, 4, 8), "scales": 2, "max_stream_gates": 1_000_000_000}

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ReportError(f"unknown family {self.family!r}; known: {', '.join(FAMILIES)}", parameters=("family",))
        for name, value in {**self.DEFAULTS, **self.family_spec.report_defaults}.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if not self.modules:
            exact = tuple(name for name, spec in self.family_spec.modules.items() if spec.fast_of is None)
            object.__setattr__(self, "modules", exact)
        for name in self.modules:
            if get_module(name).fast_of is not None:
                raise ReportError(f"{name} is a fast variant: it is reported beside its exact module",
                                  parameters=("modules",))
            if name not in self.family_spec.modules:
                raise ReportError(f"{name} is not a module of the family {self.family}", parameters=("modules",))
        for name, values in (("n_values", self.n_values), ("p_values", self.p_values)):
            if not values:
                raise ReportError(f"{name} is empty", parameters=(name,))
            if any(not isinstance(v, int) or v < 1 for v in values):
                raise ReportError(f"{name} values must be positive integers, got {list(values)}", parameters=(name,))
        if self.diagonal and len(self.n_values) != len(self.p_values):
            raise ReportError(f"a diagonal pairs each n with one p: {len(self.n_values)} n values, "
                              f"{len(self.p_values)} p values", parameters=("n_values", "p_values"))
        for name in ("c", "scales", "factor"):
            positive_int(name, getattr(self, name))
        if self.method not in METHOD_CHOICES:
            raise ReportError(f"method must be one of {', '.join(METHOD_CHOICES)}, got {self.method!r}",
                              parameters=("method",))
        if self.optimize not in OPTIMIZE:
            raise ReportError(f"optimize must be one of {', '.join(OPTIMIZE)}, got {self.optimize!r}",
                              parameters=("optimize",))
        for p in self.p_values:
            try:
                float_format(p, None, modules=True)
            except ValueError as exc:
                raise ReportError(f"p_values: {exc}", parameters=("p_values",)) from None
        for name in ("max_gates", "max_stream_gates", "piece_gates"):
            if getattr(self, name) < 1:
                raise ReportError(f"{name} must be >= 1, got {getattr(self, name)}", parameters=(name,))

    @property
    def family_spec(self) -> Family:
        return FAMILIES[self.family]

    def fmt(self, p: int) -> FloatFormat:
        """The format of the points at p: e = p + 1, div/sqrt/exp by ``method`` (auto: resolved at p),
        built for ``optimize``."""
        return module_format(p, None, self.method, self.optimize)

    @property
    def main_p(self) -> int:
        """The p of the n sweep: 8 if listed, else the first."""
        return 8 if 8 in self.p_values else self.p_values[0]

    def p_sweep_n(self, module: str) -> int:
        """The n of the p sweep: the smallest listed n >= 2 the module accepts (else the smallest)."""
        valid = [n for n in sorted(self.n_values) if self.config(module, n, check=False) is not None]
        larger = [n for n in valid if n >= 2]
        return (larger or valid or sorted(self.n_values))[0]

    def config(self, module: str, n: int, check: bool = True) -> ModelConfig | None:
        """The module's config at n, or None (check=False) / ModelError if it refuses n."""
        spec = get_module(module)
        given = {name: value for name, value in (("scales", self.scales), ("factor", self.factor))
                 if name in spec.parameters}
        try:
            return make_config(spec, n=n, c=self.c, **given)
        except ModelError:
            if check:
                raise
            return None

    def steps(self) -> int:
        """Progress steps of ``run_report``: points, then comparison rows."""
        return len(self.points()) + (len(self.fast_n) + 1) * sum(m in self.modules for m in FAST_VARIANT)

    def points(self) -> list[tuple[str, int, int]]:
        """(module, n, p) of every point: the n sweep at main p, then the p sweep
        (diagonal: the pairs of the i-th smallest n and p)."""
        if self.diagonal:
            return [(m, n, p) for m in self.modules for n, p in zip(sorted(self.n_values), sorted(self.p_values))]
        out = [(m, n, self.main_p) for m in self.modules for n in sorted(self.n_values)]
        for m in self.modules:
            out += [(m, self.p_sweep_n(m), p) for p in sorted(self.p_values) if p != self.main_p]
        return out


@dataclass
class Point:
    """One (module, n, p): built, or skipped with a reason."""

    module: str
    n: int
    p: int
    e: int
    estimate: int | None = None
    size: int | None = None
    edges: int | None = None
    depth: int | None = None
    seconds: float | None = None
    skipped: str | None = None
    streamed: bool = False
    row: dict | None = None
    breakdown: list = field(default_factory=list)

    def as_dict(self) -> dict:
        keys = ("module", "n", "p", "e", "estimate", "size", "edges", "depth", "seconds", "skipped", "streamed")
        return {k: getattr(self, k) for k in keys}


def gadget_of(scope: str) -> str:
    """The outermost float gadget in a scope path ("other" outside any)."""
    return split_at_gadget(scope)[1] or "other"


@dataclass(frozen=True)
class _Prepared:
    """A point ready to build: its module, config, weights, format and estimate."""

    spec: object
    cfg: ModelConfig
    weights: dict
    fmt: FloatFormat
    estimate: Estimate


def _prepare(plan: ReportPlan, point: Point) -> _Prepared | None:
    """Estimate the point; None (and ``point.skipped`` says why) when it is not to be built."""
    spec = get_module(point.module)
    try:
        cfg = plan.config(point.module, point.n)
    except ModelError as exc:
        point.skipped = str(exc)
        return None
    fmt = plan.fmt(point.p)
    weights = random_weights(spec, cfg, seed=plan.seed)
    cfg = prepare(spec, cfg, weights)  # once: a fast module's calibration runs the float64 model
    est = estimate(spec, cfg, fmt, weights)
    point.estimate = est.gates
    point.streamed = est.gates > plan.max_gates
    if est.gates > plan.max_stream_gates:
        point.skipped = (f"estimated {est.gates:,} gates > streaming budget {plan.max_stream_gates:,} "
                         "(--max-stream-gates)")
        return None
    return _Prepared(spec, cfg, weights, fmt, est)


def _build_whole(point: Point, ready: _Prepared, max_gates: int) -> Point:
    """Build the point's circuit whole and measure it (a task: runs on any worker)."""
    start = time.perf_counter()
    circuit = build_circuit(ready.spec, ready.cfg, ready.fmt, ready.weights, max_gates=max_gates)
    point.seconds = round(time.perf_counter() - start, 2)
    point.size, point.edges, point.depth = circuit.size, circuit.edges, circuit.depth
    point.breakdown = scope_breakdown(circuit, group=gadget_of)
    return point


def _stream(point: Point, ready: _Prepared, plan: ReportPlan, runner: Runner) -> Point:
    """Measure the point streamed, its pieces on ``runner`` (no critical path per gadget). A point
    whose largest single operation exceeds the piece budget gets pieces of one such operation."""
    piece_gates = max(plan.piece_gates, ready.estimate.largest_element)
    streamed = stream_module(ready.spec, ready.cfg, ready.fmt, ready.weights, runner, piece_gates=piece_gates)
    point.seconds = round(streamed.seconds, 2)
    point.size, point.edges, point.depth = streamed.size, streamed.edges, streamed.depth
    point.breakdown = [{"scope": g, "size": size, "depth_on_critical_path": None}
                       for g, size in group_scopes(streamed.scope_sizes, gadget_of)]
    return point


def measure_points(plan: ReportPlan, wanted: list[tuple[str, int, int]], depths: dict[int, GadgetDepths],
                   runner: Runner, progress=None) -> list[Point]:
    """Build or stream every (module, n, p) of ``wanted`` (or say why not) and
    evaluate its lemma row; whole builds run as tasks on ``runner`` while the
    streamed points feed it their pieces. ``progress`` (a tqdm bar) advances per point."""

    def advance(point: Point | None = None) -> None:
        if progress is not None:
            if point is not None:
                progress.set_postfix_str(f"{point.module} n={point.n} p={point.p}", refresh=False)
            progress.update(1)

    points = [Point(m, n, p, plan.fmt(p).e) for m, n, p in wanted]
    ready = [_prepare(plan, pt) for pt in points]
    handles: list = list(points)
    for i, (pt, r) in enumerate(zip(points, ready)):
        if r is None:
            advance(pt)
        elif not pt.streamed:
            handles[i] = runner.submit(_build_whole, pt, r, plan.max_gates, on_done=advance)
    for i, (pt, r) in enumerate(zip(points, ready)):
        if r is not None and pt.streamed:
            handles[i] = _stream(pt, r, plan, runner)
            advance(pt)
    points = runner.gather(handles)
    for pt, r in zip(points, ready):
        if r is not None and r.spec.fast_of is None:
            pt.row = lemma_row(plan.family_spec.lemmas, pt.module, r.cfg, depths[pt.p], pt.size, pt.depth,
                               r.estimate.largest_sum)
    return points


def module_sweep(family: Family, module: str, points: list[Point]) -> dict:
    """The n sweep of one module: measures per built n, constancy of depth, fitted size exponent."""
    built = [pt for pt in points if pt.skipped is None]
    sweep = Sweep(module, "n", [pt.n for pt in built], [pt.size for pt in built], [pt.edges for pt in built],
                  [pt.depth for pt in built])
    data = sweep.as_dict()
    fit = [n for n in sweep.values if sweep.constant_from is None or n >= sweep.constant_from]
    for key in ("size_exponent", "edges_exponent"):
        if data[key] != data[key]:  # NaN: fewer than two points to fit
            data[key] = None
    data.update({
        "skipped": {pt.n: pt.skipped for pt in points if pt.skipped is not None},
        "paper_exponent": family.paper_exponents[module],
        "fitted_on_n": fit,
    })
    data["depth_constant_measured"] = len(built) >= 2
    if len(built) < 2:
        data["depth_constant"] = False
        data["note"] = "fewer than two points built"
    return data


def fast_comparison(plan: ReportPlan, exact: str, depths: dict[int, GadgetDepths], runner: Runner,
                    progress=None) -> dict:
    """Exact module against its AAttC variant: the fast circuit built at the
    p-sweep's n (size, depth), estimated sizes over ``plan.fast_n`` (no gates
    built; upper bounds) with fitted exponents, and the float64 l-inf error of
    fast against exact on seeded inputs."""
    fast_name = FAST_VARIANT[exact]
    fmt = plan.fmt(plan.main_p)
    built = measure_points(plan, [(fast_name, plan.p_sweep_n(exact), plan.main_p)], depths, runner,
                           progress)[0].as_dict()
    rows = []
    for n in plan.fast_n:
        row, outputs = {"n": n}, {}
        for name in (exact, fast_name):
            spec, cfg = get_module(name), plan.config(name, n, check=False)
            if cfg is None:
                row["skipped"] = f"{name} refuses n = {n}"
                break
            weights = random_weights(spec, cfg, seed=plan.seed)
            prepared = prepare(spec, cfg, weights)
            row[f"{name}_estimate"] = estimate(spec, prepared, fmt, weights).gates
            x = random_inputs(spec, prepared, seed=plan.seed + 1)
            start = time.perf_counter()
            outputs[name] = np.asarray(run(spec, prepared, value_backend("float64"), x, weights))
            row[f"{name}_float64_seconds"] = round(time.perf_counter() - start, 4)
            if prepared.poly is not None:
                row.update(fast_plan(prepared))
        if "skipped" not in row:
            row["linf_error"] = float(np.max(np.abs(outputs[exact] - outputs[fast_name])))
        rows.append(row)
        if progress is not None:
            progress.update(1)
    fitted = [r for r in rows if "skipped" not in r]
    exponents = {}
    if len(fitted) >= 2:
        for name in (exact, fast_name):
            exponents[name] = fitted_exponent([r["n"] for r in fitted], [r[f"{name}_estimate"] for r in fitted])
    return {"exact": exact, "fast": fast_name, "built": built, "points": rows, "size_exponent_estimated": exponents}


def _row_name(row: dict) -> str:
    return f"{row['module']} n={row['n']} p={row['p']}"


def run_report(plan: ReportPlan, progress=None, runner: Runner | None = None) -> dict:
    """Build every point of the plan and assemble the report (see the module docstring).
    ``progress`` (a tqdm bar) is advanced per point; ``runner``: where points
    and pieces run (default: this process)."""
    runner = runner or Runner()
    depths = {p: GadgetDepths(plan.fmt(p)) for p in plan.p_values}
    points = measure_points(plan, plan.points(), depths, runner, progress)
    main = points if plan.diagonal else [pt for pt in points if pt.p == plan.main_p]
    modules = {m: module_sweep(plan.family_spec, m, [pt for pt in main if pt.module == m]) for m in plan.modules}
    rows = [pt.row for pt in points if pt.row is not None]
    if not rows:
        reasons = sorted({pt.skipped for pt in points if pt.skipped})
        raise ReportError("no lemma row: every point was skipped (" + "; ".join(reasons) + ")",
                          parameters=("max_gates", "max_stream_gates"))
    breakdown = {}
    for m in plan.modules:
        built = [pt for pt in main if pt.module == m and pt.skipped is None]
        if built:  # the largest whole build (its critical path per gadget is known), else the largest streamed
            top = max(built, key=lambda pt: (not pt.streamed, pt.n))
            breakdown[m] = {"n": top.n, "p": top.p, "gadgets": top.breakdown}
    return {
        "plan": {"family": plan.family, "title": plan.family_spec.title, "modules": list(plan.modules), "n": list(plan.n_values), "p": list(plan.p_values),
                 "main_p": plan.main_p, "c": plan.c, "scales": plan.scales, "factor": plan.factor,
                 "max_gates": plan.max_gates, "max_stream_gates": plan.max_stream_gates,
                 "piece_gates": plan.piece_gates, "workers": runner.workers, "seed": plan.seed,
                 "method": {p: plan.fmt(p).method for p in plan.p_values}, "diagonal": plan.diagonal,
                 "optimize": plan.optimize},
        "gadget_depths": {p: {**{f"d_{k}": v for k, v in d.fixed.items()}, "d_sum(4)": d.sum(4)}
                          for p, d in depths.items()},
        "rows": rows,
        "over_paper": [_row_name(r) for r in rows if r["ok_paper"] is False],
        "over_corrected": [_row_name(r) for r in rows if not r["ok_corrected"]],
        "modules": modules,
        "p_sweep": {m: sorted((pt.as_dict() for pt in points
                               if pt.module == m and (plan.diagonal or pt.n == plan.p_sweep_n(m))),
                              key=lambda pt: pt["p"])
                    for m in plan.modules},
        "points": [pt.as_dict() for pt in points],
        "breakdown": breakdown,
        "fast": [fast_comparison(plan, m, depths, runner, progress) for m in FAST_VARIANT if m in plan.modules],
    }
