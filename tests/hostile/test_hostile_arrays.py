"""Hostile weights/inputs ``.npz`` files (issue #15): every member is
checked from the zip directory and its ``.npy`` header against the names and
shapes the module expects before any data is read, so a member inflating to
4 GB is refused whether it is expected (wrong shape) or not (unknown name,
never read); array names follow the port-name rule; non-real dtypes are
refused by name.

Oracles: the archives are written here member by member
(tests/hostile_files.py) and the expected shapes are stated by the test."""

from __future__ import annotations

import numpy as np
import pytest
from bounded_cli import needs_proc, refused
from hostile_files import bomb_array, npy, npz_file

from tc0.errors import ModelError
from tc0.models.arrays import read_arrays

SHAPES = {"W": (2, 3), "b": (3,)}
GOOD = {"W": npy(np.arange(6.0).reshape(2, 3)), "b": npy(np.array([1.0, 2.0, 3.0]))}


def _write(tmp_path, arrays, name="w.npz"):
    return npz_file(tmp_path / name, arrays)


def test_control_reads(tmp_path):
    arrays = read_arrays(str(_write(tmp_path, GOOD)), "weights", SHAPES)
    np.testing.assert_array_equal(arrays["W"], np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(arrays["b"], [1.0, 2.0, 3.0])


@pytest.fixture(scope="module")
def bomb():
    """A float64 array member of 4.0e9 bytes, 3.9 MB deflated."""
    return bomb_array((500_000_000 - 16,), np.float64)


@pytest.mark.parametrize("where, message", [
    ("W", r"weights array 'W' has shape \(499999984,\), expected \(2, 3\)"),
    ("extra", r"unknown weights array\(s\): extra"),
])
def test_inflating_member_refused_before_reading(tmp_path, bomb, where, message):
    path = _write(tmp_path, {**GOOD, where: bomb})
    assert path.stat().st_size < 4_000_000
    with pytest.raises(ModelError, match=f"^{path}: {message}"):
        read_arrays(str(path), "weights", SHAPES)


@needs_proc
def test_cli_refuses_inflating_weights_and_inputs(tmp_path, bomb):
    """Through the CLI, bounded: weights for ``tc0 weights``/``compile``, inputs for ``tc0 run``."""
    weights = _write(tmp_path, {"W": bomb}, "w.npz")
    refused("weights", "matmul", "--weights", weights, "-o", tmp_path / "out.npz",
            needles=(str(weights), "'W' has shape (499999984,), expected (4, 4)"))
    inputs = _write(tmp_path, {"X": npy(np.zeros((2, 2, 4))), "junk": bomb}, "in.npz")
    refused("run", "matmul", "--inputs", inputs, "-o", tmp_path / "y.npz", needles=(str(inputs), "unknown", "junk"))
    assert not (tmp_path / "out.npz").exists() and not (tmp_path / "y.npz").exists()


@pytest.mark.parametrize("name", ["W\nb", "W b", 'W"', "$W", "W;", "1W", ".W", ""])
def test_bad_array_names_refused(tmp_path, name):
    path = _write(tmp_path, {**GOOD, name: npy(np.zeros(1))})
    with pytest.raises(ModelError) as info:
        read_arrays(str(path), "weights", SHAPES)
    message = str(info.value)
    assert message.startswith(f"{path}: bad weights array name {name!r}") and "\n" not in message


@pytest.mark.parametrize("arr, what", [
    (np.zeros(3, dtype=np.complex128), "complex128"),
    (np.zeros(3, dtype=bool), "bool"),
    (np.array(["a", "b", "c"]), "<U1"),
    (np.zeros(3, dtype="datetime64[s]"), "datetime64[s]"),
    (np.zeros(3, dtype=[("x", "<f8")]), "[('x', '<f8')]"),
])
def test_non_real_dtypes_refused_by_name(tmp_path, arr, what):
    path = _write(tmp_path, {**GOOD, "b": npy(arr)})
    with pytest.raises(ModelError) as info:
        read_arrays(str(path), "weights", SHAPES)
    assert str(info.value) == f"{path}: weights array 'b' is not numeric ({what}); give integers or floats"


@pytest.mark.parametrize("arr", [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.uint64),
                                 np.arange(3, dtype=np.float32), np.arange(3, dtype=">f8")])
def test_integer_and_float_dtypes_read_as_float64(tmp_path, arr):
    path = _write(tmp_path, {**GOOD, "b": npy(arr)})
    b = read_arrays(str(path), "weights", SHAPES)["b"]
    assert b.dtype == np.float64 and b.tolist() == [0.0, 1.0, 2.0]


def test_fortran_order_member_reads_transposed_right(tmp_path):
    W = np.arange(6.0).reshape(2, 3)
    path = _write(tmp_path, {**GOOD, "W": npy(np.asfortranarray(W))})
    np.testing.assert_array_equal(read_arrays(str(path), "weights", SHAPES)["W"], W)
