"""Named float arrays (weights, inputs, outputs): validated against the names
and shapes a module expects, read from ``.npz`` files without pickle and
written atomically."""

from __future__ import annotations

import numpy as np

from tc0.errors import ModelError
from tc0.files import NpzReader, atomic_write
from tc0.ir.names import NAME_RULE, is_valid_name, shown

#: the dtype kinds an array file may store: signed and unsigned integers, floats
_REAL_KINDS = "iuf"


def _unknown(kind: str, names, shapes: dict[str, tuple]) -> str | None:
    """What is wrong with the array ``names`` given for ``shapes``: names not expected, if any."""
    unknown = sorted(set(names) - set(shapes))
    if unknown:
        return f"unknown {kind} array(s): {', '.join(unknown)} (expected {', '.join(shapes) or 'none'})"
    return None


def _missing(kind: str, names, shapes: dict[str, tuple]) -> str | None:
    """What is wrong with the array ``names`` given for ``shapes``: expected names absent, if any."""
    missing = [k for k in shapes if k not in names]
    return f"missing {kind} array(s): {', '.join(missing)}" if missing else None


def check_arrays(kind: str, arrays: dict, shapes: dict[str, tuple]) -> dict:
    """Validate named float arrays against the expected shapes: unknown,
    missing, mis-shaped or non-finite arrays are a ModelError naming the array."""
    problem = _unknown(kind, arrays, shapes) or _missing(kind, arrays, shapes)
    if problem:
        raise ModelError(problem)
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
    (``kind`` names them in errors: "weights", "input"). Names come from the
    zip directory, shapes and dtypes from the ``.npy`` headers, and all are
    checked before any array's data is read: a bad name (not identifier
    characters and dots), an unknown or missing array, another shape, or a
    dtype other than integer or float (complex, bool, strings, objects) is a
    ModelError naming the file and the array."""
    with NpzReader(path, ModelError, ".npz file of named arrays") as npz:
        bad = [name for name in npz.members if not is_valid_name(name)]
        if bad:
            raise npz.fail(f"bad {kind} array name {shown(bad[0])}: use {NAME_RULE}")
        problem = _unknown(kind, npz.members, shapes)
        if problem:
            raise npz.fail(problem)
        for name, shape in shapes.items():
            if name not in npz.members:
                continue
            stored, dtype = npz.header(name)
            if stored != tuple(shape):
                raise npz.fail(f"{kind} array {name!r} has shape {stored}, expected {tuple(shape)}")
            if dtype.kind not in _REAL_KINDS:
                raise npz.fail(f"{kind} array {name!r} is not numeric ({dtype}); give integers or floats")
        problem = _missing(kind, npz.members, shapes)
        if problem:
            raise npz.fail(problem)
        arrays = {name: npz.read(name) for name in shapes}
    try:
        return check_arrays(kind, arrays, shapes)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def write_arrays(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write named float64 arrays to ``path`` as an uncompressed ``.npz``, atomically."""
    atomic_write(path, lambda fh: np.savez(fh, **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}))
