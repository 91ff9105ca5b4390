"""Hostile files for the reader tests (tests/hostile/, tests/fuzz/): npz
archives written member by member, zip bombs built without ever holding
their inflated bytes (a member of 4 GB of zeros is ~4 MB of deflate
segments, each a copy of one), and small valid files to mutate."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import numpy as np

from tc0.compiler.catalog import compile_gadget

#: one segment of zeros: compressed alone (the compressor's state is reset after it), so
#: every copy of it decompresses to the same zeros and copies can be concatenated
_SEGMENT = 1 << 22


def npy_header(shape: tuple, dtype, fortran_order: bool = False) -> bytes:
    """The ``.npy`` header (magic, version 1.0) of an array of ``shape`` and ``dtype``."""
    out = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": fortran_order,
              "shape": tuple(shape)}
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue()


def npy(arr: np.ndarray, version=None) -> bytes:
    """The ``.npy`` bytes of ``arr`` (no pickle)."""
    out = io.BytesIO()
    np.lib.format.write_array(out, np.asarray(arr), version=version, allow_pickle=False)
    return out.getvalue()


class Bomb:
    """A ``.npy`` member that is ``header`` followed by zeros up to
    ``size`` bytes in all, held only deflated (a few kB per 4 MB)."""

    def __init__(self, header: bytes, size: int):
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        first = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
        zeros = bytes(_SEGMENT)
        segment = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
        assert c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH) == segment  # copies are interchangeable
        count, rest = divmod(size - len(header), _SEGMENT)
        tail = c.compress(bytes(rest)) + c.flush(zlib.Z_FINISH)
        self.data = first + segment * count + tail
        self.size = size
        crc = zlib.crc32(header)
        for _ in range(count):
            crc = zlib.crc32(zeros, crc)
        self.crc = zlib.crc32(bytes(rest), crc)


def bomb_array(shape: tuple, dtype) -> Bomb:
    """A deflated member whose ``.npy`` header declares ``shape`` of ``dtype``, filled with zeros."""
    header = npy_header(shape, dtype)
    return Bomb(header, len(header) + int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize)


def zip_bytes(members, stored: bool = False) -> bytes:
    """A zip archive of ``members`` (a dict, or a list of pairs that may
    repeat a name: name -> bytes, deflated unless ``stored``, or a
    ``Bomb``), written by hand so that a bomb is never inflated; sizes must
    stay below 4 GiB (no zip64)."""
    members = list(members.items()) if isinstance(members, dict) else list(members)
    body, directory = bytearray(), bytearray()
    for name, member in members:
        method = 8
        if isinstance(member, Bomb):
            data, size, crc = member.data, member.size, member.crc
        elif stored:
            method, data, size, crc = 0, member, len(member), zlib.crc32(member)
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            data, size, crc = c.compress(member) + c.flush(), len(member), zlib.crc32(member)
        encoded = name.encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(encoded), 0)
        body += encoded + data
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size,
                                 len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(body), 0)
    return bytes(body + directory + end)


def npy_data_start(content: bytes) -> int:
    """Where the data of the ``.npy`` bytes ``content`` start, by the header
    length its preamble states (version 1: 2 bytes, later: 4); 0 without a preamble."""
    if not content.startswith(b"\x93NUMPY") or len(content) < 12:
        return 0
    if content[6] == 1:
        return 10 + int.from_bytes(content[8:10], "little")
    return 12 + int.from_bytes(content[8:12], "little")


def npz_members(data: bytes) -> dict[str, bytes]:
    """The members of the npz ``data``, by array name (member name without .npy)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name.removesuffix(".npy"): zf.read(name) for name in zf.namelist()}


def npz_bytes(arrays: dict[str, bytes | Bomb]) -> bytes:
    """An npz of ``arrays`` (array name -> .npy bytes or ``Bomb``)."""
    return zip_bytes({f"{name}.npy": member for name, member in arrays.items()})


def npz_file(path, arrays: dict[str, bytes | Bomb]):
    """``path``, written as the npz of ``arrays`` (``npz_bytes``)."""
    path.write_bytes(npz_bytes(arrays))
    return path


def circuit_meta(inputs, outputs, scopes=("",)) -> bytes:
    """The ``.npy`` of a circuit file's ``meta`` member with these ports (lists of [name, width])."""
    meta = {"format": "tc0-circuit", "version": 1, "inputs": inputs, "outputs": outputs, "scopes": list(scopes)}
    return npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))


def follows_name_rule(name) -> bool:
    """The port/array name rule by other means than ``tc0.ir.names``: an
    ASCII string not starting with a dot whose first dot-separated part is a
    Python identifier and whose other parts are identifiers or empty."""
    if not isinstance(name, str) or not name.isascii() or name.startswith("."):
        return False
    parts = name.split(".")
    return parts[0].isidentifier() and all(p == "" or p.isidentifier() for p in parts[1:])


def small_circuit():
    """A small valid circuit: int:add of two 4-bit ports."""
    return compile_gadget("int:add", 4, None, None, None)


#: a 2-bit adder in Bristol Fashion (ports a, b of 2 bits; a 3-bit sum), with XOR, AND, MAND, INV and EQW gates
BRISTOL_ADDER = """12 17
2 2 2
1 3

2 1 0 2 4 XOR
4 2 0 1 2 3 5 8 MAND
2 1 1 3 6 XOR
2 1 6 5 7 XOR
2 1 6 5 9 AND
1 1 8 10 INV
1 1 9 11 INV
2 1 10 11 12 AND
1 1 12 13 INV
1 1 4 14 EQW
1 1 7 15 EQW
1 1 13 16 EQW
"""
