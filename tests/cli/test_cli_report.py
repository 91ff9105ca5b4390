"""``tc0 report`` on the command line: a verdict that fails exits with status
1; Markdown, JSON and HTML outputs; one-line errors for bad options and
unwritable paths. The report itself is tested in
tests/report/test_model_report.py."""

from __future__ import annotations

import base64
import json
import re

import pytest
from cli_helpers import fails, no_temp_files, ok, run

from tc0.models import lemma
from tc0.models.flowar import lemmas


def test_verdict_can_fail(monkeypatch, tmp_path):
    """A formula the circuit cannot meet gives NOT OK rows and exit status 1."""
    monkeypatch.setitem(lemmas.LEMMAS, "matmul", lemma.Lemma("matmul", "4.1", {"std": 0}))
    result = run("report", "--modules", "matmul", "--n", "1", "--p", "8")
    assert result.exit_code == 1
    assert "NOT OK: 1 of 1 rows exceed the corrected bound (matmul n=1 p=8)" in result.output


def test_cli_markdown_json_html(tmp_path):
    args = ("report", "--modules", "matmul,mlp", "--n", "1,2", "--p", "8")
    text = ok(*args).output
    assert text.splitlines()[2] == ("**All 4 lemma rows are within the paper's bound; "
                                    "all 4 are within the corrected bound.**")
    assert "| matmul | 4.1 |" in text
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
