"""Files tc0 writes and reads: atomic writes, and ``.npz`` archives read
without pickle (circuit files, weights, inputs)."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

#: bytes decompressed per read while streaming an npz member into its array
_READ_CHUNK = 1 << 22
#: the most a deflate stream can expand (258-byte matches coded in 2 bits each):
#: a zip member claiming more uncompressed bytes per compressed byte is lying
_MAX_DEFLATE_RATIO = 1032
_NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def atomic_write(path, write) -> None:
    """Call ``write(file_object)`` on a temp file beside ``path``, then rename it into place."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


def read_npz(path, error: type[Exception], what: str) -> dict[str, np.ndarray]:
    """Every array of the .npz at ``path``, read without pickle. A missing,
    bare-.npy or unreadable file raises ``error`` naming ``path`` and ``what``
    the file should have been."""
    with _read_errors(path, error, what):
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise error(f"{path}: not a {what} (a bare .npy array, not an npz archive)")
        with data:
            return {name: data[name] for name in data.files}


def read_npz_arrays(path, error: type[Exception], what: str, expected: dict) -> dict[str, np.ndarray]:
    """The arrays ``expected`` names (name -> ``(dtype, ndim)``) from the .npz
    at ``path``, each decompressed straight into its one allocation; other
    members are not read. Each member's zip entry and .npy header are checked
    before its array is allocated: a missing member, one not in .npy format,
    of another dtype (object arrays are never read) or dimension, or whose
    header and zip sizes disagree, raises ``error`` naming ``path``, as does
    anything ``read_npz`` refuses."""

    def fail(message: str) -> Exception:
        return error(f"{path}: {message}")

    with _read_errors(path, error, what), open(path, "rb") as fh:
        if fh.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX:
            raise fail(f"not a {what} (a bare .npy array, not an npz archive)")
        file_size = os.fstat(fh.fileno()).st_size
        with zipfile.ZipFile(fh) as archive:
            members = set(archive.namelist())
            arrays = {}
            for name, (dtype, ndim) in expected.items():
                member = f"{name}.npy" if f"{name}.npy" in members else name
                if member not in members:
                    raise fail(f"missing array {name!r}")
                info = archive.getinfo(member)
                _check_member_sizes(info, file_size, fail)
                with archive.open(member) as stream:
                    arrays[name] = _read_npy(stream, info.file_size, name, np.dtype(dtype), ndim, fail)
            return arrays


def _check_member_sizes(info: zipfile.ZipInfo, file_size: int, fail) -> None:
    """Refuse (with the error ``fail(message)`` builds) a zip member whose
    directory sizes no stored or deflated member of this file can have."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise fail(f"zip member {info.filename!r} uses compression method {info.compress_type}, not stored or deflate")
    ratio = 1 if info.compress_type == zipfile.ZIP_STORED else _MAX_DEFLATE_RATIO
    if info.compress_size > file_size or info.file_size > ratio * info.compress_size:
        raise fail(f"zip member {info.filename!r} claims {info.file_size} bytes from {info.compress_size} "
                   f"compressed bytes in a {file_size}-byte file")


def _read_npy(stream, member_size: int, name: str, dtype: np.dtype, ndim: int, fail) -> np.ndarray:
    """The array of the .npy ``stream`` (a zip member of ``member_size``
    bytes), which must be ``ndim``-D ``dtype``: header checked first (a
    mismatch raises what ``fail(message)`` builds), then one allocation
    filled in chunks."""
    magic = stream.read(np.lib.format.MAGIC_LEN)
    if not magic.startswith(np.lib.format.MAGIC_PREFIX) or len(magic) < np.lib.format.MAGIC_LEN:
        raise fail(f"array {name!r} is not stored in .npy format")
    version = tuple(magic[len(np.lib.format.MAGIC_PREFIX):])
    if version not in _NPY_HEADER_READERS:
        raise fail(f"array {name!r} has .npy format version {version[0]}.{version[1]}, not 1.0 or 2.0")
    shape, fortran_order, stored = _NPY_HEADER_READERS[version](stream)
    if stored.hasobject:
        raise ValueError("Object arrays cannot be loaded when allow_pickle=False")  # numpy's words
    if stored != dtype or len(shape) != ndim:
        raise fail(f"array {name!r} must be {ndim}-D {dtype.name}, got {len(shape)}-D {stored}")
    count = math.prod(shape)
    data_size = member_size - stream.tell()
    if min(shape, default=0) < 0 or count * dtype.itemsize != data_size:
        raise fail(f"array {name!r}: its header declares shape {shape} of {dtype}, "
                   f"its zip member holds {data_size} data bytes")
    flat = np.empty(count, dtype=dtype)
    buffer = memoryview(flat.view(np.uint8))
    done = 0
    while done < len(buffer):
        got = stream.readinto(buffer[done : done + _READ_CHUNK])
        if not got:
            raise fail(f"array {name!r} ends after {done} of {len(buffer)} data bytes")
        done += got
    return flat.reshape(shape[::-1]).T if fortran_order else flat.reshape(shape)
