"""The native ``.tc0`` circuit file: a versioned, validated npz without pickle.

Layout (documented in docs/circuit-format.md): arrays ``kind`` (uint8),
``offsets`` (int64), ``fanins`` (int32), ``scope`` (int32), ``output_ids``
(int64, all output ports concatenated) and ``meta`` (uint8, UTF-8 JSON:
``format``, ``version``, ``inputs`` and ``outputs`` as ``[name, width]`` lists
in port order, ``scopes``). Loading checks every invariant of the node schema,
so a truncated, edited or hostile file is a ``CircuitFileError``, never a
crash or a wrong circuit. Loading holds little beyond the circuit's own
arrays: each is decompressed straight into its one allocation, and the node
checks run in a compiled sweep that allocates nothing. ``tc0.Circuit.save``
and ``Circuit.load`` call ``write`` and ``read``.
"""

from __future__ import annotations

import json

import numpy as np
from numba import njit

from tc0.errors import CircuitFileError
from tc0.files import NpzReader, atomic_write
from tc0.ir.names import NAME_RULE, is_valid_name, shown
from tc0.ir.schema import FIRST_INPUT, MAX_NODES, Kind
from tc0.memory import available_bytes, describe

FORMAT_NAME = "tc0-circuit"
FORMAT_VERSION = 1
#: the arrays of a circuit file, name -> (dtype, ndim), in the order ``write`` stores them
ARRAYS = {
    "kind": (np.uint8, 1),
    "offsets": (np.int64, 1),
    "fanins": (np.int32, 1),
    "scope": (np.int32, 1),
    "output_ids": (np.int64, 1),
    "meta": (np.uint8, 1),
}
#: the largest ``meta`` (metadata JSON) a circuit file may hold, in bytes
MAX_META_BYTES = 1 << 26


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


def read(path, max_bytes: int | None = None) -> dict:
    """The fields of the ``Circuit`` stored at ``path`` (a file ``write``
    made), validated. What the member headers and the metadata declare is
    checked before any array but ``meta`` is decompressed: the arrays must
    agree in length with each other and with the ports, and together fit in
    ``max_bytes`` (default: the memory available to this process)."""
    with NpzReader(path, CircuitFileError, "tc0 circuit file") as npz:
        lengths = {name: npz.header(name, dtype, ndim)[0][0] for name, (dtype, ndim) in ARRAYS.items()}
        if lengths["meta"] > MAX_META_BYTES:
            raise npz.fail(f"metadata of {lengths['meta']} bytes, more than the {MAX_META_BYTES} "
                           "a circuit file may hold")
        try:
            meta = _meta(npz.read("meta"))
            _check_lengths(lengths, meta, available_bytes() if max_bytes is None else max_bytes)
            arrays = {name: npz.read(name) for name in ARRAYS if name != "meta"}
            return _from_arrays(arrays, meta)
        except CircuitFileError as exc:
            raise npz.fail(str(exc)) from None


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
            raise CircuitFileError(f"bad {key[:-1]} port entry {shown(entry)}")
        if not is_valid_name(entry[0]):
            raise CircuitFileError(f"bad {key[:-1]} port name {shown(entry[0])}: use {NAME_RULE}")
        if entry[0] in seen:
            raise CircuitFileError(f"{key[:-1]} port {shown(entry[0])} appears twice")
        seen[entry[0]] = entry[1]
    return seen


