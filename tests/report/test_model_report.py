"""A model family against its paper's lemmas (tc0.report.model_report, behind
``tc0 report``): lemma rows, n and p sweeps, bounds recomputed from
independently compiled gadgets, the formula text. Depth constancy in n at
p = 8 is asserted per module (the modules with attention inside need n = 4
and are marked slow). The command line is tested in
tests/cli/test_cli_report.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tc0.compiler.catalog import compile_gadget
from tc0.errors import ReportError
from tc0.models import lemma
from tc0.report import model_report
from tc0.numerics import FloatFormat
from tc0.report.gadget_depths import GadgetDepths
from tc0.report.model_report import ReportPlan, run_report


@pytest.fixture(scope="module")
def small_report():
    plan = ReportPlan(modules=("matmul", "layernorm", "downsample"), n_values=(1, 2, 4), p_values=(4, 8))
    return run_report(plan)


def test_json_fields_and_lemma_rows(small_report):
    data = json.loads(json.dumps(small_report))  # strictly JSON-serialisable
    assert data["rows"], "no lemma rows"
    for row in data["rows"]:
        for key in ("module", "lemma", "n", "p", "size", "depth", "paper_bound", "bound", "ok_paper", "ok_corrected"):
            assert key in row, key
        assert row["ok_corrected"] == (row["depth"] <= row["bound"])
        assert row["ok_paper"] == (row["depth"] <= row["paper_bound"])
    for name in ("matmul", "layernorm", "downsample"):
        entry = data["modules"][name]
        assert isinstance(entry["depth_constant"], bool)
        assert isinstance(entry["size_exponent"], float)
    assert data["over_corrected"] == []
    # the paper's Lemma 4.7 leaves layer norm's divisions out: its rows exceed the paper's bound
    over = {f"{r['module']} n={r['n']} p={r['p']}" for r in data["rows"] if r["depth"] > r["paper_bound"]}
    assert set(data["over_paper"]) == over
    assert any(name.startswith("layernorm") for name in over)
    # downsample refuses n = 1 (factor 2): skipped with the reason, not dropped
    assert "divisible" in data["modules"]["downsample"]["skipped"]["1"]


def test_bounds_from_independently_measured_gadgets(small_report):
    """The layer-norm row's bounds, recomputed from freshly compiled gadgets."""
    depth = lambda name, m=None: compile_gadget(name, m=m, p=8).depth  # noqa: E731
    d_std = max(depth("float:add"), depth("float:mul"), depth("float:lt"))
    d_sum = depth("float:sum", 4)  # c = 4 channels
    row = next(r for r in small_report["rows"] if r["module"] == "layernorm" and r["p"] == 8)
    assert row["c"] == 4
    assert row["paper_bound"] == 5 * d_std + 2 * d_sum + depth("float:sqrt")
    assert row["bound"] == 2 * d_std + 2 * d_sum + depth("float:sqrt") + 3 * depth("float:div")
    assert "division" in row["omits"]


def test_size_exponents_match_structure(small_report):
    """matmul and layer norm are per token: size exactly proportional to n^2."""
    for name in ("matmul", "layernorm"):
        sweep = small_report["modules"][name]
        sizes = [pt["size"] for pt in sweep["points"]]
        assert sizes[1] == 4 * sizes[0] and sizes[2] == 16 * sizes[0]
        assert abs(sweep["size_exponent"] - 2) < 1e-9


def test_p_sweep_lists_every_p(small_report):
    for name, pts in small_report["p_sweep"].items():
        assert [pt["p"] for pt in pts] == [4, 8], name


@pytest.mark.parametrize(
    "modules,n_values,c",
    [
        (("matmul", "mlp", "ffn", "layernorm"), (1, 2, 4), 2),
        (("upsample",), (1, 2), 2),
        (("downsample",), (2, 4), 2),
        pytest.param(("upsample",), (1, 2, 4), 2, marks=pytest.mark.slow),
        pytest.param(("downsample",), (2, 4, 8), 2, marks=pytest.mark.slow),
    ],
)
def test_depth_constant_in_n(modules, n_values, c):
    report = run_report(ReportPlan(modules=modules, n_values=n_values, p_values=(8,), c=c))
    for name in modules:
        sweep = report["modules"][name]
        assert not sweep["skipped"], sweep["skipped"]
        assert sweep["depth_constant"], (name, [pt["depth"] for pt in sweep["points"]])
    assert report["over_corrected"] == []


