"""Named float arrays (weights, inputs, outputs): validated against the names
and shapes a module expects, read from ``.npz`` files without pickle and
written atomically."""

from __future__ import annotations

import numpy as np

from tc0.errors import ModelError
from tc0.files import atomic_write, read_npz


def check_arrays(kind: str, arrays: dict, shapes: dict[str, tuple]) -> dict:
    """Validate named float arrays against the expected shapes: unknown,
    missing, mis-shaped or non-finite arrays are a ModelError naming the array."""
    unknown = sorted(set(arrays) - set(shapes))
    if unknown:
        raise ModelError(f"unknown {kind} array(s): {', '.join(unknown)} (expected {', '.join(shapes) or 'none'})")
    missing = [k for k in shapes if k not in arrays]
    if missing:
        raise ModelError(f"missing {kind} array(s): {', '.join(missing)}")
    out = {}
    for name, shape in shapes.items():
        arr = np.asarray(arrays[name])
        if arr.shape != tuple(shape):
            raise ModelError(f"{kind} array {name!r} has shape {arr.shape}, expected {tuple(shape)}")
        if not np.issubdtype(arr.dtype, np.number):
            raise ModelError(f"{kind} array {name!r} is not numeric ({arr.dtype})")
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ModelError(f"{kind} array {name!r} holds NaN or infinite values")
        out[name] = arr
    return out


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