def _meta(data: np.ndarray) -> dict:
    """The metadata JSON, its format, version, ports and scopes checked;
    ports become ``inputs``/``outputs`` dicts of name -> width."""
    try:
        meta = json.loads(data.tobytes().decode())
    except (ValueError, RecursionError):  # not UTF-8, not JSON, an integer of over 4300 digits
        raise CircuitFileError("metadata is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise CircuitFileError("not a tc0 circuit file (format tag missing)")
    if type(meta.get("version")) is not int or meta["version"] != FORMAT_VERSION:
        raise CircuitFileError(f"unsupported format version {meta.get('version')!r} (this tc0 reads {FORMAT_VERSION})")
    inputs, outputs = _ports(meta, "inputs"), _ports(meta, "outputs")
    if not outputs:
        raise CircuitFileError("the circuit has no output ports")
    scopes = meta.get("scopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise CircuitFileError("meta 'scopes' must be a non-empty list of strings")
    return {"inputs": inputs, "outputs": outputs, "scopes": tuple(scopes)}


def _check_lengths(lengths: dict, meta: dict, max_bytes: int) -> None:
    """Refuse array lengths (from the headers) that disagree with each other
    or with the ports, or whose arrays would take more than ``max_bytes``."""
    n, n_in, n_out = lengths["kind"], sum(meta["inputs"].values()), sum(meta["outputs"].values())
    if n < FIRST_INPUT + n_in:
        raise CircuitFileError(f"{n} nodes, fewer than the 2 constants and {n_in} inputs")
    if lengths["offsets"] != n + 1 or lengths["scope"] != n:
        raise CircuitFileError("offsets/scope lengths do not match the node count")
    if n > MAX_NODES:
        raise CircuitFileError(f"{n} nodes, more than the {MAX_NODES} that int32 fan-in ids can name")
    if lengths["fanins"] < n - FIRST_INPUT - n_in:
        raise CircuitFileError(f"{lengths['fanins']} fan-ins for {n - FIRST_INPUT - n_in} gates, each needing one")
    if lengths["output_ids"] != n_out:
        raise CircuitFileError(f"{lengths['output_ids']} output ids for {n_out} declared output bits")
    need = sum(lengths[name] * np.dtype(dtype).itemsize for name, (dtype, _) in ARRAYS.items())
    if need > max_bytes:
        raise CircuitFileError(f"its arrays take {describe(need)} ({n} nodes, {lengths['fanins']} fan-ins), "
                               f"more than the {describe(max_bytes)} of memory available")


def _from_arrays(arrays, meta) -> dict:
    inputs, outputs = meta["inputs"], meta["outputs"]
    kind, offsets, fanins, scope = arrays["kind"], arrays["offsets"], arrays["fanins"], arrays["scope"]
    output_ids = arrays["output_ids"]
    n = len(kind)
    first_gate = FIRST_INPUT + sum(inputs.values())
    if kind[0] != Kind.CONST0 or kind[1] != Kind.CONST1:
        raise CircuitFileError("nodes 0 and 1 must be the constants")
    problem = _first_node_problem(kind, offsets, fanins, first_gate)
    if problem != _NO_PROBLEM:
        raise CircuitFileError(_NODE_PROBLEMS[problem])
    if len(scope) and (scope.min() < 0 or scope.max() >= len(meta["scopes"])):
        raise CircuitFileError("a scope id is out of range")
    if output_ids.min() < 0 or output_ids.max() >= n:
        raise CircuitFileError("an output id is out of range")
    out_ports, start = {}, 0
    for name, width in outputs.items():
        out_ports[name] = output_ids[start : start + width].copy()
        start += width
    return {"kind": kind, "offsets": offsets, "fanins": fanins, "scope": scope, "scopes": meta["scopes"],
            "inputs": inputs, "outputs": out_ports}


#: what ``_first_node_problem`` finds, by the code it returns (``_NO_PROBLEM``: nothing)
_NODE_PROBLEMS = (
    "input nodes do not match the declared port widths",
    "a gate has an unknown type code",
    "fan-in offsets are not a valid index",
    "a source node has fan-ins",
    "a gate has no fan-in",
    "a NOT gate has fan-in other than 1",
    "a fan-in id is out of range or not before its gate (cycle or bad order)",
)
_BAD_INPUT, _BAD_GATE_KIND, _BAD_OFFSETS, _SOURCE_FANIN, _NO_FANIN, _BAD_NOT, _BAD_FANIN = range(len(_NODE_PROBLEMS))
_NO_PROBLEM = -1
_INPUT, _AND, _NOT, _MAJ = int(Kind.INPUT), int(Kind.AND), int(Kind.NOT), int(Kind.MAJ)


@njit(cache=True, nogil=True, error_model="numpy")
def _first_node_problem(kind, offsets, fanins, first_gate):
    """The code of the first problem in ``_NODE_PROBLEMS`` order that the node
    arrays have, or ``_NO_PROBLEM``; allocates nothing. Needs ``len(kind) >=
    first_gate`` and ``len(offsets) == len(kind) + 1``; reads ``fanins`` only
    once the offsets are known to index it."""
    n = len(kind)
    for v in range(FIRST_INPUT, first_gate):
        if kind[v] != _INPUT:
            return _BAD_INPUT
    for v in range(first_gate, n):
        if kind[v] < _AND or kind[v] > _MAJ:
            return _BAD_GATE_KIND
    if offsets[0] != 0 or offsets[n] != len(fanins):
        return _BAD_OFFSETS
    source_fanin = no_fanin = bad_not = False
    for v in range(n):
        count = offsets[v + 1] - offsets[v]
        if count < 0:
            return _BAD_OFFSETS
        if v < first_gate:
            source_fanin |= count != 0
        else:
            no_fanin |= count < 1
            bad_not |= kind[v] == _NOT and count != 1
    if source_fanin:
        return _SOURCE_FANIN
    if no_fanin:
        return _NO_FANIN
    if bad_not:
        return _BAD_NOT
    for v in range(first_gate, n):
        for j in range(offsets[v], offsets[v + 1]):
            if fanins[j] < 0 or fanins[j] >= v:
                return _BAD_FANIN
    return _NO_PROBLEM