@pytest.mark.slow
def test_depth_constant_in_n_with_attention():
    """Attention sums over the n^2 tokens: from n = 2 on (m >= 4) its depth is fixed."""
    modules = ("attention", "transformer", "flow-matching")
    report = run_report(ReportPlan(modules=modules, n_values=(2, 4), p_values=(8,), c=1, max_gates=20_000_000))
    for name in modules:
        sweep = report["modules"][name]
        assert sweep["depth_constant"] and sweep["depth_constant_from"] == 2, (name, sweep["points"])
    assert report["over_corrected"] == []


def test_report_without_rows_is_an_error():
    """Every point skipped (here: above both budgets) is a refusal naming the reasons, not "0 rows OK"."""
    with pytest.raises(ReportError, match="no lemma row.*max-stream-gates"):
        run_report(ReportPlan(modules=("matmul",), n_values=(2,), p_values=(8,), max_gates=1, max_stream_gates=1))


def test_formula_text():
    assert lemma.formula_text({"std": 2, "sum": 1}) == "2d_std + d_⊕"
    assert lemma.formula_text({"std": 6, "sum": 6, "exp": 1, "div": 1}) == "6d_std + 6d_⊕ + d_exp + d_div"
    assert model_report.gadget_of("attention/attention/fexp/round_pack") == "fexp"
    assert model_report.gadget_of("flowar/scale1/upsample") == "other"
    assert np.isclose(GadgetDepths(FloatFormat(8, 9)).evaluate({"std": 1}, 4), compile_gadget("float:add", p=8).depth)


def test_points_past_max_gates_are_streamed():
    """Above --max-gates a point is measured streamed: the same depth as its whole build, size within 1%;
    above --max-stream-gates it is skipped with the reason."""
    from tc0.models.compile import build_circuit
    from tc0.models.module import make_config, random_weights
    from tc0.models.registry import get_module
    from tc0.numerics import FloatFormat

    report = run_report(ReportPlan(modules=("attention",), n_values=(1, 2, 3), p_values=(8,), c=2, max_gates=200_000,
                                   max_stream_gates=2_000_000))
    points = {pt["n"]: pt for pt in report["points"]}
    assert not points[1]["streamed"] and points[2]["streamed"]
    assert points[3]["skipped"] and "--max-stream-gates" in points[3]["skipped"]
    spec = get_module("attention")
    cfg = make_config(spec, n=2, c=2)
    whole = build_circuit(spec, cfg, FloatFormat(8), random_weights(spec, cfg, seed=0))
    assert points[2]["depth"] == whole.depth and 0 <= points[2]["size"] - whole.size <= 0.02 * whole.size
    assert report["breakdown"]["attention"]["n"] == 1  # the largest whole build: its critical path is known


def test_streamed_point_whose_gadget_exceeds_the_piece_budget():
    """A sum larger than --piece-gates is streamed in pieces of one sum, not refused; same depth as whole."""
    from tc0.compiler.catalog import compile_gadget
    from tc0.models.compile import build_circuit
    from tc0.models.module import make_config, random_weights
    from tc0.models.registry import get_module
    from tc0.numerics import FloatFormat

    assert compile_gadget("float:sum", m=4, p=8).size > 1_000
    report = run_report(ReportPlan(modules=("matmul",), n_values=(2,), p_values=(8,), max_gates=1, piece_gates=1_000))
    point = report["points"][0]
    spec = get_module("matmul")
    cfg = make_config(spec, n=2, c=4)
    whole = build_circuit(spec, cfg, FloatFormat(8), random_weights(spec, cfg, seed=0))
    assert point["streamed"] and point["depth"] == whole.depth


