"""Limits checked before work, and honest run/check results, through the CLI
(issue #15): every numeric option of the module and gadget commands has a
documented range and is refused outside it with a one-line error naming the
flag, before anything of the refused size is allocated; float64 runs and
checks warn where the result does not show what went wrong; non-real arrays
are refused by name.

Oracles: the options' own help, a subprocess under an address-space limit
(``bounded_cli.run_cli``), tracemalloc's peak in process, and values
computed by hand."""

from __future__ import annotations

import json
import re
import time
import tracemalloc

import click
import numpy as np
import pytest
from bounded_cli import needs_proc, run_cli
from cli_helpers import fails, ok, run

from tc0.cli import main

HUGE = 10**30
#: the commands a module or a gadget is given to, and whose numeric options must state their range
COMMANDS = ("compile", "check", "measure", "weights", "inputs", "run", "gadgets")
#: how an option's help states a range: "1..16", ">= 1", "> 0", "in [0, 1]", or a click range type
RANGE = re.compile(r"\d\.\.\d|>= ?\d|> ?0|in \[")


def _numeric_options():
    for name in COMMANDS:
        for param in main.commands[name].params:
            if isinstance(param, click.Option) and not param.is_flag and (
                    isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType))
                    or param.name == "times"):
                yield name, param


@pytest.mark.parametrize("command, option", [(c, o.opts[0]) for c, o in _numeric_options()])
def test_every_numeric_option_documents_its_range(command, option):
    param = next(p for p in main.commands[command].params if p.opts[0] == option)
    assert isinstance(param.type, click.IntRange) or RANGE.search(param.help or ""), param.help


#: (arguments, the flag the error must name); -o is added where the command needs it
OUT_OF_RANGE = [
    *[((cmd, "attention", flag, value), flag) for cmd in ("compile", "weights", "inputs", "measure", "check")
      for flag, value in (("--n", 10**6), ("--n", 0), ("--c", 10**5), ("--c", -1))],
    (("compile", "upsample", "--factor", 10**6), "--factor"),
    (("compile", "upsample", "--factor", 0), "--factor"),
    (("compile", "upsample", "--n", 200, "--factor", 64), "--factor"),
    (("weights", "flowar", "--scales", 10**6), "--scales"),
    (("weights", "flowar", "--n", 4096, "--c", 1, "--scales", 12), "--scales"),
    (("weights", "ffn", "--hidden", 10**12), "--hidden"),
    (("weights", "ffn", "--hidden", 0), "--hidden"),
    (("weights", "matmul", "--seed", 2**63), "--seed"),
    (("weights", "matmul", "--bound", "1e400"), "--bound"),
    (("weights", "matmul", "--bound", "nan"), "--bound"),
    (("compile", "fast-attention", "--delta", "nan"), "--delta"),
    (("compile", "fast-attention", "--degree", 10**6), "--degree"),
    (("compile", "fast-attention", "--r-bound", "1e400"), "--r-bound"),
    (("compile", "fast-attention", "--r-bound", "1e300"), "--r-bound"),
    (("compile", "flow-matching", "--t", "nan"), "--t"),
    (("compile", "matmul", "--p", HUGE), "--p must be in 2..4096"),
    (("compile", "matmul", "--p", 129), "--p up to 128"),
    (("check", "attention", "--e", 130), "--e up to 129"),
    (("compile", "matmul", "--e", 1), "--e"),
    (("compile", "matmul", "--max-gates", 0), "--max-gates"),
    (("check", "matmul", "--samples", 10**9), "--samples"),
    (("check", "matmul", "--samples", 0), "--samples"),
    (("check", "flowar", "--n", 16, "--stream", "--samples", 10**4), "--samples"),
    (("check", "matmul", "--case-seed", -1), "--case-seed"),
    (("check", "matmul", "--stream", "--piece-gates", 0), "--piece-gates"),
    (("check", "matmul", "--stream", "--workers", 10**6), "--workers"),
    (("measure", "matmul", "--workers", 0), "--workers"),
    (("check", "float:add", "--p", 4, "--samples", 10**9), "--samples"),
    (("check", "float:add", "--p", 4, "--samples", -1), "--samples"),
    (("check", "int:add", "--samples", 10**9), "--samples"),
    (("check", "int:add", "--seed", HUGE), "--seed"),
    (("check", "int:add", "--bits", HUGE), "--bits"),
    (("check", "int:sum", "--bits", 4, "--m", HUGE), "--m"),
    (("check", "float:sum", "--p", 4, "--m", 10**6), "--m"),
    (("compile", "float:add", "--p", 10**6, "-o", "x.tc0"), "--p must be in 2..4096"),
    (("gadgets", "--p", 4, "--max-m-sum", HUGE), "--max-m-sum"),
    (("gadgets", "--p", 4, "--max-m-prod", 0), "--max-m-prod"),
]


