"""``tc0.files.atomic_write`` and the checks around it (``output_target``,
``check_output``, ``scratch_file``): files tc0 writes.

Oracles: the file system itself (``os.lstat``/``os.stat``: what is a
symlink, which inode a path names, its mode bits, which names a directory
holds) and the bytes read back."""

from __future__ import annotations

import errno
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from tc0.errors import OutputFileError, Tc0Error
from tc0.files import TEMP_MARK, atomic_write, check_output, output_target, scratch_file


def writes(data: bytes):
    return lambda fh: fh.write(data)


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


# ------------------------------------------------------------------ success
def test_new_file_gets_0666_less_the_umask(tmp_path, umask_022):
    atomic_write(tmp_path / "a.bin", writes(b"abc"))
    assert (tmp_path / "a.bin").read_bytes() == b"abc"
    assert stat.S_IMODE(os.stat(tmp_path / "a.bin").st_mode) == 0o644
    os.umask(0o077)
    atomic_write(tmp_path / "b.bin", writes(b"x"))
    assert stat.S_IMODE(os.stat(tmp_path / "b.bin").st_mode) == 0o600
    assert names(tmp_path) == ["a.bin", "b.bin"]


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o755, 0o444])
def test_replacing_a_file_keeps_its_mode(tmp_path, umask_022, mode):
    path = tmp_path / "kept.bin"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    atomic_write(path, writes(b"new"))
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert names(tmp_path) == ["kept.bin"]


def test_writes_through_a_symlink(tmp_path, umask_022):
    """The link stays a link; its target (in another directory) is replaced and keeps its mode."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "data.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.bin"
    link.symlink_to(Path("real") / "data.bin")  # relative, as users make them
    before = os.lstat(link)
    atomic_write(link, writes(b"new"))
    assert os.path.islink(link) and os.readlink(link) == str(Path("real") / "data.bin")
    assert os.lstat(link).st_ino == before.st_ino  # the same link, not a new one
    assert target.read_bytes() == b"new" and link.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert names(tmp_path) == ["link.bin", "real"] and names(tmp_path / "real") == ["data.bin"]


def test_writes_through_a_chain_of_symlinks_and_a_dangling_one(tmp_path):
    target = tmp_path / "t.bin"
    (tmp_path / "l1").symlink_to(target)
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    atomic_write(tmp_path / "l2", writes(b"through two links"))  # the target does not exist yet
    assert target.read_bytes() == b"through two links"
    assert os.path.islink(tmp_path / "l1") and os.path.islink(tmp_path / "l2")
    assert names(tmp_path) == ["l1", "l2", "t.bin"]


def test_temp_file_is_beside_the_target_and_recognisable(tmp_path):
    seen = []

    def write(fh):
        seen.extend(names(tmp_path))
        fh.write(b"x")

    atomic_write(tmp_path / "out.v", write)
    assert len(seen) == 1 and seen[0].startswith(".out.v" + TEMP_MARK), seen
    assert names(tmp_path) == ["out.v"]


# ------------------------------------------------------------------ refusals
def refuses(path, needle: str):
    """atomic_write and check_output refuse ``path`` with a one-line
    OutputFileError naming it, and write nothing."""
    for call in (lambda: atomic_write(path, writes(b"x")), lambda: check_output(path)):
        with pytest.raises(OutputFileError) as info:
            call()
        message = str(info.value)
        assert str(path) in message and needle in message and "\n" not in message, message
        assert TEMP_MARK not in message


def test_refuses_a_directory(tmp_path):
    (tmp_path / "d").mkdir()
    refuses(tmp_path / "d", "a directory")
    assert names(tmp_path) == ["d"] and names(tmp_path / "d") == []


def test_refuses_a_path_ending_in_a_slash(tmp_path):
    refuses(f"{tmp_path / 'newdir'}/", "ends in '/'")
    assert names(tmp_path) == []


def test_refuses_a_fifo_without_opening_it(tmp_path):
    """Opening a FIFO for writing blocks until a reader comes: the refusal
    must come from its type alone (in a thread, so a hang fails the test)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    errors = []
    worker = threading.Thread(target=lambda: errors.append(pytest.raises(OutputFileError, atomic_write, fifo,
                                                                         writes(b"x"))), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "atomic_write blocked on a FIFO"
    assert errors and "named pipe" in str(errors[0].value)
    refuses(fifo, "named pipe")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and names(tmp_path) == ["pipe"]


def test_refuses_a_symlink_to_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to(tmp_path / "pipe")
    refuses(tmp_path / "link", "named pipe")
    assert os.path.islink(tmp_path / "link")


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_refuses_a_device():
    refuses("/dev/null", "character device")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_refuses_a_socket(tmp_path):
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        refuses(path, "socket")


def test_refusals_are_tc0_errors():
    assert issubclass(OutputFileError, Tc0Error) and issubclass(OutputFileError, ValueError)


# ------------------------------------------------------------------ failures
@pytest.mark.parametrize("exc_type", [RuntimeError, KeyboardInterrupt, SystemExit, MemoryError])
def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, exc_type):
    path = tmp_path / "keep.bin"
    path.write_bytes(b"old")

    def write(fh):
        fh.write(b"partial")
        raise exc_type("stop")

    with pytest.raises(exc_type):
        atomic_write(path, write)
    assert path.read_bytes() == b"old" and names(tmp_path) == ["keep.bin"]


