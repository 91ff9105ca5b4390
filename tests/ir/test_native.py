"""The native ``.tc0`` circuit file (tc0.ir.native): save/load round trips,
and validation on load. Edited arrays and metadata, truncated files, random
bytes, bare .npy files, corrupt zip members, lying .npy headers and zip
directory sizes, and deeply nested metadata are rejected with a
``CircuitFileError`` (edits with the message ``REFUSALS`` pins); random byte
flips either are, or load exactly the saved circuit."""

from __future__ import annotations

import io
import itertools
import json
import random
import re
import struct
import zipfile

import numpy as np
import pytest
from hostile_files import npy, npy_header, npz_members
from int_simulation import simulate_ints

import tc0
from tc0 import Builder, Kind
from tc0.compiler.gadgets import integer
from tc0.errors import CircuitFileError
from tc0.ir.schema import FIRST_INPUT


# --------------------------------------------------------------------------- save / load
def _saved(tmp_path, name="c.tc0"):
    b = Builder()
    x, y = b.input("x", 6), b.input("y", 6)
    with b.scope("arith"):
        b.output("s", integer.add(b, x, y))
        b.output("lt", [integer.less_than(b, x, y)])
    b.output("t", [b.threshold(np.concatenate([x, y]), 5)])
    c = b.build()
    path = tmp_path / name
    c.save(path)
    return c, path


def test_save_load_round_trip(tmp_path):
    c, path = _saved(tmp_path)
    d = tc0.load(path)
    for field in ("kind", "offsets", "fanins", "scope"):
        np.testing.assert_array_equal(getattr(d, field), getattr(c, field))
    assert d.inputs == c.inputs and list(d.inputs) == list(c.inputs)
    assert list(d.outputs) == list(c.outputs)
    for name in c.outputs:
        np.testing.assert_array_equal(d.outputs[name], c.outputs[name])
    assert d.scopes == c.scopes
    assert (d.size, d.edges, d.depth) == (c.size, c.edges, c.depth)
    cases = list(itertools.product(range(64), repeat=2))
    xs, ys = [p[0] for p in cases], [p[1] for p in cases]
    out = simulate_ints(d, {"x": xs, "y": ys})
    assert out["s"] == [a + b_ for a, b_ in cases]
    assert out["lt"] == [int(a < b_) for a, b_ in cases]
    assert out["t"] == [int(bin(a).count("1") + bin(b_).count("1") >= 5) for a, b_ in cases]


def test_save_function_and_str_path(tmp_path):
    c, _ = _saved(tmp_path)
    path = str(tmp_path / "again.tc0")
    tc0.save(c, path)
    assert tc0.load(path).size == c.size


def _arrays(path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name].copy() for name in data.files}


def _write(path, arrays) -> None:
    with open(path, "wb") as fh:  # a file object: numpy must not append ".npz"
        np.savez(fh, **arrays)


def _meta(arrays) -> dict:
    return json.loads(arrays["meta"].tobytes().decode())


def _with_meta(arrays, **changes) -> None:
    meta = _meta(arrays)
    meta.update(changes)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def _first_gate(a) -> int:
    return int(np.flatnonzero(a["kind"] >= Kind.AND)[0])


def test_resaved_arrays_load(tmp_path):
    """Control: the unedited arrays written with numpy.savez load fine."""
    c, path = _saved(tmp_path)
    a = _arrays(path)
    _write(tmp_path / "copy.tc0", a)
    assert tc0.load(tmp_path / "copy.tc0").size == c.size


def _edit_fanin(a, value):
    g = _first_gate(a)
    a["fanins"][a["offsets"][g]] = value


def _swap(a, name, new):
    a[name] = new


