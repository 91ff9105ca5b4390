"""Files tc0 writes and reads: atomic writes, and ``.npz`` archives read
without pickle (circuit files, weights, inputs)."""

from __future__ import annotations

import contextlib
import math
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from tc0.errors import OutputFileError

#: bytes decompressed per read while streaming an npz member into its array
_READ_CHUNK = 1 << 22
#: the most a deflate stream can expand (258-byte matches coded in 2 bits each):
#: a zip member claiming more uncompressed bytes per compressed byte is lying
_MAX_DEFLATE_RATIO = 1032
_NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
#: the marker in the name of ``atomic_write``'s temp file, ``.NAME.tc0-tmp-XXXXXXXX`` beside ``NAME``
TEMP_MARK = ".tc0-tmp-"
_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def output_target(path) -> Path:
    """The file a write to ``path`` replaces: ``path``, or the file its
    symlink(s) point to (which need not exist yet). Refuses, with an
    ``OutputFileError`` naming ``path``, a path ending in '/' and an existing
    target that is not a regular file (a directory, FIFO, device, socket)."""
    return _target(os.fspath(path))[0]


def _target(text: str) -> tuple[Path, os.stat_result | None]:
    """``output_target(text)`` and its stat (None if it does not exist yet)."""
    if text.endswith(("/", os.sep)):
        raise OutputFileError(f"{text}: ends in '/', so names a directory; give a file name")
    target = Path(os.path.realpath(text))
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return target, None
    except OSError as exc:
        raise _naming(exc, text) from None
    what = _special_kind(status.st_mode)
    if what is not None:
        raise OutputFileError(f"{text}: is {what}, not a regular file; tc0 writes only regular files")
    return target, status


def check_output(path, inputs=()) -> Path:
    """``output_target(path)``, checked before any work: refuses what
    ``atomic_write(path, ...)`` would refuse, and a ``path`` that is the same
    file as one of ``inputs`` (None entries skipped) with an
    ``OutputFileError`` naming both."""
    target, status = _target(os.fspath(path))
    for source in inputs if status is not None else ():
        if source is not None and os.path.exists(source) and os.path.samefile(target, source):
            raise OutputFileError(f"{path}: is the same file as the input {source}; write to another file")
    return target


def atomic_write(path, write) -> None:
    """Call ``write(binary_file)`` on a temp file ``.NAME.tc0-tmp-XXXXXXXX``
    beside the file ``path`` names, then rename it over that file. A symlink
    is written through (the link stays, its target is replaced); an existing
    file keeps its mode, a new one gets 0666 less the umask. Refuses what
    ``output_target`` refuses; an ``OSError`` names ``path``, never the temp
    file. The temp file is removed on any exception, ``SystemExit`` and
    ``KeyboardInterrupt`` included (the CLI turns SIGTERM into ``SystemExit``);
    only SIGKILL or a crash of the interpreter can leave it behind."""
    text = os.fspath(path)
    target, status = _target(text)
    mode = 0o666 & ~_umask() if status is None else stat.S_IMODE(status.st_mode)
    fd = tmp = None
    prefix = f".{target.name}{TEMP_MARK}"
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            write(fh)
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        about_ours = isinstance(exc, OSError) and (
            exc.filename in (None, fd, str(target)) or os.path.basename(str(exc.filename)).startswith(prefix))
        if about_ours:
            raise _naming(exc, text) from None
        raise


def scratch_file(path):
    """An anonymous temp file (binary, read and write) beside the file
    ``path`` names, for data a writer parks before writing ``path``: it has
    no name, so the system deletes it however the process ends, SIGKILL
    included. An ``OSError`` names ``path``."""
    try:
        return tempfile.TemporaryFile(dir=output_target(path).parent)
    except OSError as exc:
        raise _naming(exc, os.fspath(path)) from None


def _naming(exc: OSError, path: str) -> OSError:
    """``exc`` (same type and errno) about ``path`` instead of whatever file it named."""
    return OSError(exc.errno, exc.strerror or str(exc), path)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def _read_errors(path, error: type[Exception], what: str):
    """Turn whatever reading ``path`` raises into ``error`` naming ``path`` and ``what`` it should be."""
    try:
        yield
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except error:
        raise
    except Exception as exc:  # zip/zlib/npy readers raise many types on hostile bytes
        raise error(f"{path}: not a readable {what} ({type(exc).__name__}: {exc})") from None