@pytest.mark.parametrize("named", ["nothing", "temp", "descriptor"])
def test_os_errors_name_the_users_path_not_the_temp_file(tmp_path, named):
    """A full disk (no file named) or an error naming the file being
    written (the temp file, by path or descriptor) comes out naming the path
    asked for."""
    path = tmp_path / "out.blif"

    def write(fh):
        temp = {"nothing": [], "temp": [str(tmp_path / names(tmp_path)[0])], "descriptor": [fh.fileno()]}[named]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), *temp)

    with pytest.raises(OSError) as info:
        atomic_write(path, write)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert TEMP_MARK not in str(info.value)
    assert names(tmp_path) == []


def test_missing_directory_names_the_users_path(tmp_path):
    path = tmp_path / "missing" / "x.v"
    with pytest.raises(FileNotFoundError) as info:
        atomic_write(path, writes(b"x"))
    assert info.value.filename == str(path) and TEMP_MARK not in str(info.value)


def test_other_os_errors_pass_unchanged(tmp_path):
    """An OSError about some other file (one the writer read) keeps its name."""
    other = str(tmp_path / "elsewhere.txt")

    def write(fh):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", other)

    with pytest.raises(FileNotFoundError) as info:
        atomic_write(tmp_path / "out", write)
    assert info.value.filename == other


# ------------------------------------------------------------------ same file as an input
def test_check_output_refuses_an_input_by_any_name(tmp_path):
    source = tmp_path / "c.tc0"
    source.write_bytes(b"circuit")
    (tmp_path / "alias.tc0").symlink_to(source)
    os.link(source, tmp_path / "hard.tc0")
    for out, given in [(source, source), (tmp_path / "alias.tc0", source), (tmp_path / "hard.tc0", source),
                       (source, tmp_path / "alias.tc0"), (tmp_path / "." / "c.tc0", source)]:
        with pytest.raises(OutputFileError, match="same file as the input") as info:
            check_output(out, [None, given])
        assert str(out) in str(info.value) and str(given) in str(info.value)
    assert source.read_bytes() == b"circuit"


def test_check_output_accepts_other_and_new_files(tmp_path):
    source = tmp_path / "c.tc0"
    source.write_bytes(b"circuit")
    (tmp_path / "other").write_bytes(b"")
    assert check_output(tmp_path / "other", [source]) == tmp_path / "other"
    assert check_output(tmp_path / "new", [source, tmp_path / "absent", None]) == tmp_path / "new"
    (tmp_path / "link").symlink_to(tmp_path / "other")
    assert output_target(tmp_path / "link") == tmp_path / "other"


# ------------------------------------------------------------------ scratch files
def test_scratch_file_has_no_name(tmp_path):
    """The scratch file leaves no directory entry, so nothing can be left
    behind whatever ends the process."""
    with scratch_file(tmp_path / "out.bristol") as scratch:
        scratch.write(b"parked")
        assert names(tmp_path) == []
        scratch.seek(0)
        assert scratch.read() == b"parked"
    assert names(tmp_path) == []


def test_scratch_file_errors_name_the_users_path(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        scratch_file(tmp_path / "missing" / "out.bristol")
    assert info.value.filename == str(tmp_path / "missing" / "out.bristol")