EDITS = {
    "fanin points forward (cycle)": lambda a: _edit_fanin(a, len(a["kind"]) - 1),
    "fanin points at its own gate": lambda a: _edit_fanin(a, _first_gate(a)),
    "fanin out of range": lambda a: _edit_fanin(a, len(a["kind"]) + 10),
    "fanin negative": lambda a: _edit_fanin(a, -1),
    "output id out of range": lambda a: a["output_ids"].__setitem__(0, len(a["kind"])),
    "output id negative": lambda a: a["output_ids"].__setitem__(0, -2),
    "scope id out of range": lambda a: a["scope"].__setitem__(-1, 99),
    "scope id negative": lambda a: a["scope"].__setitem__(-1, -1),
    "fanins dtype int64": lambda a: _swap(a, "fanins", a["fanins"].astype(np.int64)),
    "kind dtype int32": lambda a: _swap(a, "kind", a["kind"].astype(np.int32)),
    "offsets dtype int32": lambda a: _swap(a, "offsets", a["offsets"].astype(np.int32)),
    "offsets dtype float": lambda a: _swap(a, "offsets", a["offsets"].astype(np.float64)),
    "output_ids dtype uint8": lambda a: _swap(a, "output_ids", a["output_ids"].astype(np.uint8)),
    "fanins 2-D": lambda a: _swap(a, "fanins", a["fanins"][None, :]),
    "meta dtype int16": lambda a: _swap(a, "meta", a["meta"].astype(np.int16)),
    "meta not JSON": lambda a: _swap(a, "meta", np.frombuffer(b"{not json", dtype=np.uint8)),
    "meta not UTF-8": lambda a: _swap(a, "meta", np.frombuffer(b"\xff\xfe{}", dtype=np.uint8)),
    "meta JSON list": lambda a: _swap(a, "meta", np.frombuffer(b"[1, 2]", dtype=np.uint8)),
    "meta empty": lambda a: _swap(a, "meta", np.zeros(0, dtype=np.uint8)),
    "format tag wrong": lambda a: _with_meta(a, format="something-else"),
    "version 2": lambda a: _with_meta(a, version=2),
    "version 0": lambda a: _with_meta(a, version=0),
    "version string": lambda a: _with_meta(a, version="1"),
    "version missing": lambda a: _swap(a, "meta", np.frombuffer(json.dumps(
        {k: v for k, v in _meta(a).items() if k != "version"}).encode(), dtype=np.uint8)),
    "input width too large": lambda a: _with_meta(a, inputs=[["x", 7], ["y", 6]]),
    "input width too small": lambda a: _with_meta(a, inputs=[["x", 5], ["y", 6]]),
    "input width zero": lambda a: _with_meta(a, inputs=[["x", 0], ["y", 12]]),
    "input width not int": lambda a: _with_meta(a, inputs=[["x", 6.0], ["y", 6]]),
    "input port duplicated": lambda a: _with_meta(a, inputs=[["x", 6], ["x", 6]]),
    "input port unnamed": lambda a: _with_meta(a, inputs=[["", 6], ["y", 6]]),
    "inputs not a list": lambda a: _with_meta(a, inputs={"x": 6, "y": 6}),
    "output width too large": lambda a: _with_meta(a, outputs=[["s", 8], ["lt", 1], ["t", 1]]),
    "output width too small": lambda a: _with_meta(a, outputs=[["s", 6], ["lt", 1], ["t", 1]]),
    "output port missing": lambda a: _with_meta(a, outputs=[["s", 7], ["lt", 1]]),
    "scopes empty": lambda a: _with_meta(a, scopes=[]),
    "scopes not strings": lambda a: _with_meta(a, scopes=["", 3, "x"]),
    "array kind missing": lambda a: a.pop("kind"),
    "array meta missing": lambda a: a.pop("meta"),
    "array output_ids missing": lambda a: a.pop("output_ids"),
    "offsets not monotone": lambda a: a["offsets"].__setitem__(-2, a["offsets"][-1] + 1),
    "offsets too short": lambda a: _swap(a, "offsets", a["offsets"][:-1]),
    "offsets do not end at len(fanins)": lambda a: _swap(a, "fanins", a["fanins"][:-1]),
    "scope too short": lambda a: _swap(a, "scope", a["scope"][:-1]),
    "gate with no fan-in": lambda a: _last_gate_without_fanin(a),
    "NOT gate with two fan-ins": lambda a: _not_with_two_fanins(a),
    "unknown gate kind": lambda a: a["kind"].__setitem__(-1, 9),
    "gate turned into an input": lambda a: a["kind"].__setitem__(-1, Kind.INPUT),
    "gate turned into a constant": lambda a: a["kind"].__setitem__(-1, Kind.CONST1),
    "constants swapped": lambda a: a["kind"].__setitem__(slice(0, 2), [Kind.CONST1, Kind.CONST0]),
    "input node made a gate": lambda a: a["kind"].__setitem__(FIRST_INPUT, Kind.AND),
    "fewer nodes than inputs": lambda a: [_swap(a, "kind", a["kind"][:5]), _swap(a, "scope", a["scope"][:5]),
                                          _swap(a, "offsets", np.zeros(6, dtype=np.int64)),
                                          _swap(a, "fanins", np.zeros(0, dtype=np.int32))],
    "object array (pickle)": lambda a: _swap(a, "kind", np.array(list(a["kind"]), dtype=object)),
}