@pytest.mark.parametrize("args, flag", OUT_OF_RANGE, ids=[" ".join(map(str, a)) for a, _ in OUT_OF_RANGE])
def test_out_of_range_is_one_clean_line_before_any_large_allocation(tmp_path, args, flag):
    needs_out = args[0] in ("compile", "weights", "inputs") and "-o" not in args
    extra = ("-o", tmp_path / "out") if needs_out else ()
    args = tuple(tmp_path / a if a == "x.tc0" else a for a in args)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        fails(*args, *extra, needles=(flag,))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 10 and peak < 64 << 20
    assert not any(tmp_path.iterdir())


@needs_proc
@pytest.mark.parametrize("args", [
    ("weights", "attention", "--n", "1000000"),
    ("compile", "attention", "--c", "100000"),
    ("run", "attention", "--n", "1000", "--inputs", "in.npz"),
    ("check", "attention", "--samples", "1000000000"),
    ("check", "float:add", "--p", "4", "--samples", "10000000000"),
    ("check", "int:add", "--bits", "16", "--samples", "1000000000"),
], ids=lambda a: " ".join(a))
def test_reported_cases_refused_within_1_gb_and_10_s(tmp_path, args):
    """The reported tracebacks (and the hang), in a process limited to 1 GB of address space."""
    if args[0] in ("weights", "compile", "run"):
        args = (*args, "-o", str(tmp_path / "out"))
    args = tuple(str(tmp_path / a) if a == "in.npz" else a for a in args)
    proc = run_cli(*args, address_space=1_000_000 << 10, timeout=60)  # ulimit -v 1000000 (KiB)
    assert proc.seconds < 10
    assert proc.returncode in (1, 2), proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr and lines[-1].startswith("Error: ") and len(lines) <= 4, proc.stderr


# ------------------------------------------------------------------ honest results


def test_run_warns_on_overflow_with_exit_0(tmp_path):
    """Weights of 1e300 make attention all NaN: one warning line per cause on
    stderr, and the same in --json, beside the written file."""
    ok("weights", "attention", "--bound", "1e300", "-o", tmp_path / "w.npz")
    ok("inputs", "attention", "-o", tmp_path / "x.npz")
    args = ("run", "attention", "--weights", tmp_path / "w.npz", "--inputs", tmp_path / "x.npz",
            "-o", tmp_path / "y.npz")
    result = ok(*args)
    assert result.stdout.startswith("wrote ")
    assert result.stderr.splitlines() == [
        "Warning: attention: matrix product gave inf or NaN from finite operands (overflow) (16 entries)",
        "Warning: Y holds 16 NaN or infinite entries of 16"]
    with np.load(tmp_path / "y.npz") as y:
        assert np.isnan(y["Y"]).all()
    data = json.loads(ok(*args, "--json").stdout)
    assert data["warnings"] == [line.removeprefix("Warning: ") for line in result.stderr.splitlines()]


