"""Files tc0 writes and reads: atomic writes, and ``.npz`` archives read
without pickle (circuit files, weights, inputs)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


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


def read_npz(path, error: type[Exception], what: str) -> dict[str, np.ndarray]:
    """Every array of the .npz at ``path``, read without pickle. A missing,
    bare-.npy or unreadable file raises ``error`` naming ``path`` and ``what``
    the file should have been."""
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise error(f"{path}: not a {what} (a bare .npy array, not an npz archive)")
        with data:
            return {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except error:
        raise
    except Exception as exc:  # zip/zlib/npy readers raise many types on hostile bytes
        raise error(f"{path}: not a readable {what} ({type(exc).__name__}: {exc})") from None