#: the message (after the path) each edit is refused with
REFUSALS = {
    "fanin points forward (cycle)": "a fan-in id is out of range or not before its gate (cycle or bad order)",
    "fanin points at its own gate": "a fan-in id is out of range or not before its gate (cycle or bad order)",
    "fanin out of range": "a fan-in id is out of range or not before its gate (cycle or bad order)",
    "fanin negative": "a fan-in id is out of range or not before its gate (cycle or bad order)",
    "output id out of range": "an output id is out of range",
    "output id negative": "an output id is out of range",
    "scope id out of range": "a scope id is out of range",
    "scope id negative": "a scope id is out of range",
    "fanins dtype int64": "array 'fanins' must be 1-D int32, got 1-D int64",
    "kind dtype int32": "array 'kind' must be 1-D uint8, got 1-D int32",
    "offsets dtype int32": "array 'offsets' must be 1-D int64, got 1-D int32",
    "offsets dtype float": "array 'offsets' must be 1-D int64, got 1-D float64",
    "output_ids dtype uint8": "array 'output_ids' must be 1-D int64, got 1-D uint8",
    "fanins 2-D": "array 'fanins' must be 1-D int32, got 2-D int32",
    "meta dtype int16": "array 'meta' must be 1-D uint8, got 1-D int16",
    "meta not JSON": "metadata is not valid JSON",
    "meta not UTF-8": "metadata is not valid JSON",
    "meta JSON list": "not a tc0 circuit file (format tag missing)",
    "meta empty": "metadata is not valid JSON",
    "format tag wrong": "not a tc0 circuit file (format tag missing)",
    "version 2": "unsupported format version 2 (this tc0 reads 1)",
    "version 0": "unsupported format version 0 (this tc0 reads 1)",
    "version string": "unsupported format version '1' (this tc0 reads 1)",
    "version missing": "unsupported format version None (this tc0 reads 1)",
    "input width too large": "input nodes do not match the declared port widths",
    "input width too small": "a gate has an unknown type code",
    "input width zero": "bad input port entry ['x', 0]",
    "input width not int": "bad input port entry ['x', 6.0]",
    "input port duplicated": "input port 'x' appears twice",
    "input port unnamed": "bad input port entry ['', 6]",
    "inputs not a list": "meta 'inputs' must be a list",
    "output width too large": "9 output ids for 10 declared output bits",
    "output width too small": "9 output ids for 8 declared output bits",
    "output port missing": "9 output ids for 8 declared output bits",
    "scopes empty": "meta 'scopes' must be a non-empty list of strings",
    "scopes not strings": "meta 'scopes' must be a non-empty list of strings",
    "array kind missing": "missing array 'kind'",
    "array meta missing": "missing array 'meta'",
    "array output_ids missing": "missing array 'output_ids'",
    "offsets not monotone": "fan-in offsets are not a valid index",
    "offsets too short": "offsets/scope lengths do not match the node count",
    "offsets do not end at len(fanins)": "fan-in offsets are not a valid index",
    "scope too short": "offsets/scope lengths do not match the node count",
    "gate with no fan-in": "a gate has no fan-in",
    "NOT gate with two fan-ins": "a NOT gate has fan-in other than 1",
    "unknown gate kind": "a gate has an unknown type code",
    "gate turned into an input": "a gate has an unknown type code",
    "gate turned into a constant": "a gate has an unknown type code",
    "constants swapped": "nodes 0 and 1 must be the constants",
    "input node made a gate": "input nodes do not match the declared port widths",
    "fewer nodes than inputs": "5 nodes, fewer than the 2 constants and 12 inputs",
    "object array (pickle)": "not a readable tc0 circuit file (ValueError: Object arrays cannot be loaded "
                             "when allow_pickle=False)",
}


