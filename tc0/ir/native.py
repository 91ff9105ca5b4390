"""The native ``.tc0`` circuit file: a versioned, validated npz without pickle.

Layout (documented in docs/circuit-format.md): arrays ``kind`` (uint8),
``offsets`` (int64), ``fanins`` (int32), ``scope`` (int32), ``output_ids``
(int64, all output ports concatenated) and ``meta`` (uint8, UTF-8 JSON:
``format``, ``version``, ``inputs`` and ``outputs`` as ``[name, width]`` lists
in port order, ``scopes``). Loading checks every invariant of the node schema,
so a truncated, edited or hostile file is a ``CircuitFileError``, never a
crash or a wrong circuit. ``tc0.Circuit.save`` and ``Circuit.load`` call
``write`` and ``read``.
"""

from __future__ import annotations

import json

import numpy as np

from tc0.errors import CircuitFileError
from tc0.files import atomic_write, read_npz
from tc0.ir.schema import FIRST_INPUT, Kind

FORMAT_NAME = "tc0-circuit"
FORMAT_VERSION = 1


def write(circuit, path) -> None:
    """Write ``circuit`` (a ``tc0.Circuit``) to ``path`` (atomically)."""
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "inputs": [[name, int(w)] for name, w in circuit.inputs.items()],
        "outputs": [[name, len(ids)] for name, ids in circuit.outputs.items()],
        "scopes": list(circuit.scopes),
    }
    arrays = {
        "kind": circuit.kind,
        "offsets": circuit.offsets,
        "fanins": circuit.fanins,
        "scope": circuit.scope,
        "output_ids": circuit.output_ids(),
        "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
    }
    atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))


def read(path) -> dict:
    """The fields of the ``Circuit`` stored at ``path`` (a file ``write`` made), validated."""
    arrays = read_npz(path, CircuitFileError, "tc0 circuit file")
    try:
        return _from_arrays(arrays)
    except CircuitFileError as exc:
        raise CircuitFileError(f"{path}: {exc}") from None


def _need(arrays, name, dtype, ndim=1) -> np.ndarray:
    if name not in arrays:
        raise CircuitFileError(f"missing array {name!r}")
    arr = arrays[name]
    if not isinstance(arr, np.ndarray):
        raise CircuitFileError(f"array {name!r} is not stored in .npy format")
    if arr.dtype != np.dtype(dtype) or arr.ndim != ndim:
        raise CircuitFileError(f"array {name!r} must be {ndim}-D {np.dtype(dtype).name}, got {arr.ndim}-D {arr.dtype}")
    return arr


def _ports(meta, key):
    ports = meta.get(key)
    if not isinstance(ports, list):
        raise CircuitFileError(f"meta {key!r} must be a list")
    seen = {}
    for entry in ports:
        ok = (
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and entry[0]
            and type(entry[1]) is int
            and entry[1] >= 1
        )
        if not ok:
            raise CircuitFileError(f"bad {key[:-1]} port entry {entry!r}")
        if entry[0] in seen:
            raise CircuitFileError(f"{key[:-1]} port {entry[0]!r} appears twice")
        seen[entry[0]] = entry[1]
    return seen


def _from_arrays(arrays) -> dict:
    meta_raw = _need(arrays, "meta", np.uint8)
    try:
        meta = json.loads(meta_raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CircuitFileError("metadata is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise CircuitFileError("not a tc0 circuit file (format tag missing)")
    if type(meta.get("version")) is not int or meta["version"] != FORMAT_VERSION:
        raise CircuitFileError(f"unsupported format version {meta.get('version')!r} (this tc0 reads {FORMAT_VERSION})")
    inputs, outputs = _ports(meta, "inputs"), _ports(meta, "outputs")
    scopes = meta.get("scopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise CircuitFileError("meta 'scopes' must be a non-empty list of strings")

    kind = _need(arrays, "kind", np.uint8)
    offsets = _need(arrays, "offsets", np.int64)
    fanins = _need(arrays, "fanins", np.int32)
    scope = _need(arrays, "scope", np.int32)
    output_ids = _need(arrays, "output_ids", np.int64)
    n = len(kind)
    n_in = sum(inputs.values())
    first_gate = FIRST_INPUT + n_in
    if n < first_gate:
        raise CircuitFileError(f"{n} nodes, fewer than the 2 constants and {n_in} inputs")
    if len(offsets) != n + 1 or len(scope) != n:
        raise CircuitFileError("offsets/scope lengths do not match the node count")
    if kind[0] != Kind.CONST0 or kind[1] != Kind.CONST1:
        raise CircuitFileError("nodes 0 and 1 must be the constants")
    if np.any(kind[FIRST_INPUT:first_gate] != Kind.INPUT):
        raise CircuitFileError("input nodes do not match the declared port widths")
    gate_kinds = kind[first_gate:]
    if np.any((gate_kinds < Kind.AND) | (gate_kinds > Kind.MAJ)):
        raise CircuitFileError("a gate has an unknown type code")
    if offsets[0] != 0 or offsets[-1] != len(fanins) or np.any(np.diff(offsets) < 0):
        raise CircuitFileError("fan-in offsets are not a valid index")
    counts = np.diff(offsets)
    if np.any(counts[:first_gate] != 0):
        raise CircuitFileError("a source node has fan-ins")
    if np.any(counts[first_gate:] < 1):
        raise CircuitFileError("a gate has no fan-in")
    if np.any(counts[first_gate:][gate_kinds == Kind.NOT] != 1):
        raise CircuitFileError("a NOT gate has fan-in other than 1")
    owner = np.repeat(np.arange(n), counts)
    if len(fanins) and (fanins.min() < 0 or np.any(fanins >= owner)):
        raise CircuitFileError("a fan-in id is out of range or not before its gate (cycle or bad order)")
    if len(scope) and (scope.min() < 0 or scope.max() >= len(scopes)):
        raise CircuitFileError("a scope id is out of range")
    n_out = sum(outputs.values())
    if len(output_ids) != n_out:
        raise CircuitFileError(f"{len(output_ids)} output ids for {n_out} declared output bits")
    if n_out and (output_ids.min() < 0 or output_ids.max() >= n):
        raise CircuitFileError("an output id is out of range")
    out_ports, start = {}, 0
    for name, width in outputs.items():
        out_ports[name] = output_ids[start : start + width].copy()
        start += width
    return {"kind": kind, "offsets": offsets, "fanins": fanins, "scope": scope, "scopes": tuple(scopes),
            "inputs": inputs, "outputs": out_ports}
