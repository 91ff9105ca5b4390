"""Files the ``tc0`` commands write (``-o``): through symlinks, keeping the
mode, never over one of the command's own inputs, never into a FIFO, a
device, a directory or a path ending in '/'. Every refusal is a one-line
error naming the path, before any work, that leaves every file as it was.

Oracles: the file system (``os.lstat``: link or not, inode, mode bits,
names in a directory) and the bytes of the files before and after."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import fails, no_temp_files, ok


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("small") / "add4.tc0"
    ok("compile", "int:add", "--bits", 4, "-o", path)
    return path


@pytest.fixture(scope="module")
def npz(tmp_path_factory) -> dict[str, Path]:
    """Weights and inputs of matmul n = 1, c = 1."""
    directory = tmp_path_factory.mktemp("npz")
    files = {"weights": directory / "w.npz", "inputs": directory / "in.npz"}
    for what, path in files.items():
        ok(what, "matmul", "--n", 1, "--c", 1, "-o", path)
    return files


def snapshot(directory: Path) -> dict[str, bytes | str]:
    """Every entry of ``directory``: a symlink's target, a file's bytes, a FIFO's kind."""
    out = {}
    for p in sorted(directory.iterdir()):
        if p.is_symlink():
            out[p.name] = "-> " + os.readlink(p)
        elif stat.S_ISFIFO(os.lstat(p).st_mode):
            out[p.name] = "fifo"
        elif p.is_dir():
            out[p.name] = "dir"
        else:
            out[p.name] = p.read_bytes()
    return out


# ------------------------------------------------------------ the same file as an input
def test_export_over_its_own_input_is_refused(small, tmp_path):
    circuit = tmp_path / "x.tc0"
    circuit.write_bytes(small.read_bytes())
    (tmp_path / "alias.tc0").symlink_to(circuit)
    before = snapshot(tmp_path)
    for out in (circuit, tmp_path / "alias.tc0", tmp_path / "." / "x.tc0"):
        for fmt in ("blif", "bristol"):
            fails("export", circuit, "--format", fmt, "-o", out, needles=(str(out), "same file as the input"))
    assert snapshot(tmp_path) == before


def test_import_over_its_own_input_is_refused(tmp_path):
    src = tmp_path / "xor.txt"
    src.write_text("1 3\n1 2\n1 1\n2 1 0 1 2 XOR\n")
    before = snapshot(tmp_path)
    fails("import", src, "-o", src, needles=("xor.txt", "same file as the input"))
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command, given", [
    (["compile", "matmul"], ["--weights"]),
    (["weights", "matmul"], ["--weights"]),
    (["inputs", "matmul"], ["--weights"]),
    (["run", "matmul"], ["--weights", "--inputs"]),
])
def test_module_commands_never_write_over_a_file_they_read(npz, tmp_path, command, given):
    files = {name: tmp_path / path.name for name, path in npz.items()}
    for name, path in files.items():
        path.write_bytes(npz[name].read_bytes())
    reads = {"--weights": files["weights"], "--inputs": files["inputs"]}
    before = snapshot(tmp_path)
    for flag in given:
        args = [*command, "--n", 1, "--c", 1, "--weights", files["weights"]]
        if command[0] == "run":
            args += ["--inputs", files["inputs"]]
        fails(*args, "-o", reads[flag], needles=(str(reads[flag]), "same file as the input"))
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------ what -o may name
def test_export_through_a_symlink_keeps_the_link_and_the_mode(small, tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "add4.v"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "add4.v"
    link.symlink_to(Path("real") / "add4.v")
    ok("export", small, "--format", "verilog", "-o", link)
    assert os.path.islink(link) and os.readlink(link) == str(Path("real") / "add4.v")
    assert target.read_text().startswith("module ") and stat.S_IMODE(os.stat(target).st_mode) == 0o640
    no_temp_files(tmp_path)
    no_temp_files(tmp_path / "real")


def test_compile_over_an_existing_file_keeps_its_mode(tmp_path):
    out = tmp_path / "c.tc0"
    out.write_bytes(b"")
    os.chmod(out, 0o640)
    ok("compile", "int:add", "--bits", 4, "-o", out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640 and out.stat().st_size > 0


def test_output_path_ending_in_a_slash_is_refused(small, tmp_path):
    out = f"{tmp_path / 'newdir'}/"
    fails("export", small, "--format", "blif", "-o", out, needles=("newdir/", "ends in '/'"))
    fails("compile", "int:add", "--bits", 4, "-o", out, needles=("newdir/",))
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_directory_is_refused(small, tmp_path):
    (tmp_path / "d").mkdir()
    fails("export", small, "--format", "blif", "-o", tmp_path / "d", needles=("d",))
    assert snapshot(tmp_path) == {"d": "dir"} and list((tmp_path / "d").iterdir()) == []


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_output_that_is_a_device_is_refused(small):
    fails("export", small, "--format", "blif", "-o", "/dev/null", needles=("/dev/null", "device"))


def test_output_that_is_a_fifo_is_refused_at_once(small, tmp_path):
    """In a real process with a timeout: opening a FIFO for writing would
    block until someone reads it."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(fifo)
    for out in (fifo, tmp_path / "link"):
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "tc0", "export", str(small), "--format", "blif", "-o", str(out)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and time.monotonic() - start < 30
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and str(out) in lines[0] and "named pipe" in lines[0], proc.stderr
        assert proc.stdout == ""
    assert snapshot(tmp_path) == {"link": f"-> {fifo}", "pipe": "fifo"}