def _not_with_two_fanins(a):
    """Relabel an AND/OR gate of fan-in >= 2 as a NOT."""
    kind, offsets = a["kind"], a["offsets"]
    wide = [int(v) for v in np.flatnonzero((kind == Kind.AND) | (kind == Kind.OR)) if offsets[v + 1] - offsets[v] >= 2]
    kind[wide[0]] = Kind.NOT


def _last_gate_without_fanin(a):
    a["offsets"][-1] = a["offsets"][-2]
    a["fanins"] = a["fanins"][: a["offsets"][-1]]


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_edited_file_rejected(tmp_path, edit):
    _, path = _saved(tmp_path)
    a = _arrays(path)
    EDITS[edit](a)
    bad = tmp_path / "bad.tc0"
    _write(bad, a)
    with pytest.raises(CircuitFileError, match=f"^{re.escape(f'{bad}: {REFUSALS[edit]}')}$"):
        tc0.load(bad)


def test_every_edit_has_its_refusal():
    assert list(REFUSALS) == list(EDITS)


@pytest.mark.parametrize("cut", [0, 1, 10, 100, 0.5, -100, -22, -1])
def test_truncated_file_rejected(tmp_path, cut):
    _, path = _saved(tmp_path)
    raw = path.read_bytes()
    n = int(len(raw) * cut) if isinstance(cut, float) else (cut if cut >= 0 else len(raw) + cut)
    bad = tmp_path / "truncated.tc0"
    bad.write_bytes(raw[:n])
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


@pytest.mark.parametrize("content", [
    bytes(random.Random(1).getrandbits(8) for _ in range(1000)),
    b"PK\x03\x04" + bytes(random.Random(2).getrandbits(8) for _ in range(500)),
    b"\x93NUMPY" + bytes(200),
    b"hello, this is not a circuit\n",
    b"",
])
def test_random_bytes_rejected(tmp_path, content):
    bad = tmp_path / "random.tc0"
    bad.write_bytes(content)
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


def test_bare_npy_file_rejected(tmp_path):
    bad = tmp_path / "array.tc0"
    with open(bad, "wb") as fh:
        np.save(fh, np.arange(10, dtype=np.uint8))
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


def test_missing_file_and_directory_rejected(tmp_path):
    with pytest.raises(CircuitFileError):
        tc0.load(tmp_path / "does-not-exist.tc0")
    with pytest.raises(CircuitFileError):
        tc0.load(tmp_path)


def _local_data_start(raw: bytes, member: int = 0) -> int:
    info = zipfile.ZipFile(io.BytesIO(raw)).infolist()[member]
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


def _corrupt_deflate(raw: bytearray) -> None:
    raw[_local_data_start(bytes(raw))] = 0xFF  # deflate block type 3 (reserved)