def open_regular(path, error: type[Exception], what: str):
    """``path`` opened for binary reading; every reader of tc0 opens its files
    here. Anything but a regular file (a directory, a named pipe, a device
    such as /dev/zero, a socket) is refused with ``error`` naming ``path``
    before a byte is read: a FIFO is opened without blocking, and the check
    is made on the opened file, so nothing can be swapped in between."""
    text = os.fspath(path)
    with _read_errors(text, error, what):
        _refuse_unless_regular(os.stat(text).st_mode, text, error)
        fd = os.open(text, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            _refuse_unless_regular(os.fstat(fd).st_mode, text, error)
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise


def _special_kind(mode: int) -> str | None:
    """What a file of ``mode`` is ("a directory", "a named pipe (FIFO)", ...), or None if it is a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for is_type, name in _FILE_TYPES if is_type(mode)), "a special file")


def _refuse_unless_regular(mode: int, path: str, error: type[Exception]) -> None:
    what = _special_kind(mode)
    if what is not None:
        raise error(f"{path}: is {what}, not a regular file; tc0 reads only regular files")


class NpzReader:
    """An ``.npz`` archive (numpy's zip of ``.npy`` members) read without
    pickle, member by member, so that a caller can check what the headers
    declare before any array is allocated: ``header(name)`` reads a member's
    zip entry and ``.npy`` header only, ``read(name)`` decompresses its data
    straight into one allocation. Every refusal is ``error`` naming the
    path: not a regular file, a bare ``.npy`` file, not a zip, duplicate or
    missing members, a zip entry claiming more bytes than its compressed
    data can hold (deflate expands at most 1032 times) or another compression
    method, a member not in ``.npy`` format version 1.0 or 2.0, an object
    dtype (it would need pickle), a negative shape, and a header whose shape
    and dtype do not fill the member exactly."""

    def __init__(self, path, error: type[Exception], what: str):
        self.path, self._error, self._what = os.fspath(path), error, what
        self._fh = open_regular(path, error, what)
        try:
            with self._errors():
                if self._fh.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX:
                    raise self.fail(f"not a {what} (a bare .npy array, not an npz archive)")
                self._file_size = os.fstat(self._fh.fileno()).st_size
                self._zip = zipfile.ZipFile(self._fh)
                members = {}
                for info in self._zip.infolist():
                    name = info.filename.removesuffix(".npy")
                    if name in members:
                        raise self.fail(f"array {name!r} is stored twice")
                    members[name] = info
                #: zip member of each array, by array name (member name without ".npy")
                self.members = members
        except BaseException:
            self._fh.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._fh.close()

    def fail(self, message: str) -> Exception:
        """The error to raise about this file: ``message`` after its path."""
        return self._error(f"{self.path}: {message}")

    def _errors(self):
        return _read_errors(self.path, self._error, self._what)

    def header(self, name: str, dtype=None, ndim: int | None = None) -> tuple[tuple[int, ...], np.dtype]:
        """``(shape, dtype)`` of array ``name`` from its zip entry and ``.npy``
        header, refused unless it is ``dtype`` (when given) with ``ndim``
        dimensions (when given); no data is read."""
        with self._errors(), self._open(name) as (stream, info):
            shape, _, stored = self._npy_header(stream, name, info)
        if (dtype is not None and stored != np.dtype(dtype)) or (ndim is not None and len(shape) != ndim):
            raise self.fail(f"array {name!r} must be {ndim}-D {np.dtype(dtype)}, got {len(shape)}-D {stored}")
        return shape, stored

    def read(self, name: str) -> np.ndarray:
        """Array ``name``: its header checked again, then one allocation filled in chunks."""
        with self._errors(), self._open(name) as (stream, info):
            shape, fortran_order, dtype = self._npy_header(stream, name, info)
            flat = np.empty(math.prod(shape), dtype=dtype)
            buffer = memoryview(flat.view(np.uint8))
            done = 0
            while done < len(buffer):
                got = stream.readinto(buffer[done : done + _READ_CHUNK])
                if not got:
                    raise self.fail(f"array {name!r} ends after {done} of {len(buffer)} data bytes")
                done += got
            stream.read(1)  # at the member's end: zipfile checks its CRC
        return flat.reshape(shape[::-1]).T if fortran_order else flat.reshape(shape)

    @contextlib.contextmanager
    def _open(self, name: str):
        """(stream, zip entry) of array ``name``, its entry's sizes checked first."""
        info = self.members.get(name)
        if info is None:
            raise self.fail(f"missing array {name!r}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self.fail(f"zip member {info.filename!r} uses compression method {info.compress_type}, "
                            "not stored or deflate")
        ratio = 1 if info.compress_type == zipfile.ZIP_STORED else _MAX_DEFLATE_RATIO
        if info.compress_size > self._file_size or info.file_size > ratio * info.compress_size:
            raise self.fail(f"zip member {info.filename!r} claims {info.file_size} bytes from {info.compress_size} "
                            f"compressed bytes in a {self._file_size}-byte file")
        with self._zip.open(info) as stream:
            yield stream, info

    def _npy_header(self, stream, name: str, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], bool, np.dtype]:
        """(shape, fortran order, dtype) of the ``.npy`` at the start of ``stream``, checked against ``info``."""
        magic = stream.read(np.lib.format.MAGIC_LEN)
        if not magic.startswith(np.lib.format.MAGIC_PREFIX) or len(magic) < np.lib.format.MAGIC_LEN:
            raise self.fail(f"array {name!r} is not stored in .npy format")
        version = tuple(magic[len(np.lib.format.MAGIC_PREFIX) :])
        if version not in _NPY_HEADER_READERS:
            raise self.fail(f"array {name!r} has .npy format version {version[0]}.{version[1]}, not 1.0 or 2.0")
        shape, fortran_order, dtype = _NPY_HEADER_READERS[version](stream)
        if dtype.hasobject:
            raise ValueError("Object arrays cannot be loaded when allow_pickle=False")  # numpy's words
        data_size = info.file_size - stream.tell()
        if min(shape, default=0) < 0 or math.prod(shape) * dtype.itemsize != data_size:
            raise self.fail(f"array {name!r}: its header declares shape {shape} of {dtype}, "
                            f"its zip member holds {data_size} data bytes")
        return shape, fortran_order, dtype
