"""Named float arrays in ``.npz`` files (weights, inputs, outputs): read
without pickle, validated against the expected names and shapes, written
atomically."""

from __future__ import annotations

import numpy as np

from tc0.model.registry import ModelError, check_arrays
from tc0.storage import atomic_write, read_npz


def read_arrays(path: str, kind: str, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` at ``path``, checked against ``shapes``
    (``kind`` names them in errors: "weights", "input")."""
    arrays = read_npz(path, ModelError, ".npz file of named arrays")
    try:
        return check_arrays(kind, arrays, shapes)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def write_arrays(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write named float64 arrays to ``path`` as an uncompressed ``.npz``, atomically."""
    atomic_write(path, lambda fh: np.savez(fh, **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}))