def _unsupported_compression(raw: bytearray) -> None:
    cd = raw.find(b"PK\x01\x02")
    raw[cd + 10 : cd + 12] = struct.pack("<H", 99)


def _encrypted_flag(raw: bytearray) -> None:
    raw[raw.find(b"PK\x01\x02") + 8] |= 1


@pytest.mark.parametrize("corrupt", [_corrupt_deflate, _unsupported_compression, _encrypted_flag])
def test_corrupt_zip_members_rejected(tmp_path, corrupt):
    _, path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    corrupt(raw)
    bad = tmp_path / "bad.tc0"
    bad.write_bytes(bytes(raw))
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


def test_deeply_nested_meta_rejected(tmp_path):
    _, path = _saved(tmp_path)
    a = _arrays(path)
    a["meta"] = np.frombuffer(("[" * 100_000 + "]" * 100_000).encode(), dtype=np.uint8)
    bad = tmp_path / "bad.tc0"
    _write(bad, a)
    with pytest.raises(CircuitFileError):
        tc0.load(bad)


def test_byte_flip_fuzz(tmp_path):
    """Random byte corruptions: each load either raises CircuitFileError or
    returns exactly the saved circuit (corruption in bytes zip ignores)."""
    c, path = _saved(tmp_path)
    raw = path.read_bytes()
    rnd = random.Random(0)
    bad = tmp_path / "fuzz.tc0"
    for _ in range(300):
        data = bytearray(raw)
        for _ in range(rnd.randint(1, 4)):
            data[rnd.randrange(len(data))] ^= rnd.randint(1, 255)
        bad.write_bytes(bytes(data))
        try:
            d = tc0.load(bad)
        except CircuitFileError:
            continue
        for field in ("kind", "offsets", "fanins", "scope"):
            np.testing.assert_array_equal(getattr(d, field), getattr(c, field))
        assert d.inputs == c.inputs
        assert {k: v.tolist() for k, v in d.outputs.items()} == {k: v.tolist() for k, v in c.outputs.items()}


# --------------------------------------------------------------------------- zip members and .npy headers
def _write_members(path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(f"{name}.npy", data)


def _assert_loads_as(path, c) -> None:
    d = tc0.load(path)
    for field in ("kind", "offsets", "fanins", "scope"):
        np.testing.assert_array_equal(getattr(d, field), getattr(c, field))
    assert {k: v.tolist() for k, v in d.outputs.items()} == {k: v.tolist() for k, v in c.outputs.items()}


def _fanins_fortran(m, c):
    m["fanins"] = npy_header((c.edges,), "<i4", fortran_order=True) + c.fanins.astype("<i4").tobytes()


READABLE_VARIANTS = {
    "npy version 2.0": lambda m, c: m.__setitem__("fanins", npy(c.fanins, version=(2, 0))),
    "fortran-order flag on a 1-D array": _fanins_fortran,
    "members in another order": lambda m, c: m.update({"meta": m.pop("meta"), "kind": m.pop("kind")}),
    "an extra member that is not .npy": lambda m, c: m.__setitem__("notes", b"not an array"),
}


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED], ids=["deflated", "stored"])
@pytest.mark.parametrize("variant", list(READABLE_VARIANTS), ids=list(READABLE_VARIANTS))
def test_readable_member_variants(tmp_path, variant, compression):
    c, path = _saved(tmp_path)
    members = npz_members(path.read_bytes())
    READABLE_VARIANTS[variant](members, c)
    other = tmp_path / "other.tc0"
    _write_members(other, members, compression)
    _assert_loads_as(other, c)


def _header_claims(m, name, shape):
    """Give member ``name`` a header declaring ``shape``, keeping its data."""
    fh = io.BytesIO(m[name])
    np.lib.format.read_magic(fh)
    _, _, dtype = np.lib.format.read_array_header_1_0(fh)
    data = fh.read()
    m[name] = npy_header(shape, dtype) + data


