"""Named float arrays in ``.npz`` files (weights, inputs, outputs): read
without pickle, validated against the expected names and shapes, written
atomically."""

from __future__ import annotations

import numpy as np

from tc0.model.registry import ModelError, check_arrays
from tc0.storage import atomic_write


def read_arrays(path: str, kind: str, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` at ``path``, checked against ``shapes``
    (``kind`` names them in errors: "weights", "input")."""
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ModelError(f"{path}: a bare .npy array, not an .npz archive of named arrays")
        with data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except ModelError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ModelError(f"{path}: holds object arrays (pickle), which tc0 does not read") from None
        raise ModelError(f"{path}: not a readable .npz file ({exc})") from None
    except Exception as exc:  # zip/zlib/npy readers raise many types on hostile bytes
        raise ModelError(f"{path}: not a readable .npz file ({type(exc).__name__}: {exc})") from None
    try:
        return check_arrays(kind, arrays, shapes)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def write_arrays(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write named float64 arrays to ``path`` as an uncompressed ``.npz``, atomically."""
    atomic_write(path, lambda fh: np.savez(fh, **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}))
