"""The ``tc0`` process as a whole: no exception ever reaches the user as a
traceback (a bug is a one-line "internal error", exit 70, unless
TC0_DEBUG=1), MemoryError is one line, Ctrl-C exits 130 quietly, a closed
stdout pipe exits 141 quietly (as a Unix tool SIGPIPE kills), SIGTERM exits
143 and removes the temp file of a write in progress, and OSErrors are one
line whether or not they name a file.

Most cases run real processes (``python -m tc0``, or ``python -c`` with one
function replaced to stand for a bug or a slow write); oracles: the exit
status, the exact stderr lines, and the directory listing."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cli_helpers import fails, ok, run

import tc0.cli
from tc0 import Builder
from tc0.files import TEMP_MARK

TIMEOUT = 120


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("small") / "add8.tc0"
    ok("compile", "int:add", "--bits", 8, "-o", path)
    return path


def tc0_process(*args, patch: str = "", env=None, **popen):
    """Start ``tc0 ARGS`` as its own process, after running the Python
    ``patch`` (which may replace parts of tc0.cli) in it. Ctrl-C reaches it
    as from an interactive shell even when this test run was started as a
    background job, whose children inherit SIGINT ignored."""
    code = (f"import signal, sys\nsignal.signal(signal.SIGINT, signal.default_int_handler)\nimport tc0.cli\n"
            f"{textwrap.dedent(patch)}\ntc0.cli.main(sys.argv[1:], prog_name='tc0')\n")
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env={**os.environ, **(env or {})},
                            **popen)


def finish(proc):
    """(exit status, stdout, stderr) of ``proc`` once it ends."""
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, err


def temp_files(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if TEMP_MARK in p.name]


# ------------------------------------------------------------ bugs become one line
BUG = "tc0.cli.measures.summary_line = lambda *a: {}['no such key']"


def test_a_bug_is_one_line_internal_error_with_exit_70(small):
    code, out, err = finish(tc0_process("info", small, patch=BUG, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True))
    assert code == 70 and out == ""
    assert err.splitlines() == ["Error: internal error: KeyError: 'no such key' (a bug in tc0; please report it "
                                "with the command line; TC0_DEBUG=1 shows the traceback)"], err


def test_tc0_debug_shows_the_traceback(small):
    code, _, err = finish(tc0_process("info", small, patch=BUG, env={"TC0_DEBUG": "1"}, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    assert code != 0 and "Traceback" in err and "KeyError: 'no such key'" in err


@pytest.mark.parametrize("exc, first_words, status", [
    (RuntimeError("first line\n  second line"), "Error: internal error: RuntimeError: first line second line (", 70),
    (AssertionError(), "Error: internal error: AssertionError (a bug in tc0", 70),
    (MemoryError("Unable to allocate 5.59 GiB for an array with shape (750000000,)"),
     "Error: out of memory (MemoryError: Unable to allocate 5.59 GiB for an array with shape (750000000,)); try", 1),
    (MemoryError(), "Error: out of memory (MemoryError); try", 1),
])
def test_unexpected_exceptions_are_one_line(small, monkeypatch, exc, first_words, status):
    def raise_it(*args):
        raise exc

    monkeypatch.delenv("TC0_DEBUG", raising=False)
    monkeypatch.setattr(tc0.cli.measures, "summary_line", raise_it)
    result = run("info", small)
    assert result.exit_code == status
    assert len(result.output.splitlines()) == 1 and result.output.startswith(first_words), result.output
    assert "Traceback" not in result.output


def test_tc0_debug_lets_the_exception_through(small, monkeypatch):
    monkeypatch.setenv("TC0_DEBUG", "1")
    monkeypatch.setattr(tc0.cli.measures, "summary_line", lambda *a: 1 / 0)
    assert isinstance(run("info", small).exception, ZeroDivisionError)


def test_keyboard_interrupt_exits_130_quietly(small, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(tc0.cli.measures, "summary_line", interrupted)
    result = run("info", small)
    assert result.exit_code == 130 and result.output == ""


# ------------------------------------------------------------ OSError lines
@pytest.mark.parametrize("exc, line", [
    (OSError(errno.EIO, "Input/output error"), "Error: Input/output error"),
    (OSError(errno.EACCES, "Permission denied", "/x/y.tc0"), "Error: /x/y.tc0: Permission denied"),
    (OSError(errno.EXDEV, "Invalid cross-device link", "a", None, "b"), "Error: a -> b: Invalid cross-device link"),
    (OSError("no errno at all"), "Error: no errno at all"),
    (OSError(), "Error: OSError"),
])
def test_os_errors_are_one_proper_line(small, monkeypatch, exc, line):
    def raise_it(*args):
        raise exc

    monkeypatch.setattr(tc0.cli.measures, "summary_line", raise_it)
    assert fails("info", small) == line


# ------------------------------------------------------------ stdout's reader goes away
def test_closed_pipe_mid_output_exits_quietly(tmp_path):
    """``tc0 info --scopes many.tc0 | head -1``: one line per scope, far
    more than a pipe holds."""
    b = Builder()
    x = b.input("x", 8)
    y = x[0]
    for i in range(4000):
        with b.scope(f"scope_{i:05d}"):
            y = b.xor(y, x[1 + i % 7])
    b.output("y", y)
    circuit = tmp_path / "many.tc0"
    b.build().save(circuit)
    proc = tc0_process("info", "--scopes", circuit, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"many")
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=TIMEOUT)
    assert proc.returncode == 141 and err == b"", err


def test_pipe_closed_before_any_output_exits_quietly(small):
    """The reader is gone before tc0 writes a byte (the last flush, at exit, is the one that fails)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = tc0_process("info", small, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    code, _, err = finish(proc)
    assert code == 141 and err == b"", err


# ------------------------------------------------------------ signals during a write
SLOW_WRITER = """
    import time
    from tc0.files import atomic_write
    def slow(circuit, path):
        def write(fh):
            fh.write(b"x" * 100000)
            fh.flush()
            print("writing", flush=True)
            time.sleep(100)
        atomic_write(path, write)
    tc0.cli.EXPORTERS["blif"] = slow
"""


@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_a_write_removes_the_temp_file(small, tmp_path, sig, status):
    out = tmp_path / "out.blif"
    out.write_text("previous")
    proc = tc0_process("export", small, "--format", "blif", "-o", out, patch=SLOW_WRITER, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "writing\n"
    assert [name.startswith(".out.blif" + TEMP_MARK) for name in temp_files(tmp_path)] == [True]
    proc.send_signal(sig)
    code, _, err = finish(proc)
    assert code == status and "Traceback" not in err and err.strip() == "", err
    assert temp_files(tmp_path) == [] and out.read_text() == "previous"


def test_sigterm_during_a_real_export_removes_the_temp_file(tmp_path):
    """An unpatched BLIF export of a 37k-gate circuit: SIGTERM as soon as its
    temp file shows up."""
    circuit = tmp_path / "fsum.tc0"
    ok("compile", "float:sum", "--p", 8, "--m", 32, "-o", circuit)
    out = tmp_path / "fsum.blif"
    proc = subprocess.Popen([sys.executable, "-m", "tc0", "export", str(circuit), "--format", "blif", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + TIMEOUT
    while not temp_files(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the export finished before its temp file was seen")
    proc.send_signal(signal.SIGTERM)
    code, _, err = finish(proc)
    if code == 0 and out.exists():  # this process was not scheduled again before the export ended
        pytest.skip("the export finished before the signal came")
    assert (code, err) == (143, ""), (code, err)
    assert temp_files(tmp_path) == [] and not out.exists()


# ------------------------------------------------------------ entry points
def test_python_dash_m_tc0(small):
    proc = subprocess.run([sys.executable, "-m", "tc0", "info", str(small)], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0 and proc.stdout.startswith("add8"), proc.stderr
    proc = subprocess.run([sys.executable, "-m", "tc0", "--help"], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0 and "Usage: tc0" in proc.stdout and "TC0_DEBUG" in proc.stdout


def test_sigterm_inside_numba_compilation_is_deferred(monkeypatch):
    """A SystemExit raised while numba's compiler runs Python inside an LLVM
    callback crashed the process (SIGSEGV, about 1 run in 8 of the export test
    above): there the SIGTERM handler sets a SIGALRM to try again instead, and
    exits once outside."""
    monkeypatch.setattr(tc0.cli, "_SIGTERM_RETRY", 600.0)  # the retry must not fire during the test
    namespace: dict = {}
    exec(compile("import sys\nframe = sys._getframe()", f"{os.sep}x{os.sep}numba{os.sep}core.py", "exec"), namespace)
    previous = signal.getsignal(signal.SIGALRM)
    try:
        tc0.cli._exit_when_safe(signal.SIGTERM, namespace["frame"])  # deferred: returns
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 500
        with pytest.raises(SystemExit) as raised:
            tc0.cli._exit_when_safe(signal.SIGTERM, sys._getframe())
        assert raised.value.code == 143
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