@pytest.mark.slow
def test_default_report_has_flowar_depth_constant():
    """The default plan streams flowar at n = 4 and 8: depth constant, a numeric size exponent, every module."""
    report = run_report(ReportPlan())
    for name, sweep in report["modules"].items():
        assert sweep["depth_constant"] is True, (name, sweep["points"])
        assert isinstance(sweep["size_exponent"], float), name
    assert {pt["n"] for pt in report["modules"]["flowar"]["points"]} == {2, 4, 8}


@pytest.fixture(scope="module")
def series_report():
    plan = ReportPlan(modules=("matmul", "layernorm"), n_values=(1, 2), p_values=(8, 16, 32), c=3, method="series")
    return run_report(plan)


def test_series_report_rows_flat_in_p_with_wide_words(series_report):
    """p = 32 is a 66-bit word: built like any other; every lemma row's depth
    is the same at every p, and its bound uses the series gadgets' depths."""
    assert series_report["plan"]["method"] == {8: "series", 16: "series", 32: "series"}
    for name in ("matmul", "layernorm"):
        depths = {pt["p"]: pt["depth"] for pt in series_report["p_sweep"][name]}
        assert sorted(depths) == [8, 16, 32] and len(set(depths.values())) == 1, (name, depths)
    row = next(r for r in series_report["rows"] if r["module"] == "layernorm" and r["p"] == 32)
    depth = lambda name, m=None, method=None: compile_gadget(name, m=m, p=32, e=33, method=method).depth  # noqa: E731
    d_std = max(depth("float:add"), depth("float:mul"), depth("float:lt"))
    assert row["bound"] == (2 * d_std + 2 * depth("float:sum", 3) + depth("float:sqrt", method="series")
                            + 3 * depth("float:div", method="series"))
    assert row["depth"] <= row["bound"]


def test_report_refuses_p_past_128_and_unknown_methods():
    with pytest.raises(ReportError, match="p up to 128"):
        ReportPlan(modules=("matmul",), p_values=(8, 129))
    with pytest.raises(ReportError, match="method must be one of"):
        ReportPlan(modules=("matmul",), method="fast")
    with pytest.raises(ReportError, match="optimize must be one of"):
        ReportPlan(modules=("matmul",), optimize="speed")


def test_report_built_for_depth_measures_depth_builds():
    """--optimize depth: every point and gadget depth is the depth build's."""
    from tc0.models.compile import build_circuit
    from tc0.models.module import make_config, random_weights
    from tc0.models.registry import get_module

    plan = ReportPlan(modules=("matmul",), n_values=(1,), p_values=(4,), c=2, optimize="depth")
    report = run_report(plan)
    assert report["plan"]["optimize"] == "depth"
    fmt = FloatFormat(4, 5, optimize="depth")
    spec = get_module("matmul")
    cfg = make_config(spec, n=1, c=2)
    circuit = build_circuit(spec, cfg, fmt, random_weights(spec, cfg, seed=plan.seed))
    (row,) = report["rows"]
    assert (row["depth"], row["size"]) == (circuit.depth, circuit.size)
    assert report["gadget_depths"][4]["d_std"] == compile_gadget("float:add", p=4, optimize="depth").depth
    assert "built for depth" in model_report_markdown(report)


def test_diagonal_pairs_each_n_with_one_p():
    plan = ReportPlan(modules=("matmul",), n_values=(1, 2), p_values=(8, 16), c=2, method="series", diagonal=True)
    assert plan.points() == [("matmul", 1, 8), ("matmul", 2, 16)]
    report = run_report(plan)
    assert [(r["n"], r["p"]) for r in report["rows"]] == [(1, 8), (2, 16)]
    sweep = report["modules"]["matmul"]
    assert [pt["n"] for pt in sweep["points"]] == [1, 2] and sweep["depth_constant"]
    assert "(n, p) pairs" in model_report_markdown(report)
    with pytest.raises(ReportError, match="pairs each n with one p"):
        ReportPlan(modules=("matmul",), n_values=(1, 2, 4), p_values=(8, 16), diagonal=True)


def model_report_markdown(report):
    from tc0.report.model_markdown import markdown

    return markdown(report)
