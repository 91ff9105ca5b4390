"""``tc0 report``: lemma rows, n and p sweeps, JSON and HTML outputs, bad
options. Depth constancy in n at p = 8 is asserted per module (the modules
with attention inside need n = 4 and are marked slow)."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from cli_helpers import fails, no_temp_files, ok, run
from tc0.compiler.catalog import compile_gadget
from tc0.models import lemma
from tc0.models.flowar import lemmas
from tc0.report import model_report
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
        for key in ("module", "lemma", "n", "p", "size", "depth", "bound", "ok"):
            assert key in row, key
        assert row["ok"] == (row["depth"] <= row["bound"])
    for name in ("matmul", "layernorm", "downsample"):
        entry = data["modules"][name]
        assert isinstance(entry["depth_constant"], bool)
        assert isinstance(entry["size_exponent"], float)
    assert data["all_ok"] is True
    # downsample refuses n = 1 (factor 2): skipped with the reason, not dropped
    assert "divisible" in data["modules"]["downsample"]["skipped"]["1"]


def test_bounds_from_independently_measured_gadgets(small_report):
    """The layer-norm row's bounds, recomputed from freshly compiled gadgets."""
    depth = lambda name, m=None: compile_gadget(name, m=m, p=8).depth  # noqa: E731
    d_std = max(depth("float:add"), depth("float:mul"), depth("float:lt"))
    d_sum2 = depth("float:sum", 2)  # c = 2 channels
    row = next(r for r in small_report["rows"] if r["module"] == "layernorm" and r["p"] == 8)
    assert row["paper_bound"] == 5 * d_std + 2 * d_sum2 + depth("float:sqrt")
    assert row["bound"] == 2 * d_std + 2 * d_sum2 + depth("float:sqrt") + 3 * depth("float:div")
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
    assert report["all_ok"]


@pytest.mark.slow
def test_depth_constant_in_n_with_attention():
    """Attention sums over the n^2 tokens: from n = 2 on (m >= 4) its depth is fixed."""
    modules = ("attention", "transformer", "flow-matching")
    report = run_report(ReportPlan(modules=modules, n_values=(2, 4), p_values=(8,), c=1, max_gates=20_000_000))
    for name in modules:
        sweep = report["modules"][name]
        assert sweep["depth_constant"] and sweep["depth_constant_from"] == 2, (name, sweep["points"])
    assert report["all_ok"]


def test_verdict_can_fail(monkeypatch, tmp_path):
    """A formula the circuit cannot meet gives NOT OK rows and exit status 1."""
    monkeypatch.setitem(lemmas.LEMMAS, "matmul", lemma.Lemma("matmul", "4.1", {"std": 0}))
    result = run("report", "--modules", "matmul", "--n", "1", "--p", "8")
    assert result.exit_code == 1
    assert "NOT OK" in result.output


def test_cli_markdown_json_html(tmp_path):
    args = ("report", "--modules", "matmul,mlp", "--n", "1,2", "--p", "8")
    text = ok(*args).output
    assert "Every lemma row is OK" in text and "| matmul | 4.1 |" in text
    data = json.loads(ok(*args, "--format", "json").output)
    assert {"rows", "modules"} <= set(data)
    page = tmp_path / "report.html"
    ok(*args, "--format", "html", "-o", page)
    html = page.read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) >= 3
    assert all(base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    assert "<table>" in html and "4.1" in html
    no_temp_files(tmp_path)


@pytest.mark.parametrize(
    "args,needles",
    [
        (["--n", ""], ["--n", "empty"]),
        (["--n", "1,x"], ["--n", "1,x"]),
        (["--n", "0,2"], ["--n", "positive"]),
        (["--p", ""], ["--p", "empty"]),
        (["--p", "1"], ["p"]),
        (["--p", "8,abc"], ["--p"]),
        (["--modules", "matmul,nope"], ["unknown module", "nope"]),
        (["--modules", ","], ["no modules"]),
        (["--max-gates", "0"], ["--max-gates"]),
        (["--format", "html"], ["-o"]),
    ],
)
def test_bad_report_options(args, needles):
    fails("report", *args, needles=needles)


def test_unwritable_report_path(tmp_path):
    fails("report", "--modules", "matmul", "--n", "1", "-o", tmp_path / "missing" / "r.md", needles=("missing",))
    fails("report", "--modules", "matmul", "--n", "1", "-o", tmp_path, needles=("directory",))
    no_temp_files(tmp_path)


def test_formula_text():
    assert lemma.formula_text({"std": 2, "sum": 1}) == "2d_std + d_⊕"
    assert lemma.formula_text({"std": 6, "sum": 6, "exp": 1, "div": 1}) == "6d_std + 6d_⊕ + d_exp + d_div"
    assert model_report.gadget_of("attention/attention/fexp/round_pack") == "fexp"
    assert model_report.gadget_of("flowar/scale1/upsample") == "other"
    assert np.isclose(GadgetDepths(8, 9).evaluate({"std": 1}, 4), compile_gadget("float:add", p=8).depth)
