"""The CLI's error messages name flags, not Python names: tc0 errors name
the parameters they are about (``exc.parameters``), and the CLI
(``_reports_errors``) rewrites each one that is an option of the current
command as that option's flag (``max_gates`` -> ``--max-gates``, ``times``
-> ``--t``), as a whole word only. Commands run in-process through
``tests/cli_helpers.fails`` (a clean one-line click error).

Oracle: the flags each command defines (``tc0 CMD --help``) and the words
of the message that must survive untouched."""

from __future__ import annotations

import re

import numpy as np
import pytest
from cli_helpers import fails

from tc0.models.arrays import write_arrays


def flags_in(line: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][\w-]*", line))


def assert_whole_words(line: str):
    """A flag never starts inside a word ("p-bit" must not become "p---bit")."""
    assert not re.search(r"\w--[a-z]", line), line


CASES = [
    # (args, flags the message must name, words that must stay as they are)
    (("compile", "attention", "--max-gates", "1000"), {"--max-gates"}, ["attention", "n=2", "c=4", "p=8", "gates"]),
    (("compile", "float:add"), {"--p"}, ["float gadgets", "significand"]),
    (("compile", "float:add", "--p", "1"), {"--p"}, []),
    (("compile", "float:add", "--p", "4", "--e", "1"), {"--e"}, []),
    (("compile", "matmul", "--n", "0"), {"--n"}, ["positive integer"]),
    (("compile", "matmul", "--c", "0"), {"--c"}, ["positive integer"]),
    (("compile", "ffn", "--hidden", "0"), {"--hidden"}, []),
    (("compile", "matmul", "--r-bound", "-1"), {"--r-bound"}, ["positive number"]),
    (("compile", "matmul", "--scales", "2"), {"--scales"}, ["matmul takes no"]),
    (("compile", "attention", "--factor", "3"), {"--factor"}, ["attention takes no"]),
    (("compile", "matmul", "--delta", "0.1"), {"--delta", "--degree"}, ["fast modules", "matmul"]),
    (("compile", "fast-attention", "--delta", "-1"), {"--delta"}, ["positive number"]),
    (("compile", "fast-attention", "--degree", "99"), {"--degree"}, []),
    # n inside "downsample" and "not" stays
    (("compile", "downsample", "--n", "3"), {"--n", "--factor"}, ["downsample:", "is not divisible"]),
    # "scales" is in the message but not among the error's parameters: it stays a word
    (("compile", "flowar", "--n", "4", "--factor", "1"), {"--factor"}, ["several scales"]),
    # times -> --t, and "timestep(s)" (which starts with "times") stays
    (("compile", "flowar", "--n", "4", "--t", "0.5"), {"--t"}, ["timestep(s)", "scale(s)"]),
    (("compile", "int:add", "--bits", "0"), {"--bits"}, ["int:add"]),
    # m inside "int:sum", "number" and "operands" stays
    (("compile", "int:sum", "--bits", "4", "--m", "0"), {"--m"}, ["int:sum"]),
    (("compile", "float:sum", "--p", "4"), {"--m"}, ["float:sum needs", "number of operands"]),
    (("compile", "float:add", "--p", "4", "--m", "3"), {"--m"}, ["float:add takes no"]),
    # e inside "gadget", "use", "integer" stays; p/e become --p/--e
    (("compile", "float:add", "--bits", "4", "--p", "4"), {"--p", "--e", "--bits"}, ["float gadget", "use"]),
    (("compile", "int:add", "--p", "4"), {"--p", "--e", "--bits"}, ["integer gadget", "use"]),
    (("check", "float:add", "--p", "4", "--samples", "-1"), {"--samples"}, []),
    (("check", "matmul", "--samples", "0"), {"--samples"}, []),
    (("gadgets", "--p", "4", "--max-m-sum", "1"), {"--max-m-sum"}, []),
    (("gadgets", "--p", "4", "--max-m-sum", "257"), {"--max-m-sum"}, ["2..256"]),
    (("gadgets", "--p", "4", "--max-m-prod", "64"), {"--max-m-prod"}, []),
    (("gadgets", "--p", "1"), {"--p"}, []),
    (("report", "--n", ""), {"--n"}, []),
    (("report", "--n", "0,2"), {"--n"}, ["positive integers"]),
    (("report", "--p", "0"), {"--p"}, ["positive integers"]),
    (("report", "--max-gates", "0"), {"--max-gates"}, []),
]


@pytest.mark.parametrize("args, flags, words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_errors_name_flags(tmp_path, args, flags, words):
    extra = ("-o", tmp_path / "out.tc0") if args[0] == "compile" else ()
    line = fails(*args, *extra, needles=tuple(flags) + tuple(words))
    assert flags_in(line) == flags, line
    assert_whole_words(line)


def test_only_the_errors_parameters_are_rewritten(tmp_path):
    """The budget error names only max_gates: n, c and p in "n=2 c=4 p=8"
    are flags of compile too, but stay as written."""
    line = fails("compile", "attention", "--max-gates", "1000", "-o", tmp_path / "x.tc0")
    assert "attention at n=2 c=4 p=8" in line
    assert "--n" not in line and "--p" not in line
    assert line.count("--max-gates") == 2  # "> --max-gates 1,000" and "raise --max-gates"
    assert "max_gates" not in line


def test_parameter_inside_words_not_rewritten(tmp_path):
    """'p/e apply to backend pbit': p, e and backend are all named; the p in
    "apply" and "pbit" and the e in "backend" are not."""
    inputs = tmp_path / "in.npz"
    write_arrays(inputs, {"X": np.zeros((2, 2, 4))})
    line = fails("run", "matmul", "--backend", "float64", "--p", "4", "--inputs", inputs, "-o", tmp_path / "y.npz")
    assert flags_in(line) == {"--p", "--e", "--backend"}
    assert "--p/--e apply to --backend pbit" in line
    assert "-pbit" not in line and "--apply" not in line
    assert_whole_words(line)


# ---------------------------------------------------------------- found while writing these tests (fixed)


def test_report_bad_p_names_the_flag():
    line = fails("report", "--p", "1", "--modules", "matmul", "--n", "1")
    assert flags_in(line) == {"--p"}


def test_too_wide_format_names_the_flags(tmp_path):
    line = fails("compile", "matmul", "--p", "129", "--e", "40", "-o", tmp_path / "x.tc0")
    assert {"--p", "--e"} <= flags_in(line)


def test_report_refuses_zero_channels():
    fails("report", "--c", "0", "--modules", "matmul", "--n", "1", "--p", "4", needles=("--c",))


@pytest.mark.parametrize("args, flag", [
    (("compile", "matmul", "--seed", "-1"), "--seed"),
    (("weights", "matmul", "--seed", "-1"), "--seed"),
    (("inputs", "matmul", "--seed", "-1"), "--seed"),
    (("check", "float:add", "--p", "4", "--samples", "10", "--seed", "-1"), "--seed"),
    (("check", "matmul", "--samples", "1", "--case-seed", "-1"), "--case-seed"),
])
def test_negative_seed_is_a_clean_error(tmp_path, args, flag):
    extra = ("-o", tmp_path / ("out.tc0" if args[0] == "compile" else "out.npz")) if args[0] != "check" else ()
    fails(*args, *extra, needles=(flag,))
