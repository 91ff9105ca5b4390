"""Samples as bits: unsigned integers to and from bit rows, and the packing
of 64 samples to a ``uint64`` word that the simulator runs on."""

from __future__ import annotations

import numpy as np


def ints_to_bits(values: list[int], width: int) -> np.ndarray:
    """Unsigned ints -> (len(values), width) uint8 bits, LSB first."""
    nbytes = max(1, -(-width // 8))
    raw = np.frombuffer(b"".join(v.to_bytes(nbytes, "little") for v in values), dtype=np.uint8)
    return np.unpackbits(raw.reshape(len(values), nbytes), axis=1, bitorder="little")[:, :width]


def bits_to_ints(bits: np.ndarray) -> list[int]:
    """(batch, width) bits, LSB first -> unsigned ints."""
    packed = np.packbits(bits, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(batch, width) 0/1 array -> (width, ceil(batch/64)) uint64, sample i at bit i%64 of word i//64."""
    batch = bits.shape[0]
    words = -(-batch // 64)
    padded = np.zeros((bits.shape[1], words * 64), dtype=np.uint8)
    padded[:, :batch] = bits.T
    return np.packbits(padded, axis=1, bitorder="little").view(np.uint64).reshape(bits.shape[1], words)


def unpack_bits(packed: np.ndarray, batch: int) -> np.ndarray:
    """Inverse of ``pack_bits``: (width, words) uint64 -> (batch, width) uint8."""
    as_bytes = np.ascontiguousarray(packed).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :batch].T.copy()
