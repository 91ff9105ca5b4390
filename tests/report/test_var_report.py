"""``tc0 report`` on the VAR family: rows judged against tc0's derived
bounds only (seed 004 states no depth lemma, so ``paper_bound`` is None and
no row can be "over the paper's bound"), the derived formulas as
``tc0.models.var.lemmas`` documents them, depth constant in n, and the HTML
page with one section per family."""

from __future__ import annotations

import pytest

from tc0.numerics import FloatFormat
from tc0.report.gadget_depths import GadgetDepths
from tc0.report.html import render
from tc0.report.model_markdown import markdown, verdict
from tc0.report.model_report import ReportPlan, run_report


@pytest.fixture(scope="module")
def var_report():
    return run_report(ReportPlan(family="var", modules=("conv", "var-reconstruct"), n_values=(2, 4), p_values=(8,),
                                 c=2))


def test_var_rows_have_no_paper_bound(var_report):
    assert var_report["plan"]["scales"] == 2  # the family's report default
    rows = var_report["rows"]
    assert {r["module"] for r in rows} == {"conv", "var-reconstruct"}
    assert all(r["paper_bound"] is None and r["ok_paper"] is None and r["ok_corrected"] for r in rows)
    assert var_report["over_paper"] == [] and var_report["over_corrected"] == []
    assert verdict(var_report).startswith(f"**The paper states no depth bound for these {len(rows)} rows")


def test_derived_bounds_are_the_documented_formulas(var_report):
    depths = GadgetDepths(FloatFormat(8, 9))
    d_std = depths.fixed["std"]
    for r in var_report["rows"]:
        # conv = 2 d_std + d_sum(9c); var-reconstruct at K = 2: up + conv + (K - 1) adds = 4 d_std + 2 d_sum
        k, sums = (2, 1) if r["module"] == "conv" else (4, 2)
        assert r["m"] == 9 * r["c"] == 18
        assert r["bound"] == k * d_std + sums * depths.sum(18)
        assert r["depth"] <= r["bound"]


def test_depth_is_constant_in_n(var_report):
    for sweep in var_report["modules"].values():
        assert sweep["depth_constant"] and sweep["size_exponent"] is not None
        # conv and reconstruction are ~n^2 (Lemma D.4); above 2 at n = 2 -> 4 as the padding share falls
        assert 1.8 < sweep["size_exponent"] < 3


def test_markdown_and_html_sections(var_report):
    flowar = run_report(ReportPlan(modules=("matmul",), n_values=(1, 2), p_values=(8,), c=2))
    assert "| conv | derived |" in markdown(var_report)
    page = render([flowar, var_report])
    assert page.count("<section>") == 2
    assert "FlowAR modules against the TC0 lemmas" in page and "VAR modules against tc0" in page