def test_run_warns_on_underflowed_softmax(tmp_path):
    """Attention inputs of 1000 with W_K = -W_Q: every exponential underflows
    and float64 writes zeros where the attention is V."""
    c = 4
    np.savez(tmp_path / "w.npz", W_Q=np.eye(c), W_K=-np.eye(c), W_V=np.eye(c))
    np.savez(tmp_path / "x.npz", X=np.full((2, 2, c), 1000.0))
    result = ok("run", "attention", "--weights", tmp_path / "w.npz", "--inputs", tmp_path / "x.npz",
                "-o", tmp_path / "y.npz")
    with np.load(tmp_path / "y.npz") as y:
        assert np.all(y["Y"] == 0)  # V = X W_V = 1000 everywhere
    assert result.stderr == "Warning: attention: 0/0 taken as 0: a divisor underflowed or cancelled to 0 (16 entries)\n"


def test_run_without_trouble_is_silent(tmp_path):
    ok("inputs", "flowar", "--n", 4, "--c", 3, "-o", tmp_path / "x.npz")
    result = ok("run", "flowar", "--n", 4, "--c", 3, "--inputs", tmp_path / "x.npz", "-o", tmp_path / "y.npz")
    assert result.stderr == ""
    data = json.loads(ok("run", "flowar", "--n", 4, "--c", 3, "--inputs", tmp_path / "x.npz",
                         "-o", tmp_path / "y.npz", "--json").stdout)
    assert data["warnings"] == [] and data["shape"] == [4, 4, 3]


@pytest.mark.parametrize("dtype, value", [(np.complex128, 1 + 2j), (np.bool_, True), ("<U3", "abc")])
@pytest.mark.parametrize("which", ["weights", "inputs"])
def test_non_real_arrays_are_refused_by_name(tmp_path, which, dtype, value):
    """Complex weights were silently cut to their real part."""
    np.savez(tmp_path / "w.npz", W=np.full((4, 4), value, dtype=dtype) if which == "weights" else np.eye(4))
    np.savez(tmp_path / "x.npz", X=np.full((2, 2, 4), value, dtype=dtype) if which == "inputs" else np.ones((2, 2, 4)))
    line = fails("run", "matmul", "--weights", tmp_path / "w.npz", "--inputs", tmp_path / "x.npz",
                 "-o", tmp_path / "y.npz")
    name, file = ("'W'", "w.npz") if which == "weights" else ("'X'", "x.npz")
    assert name in line and file in line and str(np.dtype(dtype)) in line, line
    assert not (tmp_path / "y.npz").exists()


LAYERNORM_WARNING = "layer norm over c = {c} channel(s) does not depend on the values of its input"


@pytest.mark.parametrize("c", [1, 2])
def test_check_layernorm_below_3_channels_warns(c):
    result = ok("check", "layernorm", "--n", 1, "--c", c, "--samples", 2)
    assert f"Warning: {LAYERNORM_WARNING.format(c=c)}" in result.stderr
    data = json.loads(ok("check", "layernorm", "--n", 1, "--c", c, "--samples", 2, "--json").stdout)
    assert any(w.startswith(LAYERNORM_WARNING.format(c=c)) for w in data["warnings"])


def test_check_layernorm_at_3_channels_does_not_warn():
    assert ok("check", "layernorm", "--n", 1, "--c", 3, "--samples", 2).stderr == ""
    data = json.loads(ok("check", "layernorm", "--n", 1, "--c", 3, "--samples", 2, "--json").stdout)
    assert data["warnings"] == []


@pytest.mark.parametrize("module, c, warns", [("flow-matching", 2, True), ("flow-matching", 3, False),
                                              ("transformer", 2, False)])
def test_compile_and_run_warn_for_modules_holding_a_layer_norm(tmp_path, module, c, warns):
    result = ok("compile", module, "--n", 1, "--c", c, "-o", tmp_path / "m.tc0")
    assert (LAYERNORM_WARNING.format(c=c) in result.stderr) == warns
    ok("inputs", module, "--n", 1, "--c", c, "-o", tmp_path / "x.npz")
    result = run("run", module, "--n", 1, "--c", c, "--inputs", tmp_path / "x.npz", "-o", tmp_path / "y.npz")
    assert result.exit_code == 0 and (LAYERNORM_WARNING.format(c=c) in result.stderr) == warns
