"""Every reader refuses what is not a regular file (issue #15) before
reading a byte: a named pipe (``tc0 info FIFO`` used to hang), a device
(``tc0 import /dev/zero`` and ``--ints-file /dev/zero`` used to read
without end), a directory. One helper does it (``tc0.files.open_regular``).

Oracle: the kind of each path is made by the test (``os.mkfifo``, /dev/zero,
a directory) and the message must name it."""

from __future__ import annotations

import os
import signal
import sys

import pytest
from bounded_cli import needs_proc, refused
from hostile_files import small_circuit

import tc0
from tc0.errors import CircuitFileError, FormatError, ModelError, SimulationInputError
from tc0.io.bristol import read_bristol
from tc0.io.int_cases import read_int_cases
from tc0.models.arrays import read_arrays

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="named pipes and /dev/zero")

READERS = {
    "circuit": (tc0.load, CircuitFileError),
    "bristol": (read_bristol, FormatError),
    "arrays": (lambda path: read_arrays(path, "weights", {"W": (2, 2)}), ModelError),
    "ints": (lambda path: next(read_int_cases(path, {"a": 8}, 16)), SimulationInputError),
}


@pytest.fixture
def no_hang():
    """Fail, instead of hanging, if the test blocks for 10 s (a FIFO opened for reading)."""

    def alarm(*_):
        raise TimeoutError("blocked on a special file")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("kind, what", [("fifo", "a named pipe (FIFO)"), ("zero", "a character device"),
                                        ("directory", "a directory")])
def test_reader_refuses_special_files(tmp_path, no_hang, reader, kind, what):
    path = {"fifo": lambda: _fifo(tmp_path), "zero": lambda: "/dev/zero", "directory": lambda: tmp_path}[kind]()
    read, error = READERS[reader]
    with pytest.raises(error) as info:
        read(path)
    assert str(info.value) == f"{path}: is {what}, not a regular file; tc0 reads only regular files"


@pytest.mark.parametrize("reader", list(READERS))
def test_reader_names_a_missing_file(tmp_path, reader):
    read, error = READERS[reader]
    with pytest.raises(error, match=f"{tmp_path / 'absent'}: no such file"):
        read(tmp_path / "absent")


def test_symlink_to_a_regular_file_is_read(tmp_path):
    """Control: a link to a regular file is a regular file to read."""
    path = tmp_path / "c.tc0"
    small_circuit().save(path)
    link = tmp_path / "link.tc0"
    link.symlink_to(path)
    assert tc0.load(link).size == small_circuit().size


@needs_proc
def test_cli_refuses_special_files(tmp_path):
    circuit = tmp_path / "c.tc0"
    small_circuit().save(circuit)
    fifo = _fifo(tmp_path)
    refused("info", fifo, needles=(str(fifo), "named pipe"))
    refused("import", "/dev/zero", "-o", tmp_path / "x.tc0", needles=("/dev/zero", "character device"))
    refused("simulate", circuit, "--ints-file", "/dev/zero", needles=("/dev/zero", "character device"))
    refused("simulate", circuit, "--ints-file", fifo, needles=(str(fifo), "named pipe"))