def _write_to_bytes(members) -> bytes:
    out = io.BytesIO()
    _write_members(out, members)
    return out.getvalue()


MEMBER_REFUSALS = {
    "header declares 10^12 bytes": (lambda m, c: _header_claims(m, "fanins", (10**12,)),
                                    (r"array 'fanins': its header declares shape \(1000000000000,\) of int32, "
                                     r"its zip member holds \d+ data bytes")),
    "header declares one element less": (lambda m, c: _header_claims(m, "kind", (c.n_nodes - 1,)),
                                         r"array 'kind': its header declares shape \(\d+,\) of uint8"),
    "header declares a negative length": (lambda m, c: _header_claims(m, "kind", (-c.n_nodes,)),
                                          r"array 'kind': its header declares shape \(-\d+,\) of uint8"),
    "big-endian fanins": (lambda m, c: m.__setitem__("fanins", npy(c.fanins.astype(">i4"))),
                          r"array 'fanins' must be 1-D int32, got 1-D >i4"),
    "member not .npy": (lambda m, c: m.__setitem__("kind", b"hello"),
                        r"array 'kind' is not stored in \.npy format"),
    "member only the .npy prefix": (lambda m, c: m.__setitem__("kind", b"\x93NUMPY"),
                                    r"array 'kind' is not stored in \.npy format"),
    "npy version 3.0": (lambda m, c: m.__setitem__("kind", npy(c.kind, version=(3, 0))),
                        r"array 'kind' has \.npy format version 3\.0, not 1\.0 or 2\.0"),
    "npy header unreadable": (lambda m, c: m.__setitem__("kind", b"\x93NUMPY\x01\x00\x04\x00{{{{"),
                              r"not a readable tc0 circuit file \("),
}


@pytest.mark.parametrize("case", list(MEMBER_REFUSALS), ids=list(MEMBER_REFUSALS))
def test_member_refused(tmp_path, case):
    c, path = _saved(tmp_path)
    members = npz_members(path.read_bytes())
    edit, message = MEMBER_REFUSALS[case]
    edit(members, c)
    bad = tmp_path / "bad.tc0"
    _write_members(bad, members)
    with pytest.raises(CircuitFileError, match=f"^{re.escape(str(bad))}: {message}"):
        tc0.load(bad)


def test_member_compressed_other_than_deflate_refused(tmp_path):
    _, path = _saved(tmp_path)
    bad = tmp_path / "bad.tc0"
    _write_members(bad, npz_members(path.read_bytes()), zipfile.ZIP_BZIP2)
    with pytest.raises(CircuitFileError, match="zip member 'kind.npy' uses compression method 12, not stored or"):
        tc0.load(bad)


def _central_entry(raw: bytes, member: str) -> int:
    """Offset of ``member``'s entry in the zip's central directory."""
    at = raw.find(b"PK\x01\x02")
    while raw[at + 46 : at + 46 + len(member)] != member.encode():
        at = raw.find(b"PK\x01\x02", at + 1)
    return at


@pytest.mark.parametrize("field, size", [(24, 0x7FFF_FFF0), (20, 0x7FFF_FFF0)],
                         ids=["uncompressed size past deflate's ratio", "compressed size past the file"])
def test_lying_zip_directory_sizes_refused(tmp_path, field, size):
    """A directory entry claiming more bytes than the file can hold is refused before any allocation."""
    _, path = _saved(tmp_path)
    raw = bytearray(_write_to_bytes(npz_members(path.read_bytes())))
    entry = _central_entry(bytes(raw), "fanins.npy")
    raw[entry + field : entry + field + 4] = struct.pack("<I", size)
    bad = tmp_path / "bad.tc0"
    bad.write_bytes(bytes(raw))
    with pytest.raises(CircuitFileError, match=r"zip member 'fanins.npy' claims \d+ bytes from \d+ compressed bytes"):
        tc0.load(bad)
