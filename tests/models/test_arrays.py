"""Direct tests of ``tc0.models.arrays``: named float arrays checked against
expected shapes (``check_arrays``), read from ``.npz`` without pickle
(``read_arrays``) and written atomically (``write_arrays``).

Oracles: numpy's own ``np.load``/``np.savez`` for the file contents, and the
arrays the test itself wrote."""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import no_temp_files

from tc0.errors import ModelError
from tc0.models.arrays import check_arrays, read_arrays, write_arrays

SHAPES = {"W": (2, 3), "b": (3,), "s": ()}


def good_arrays(rng=None):
    rng = rng or np.random.default_rng(0)
    return {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3), "s": np.float64(0.25)}


# ---------------------------------------------------------------- check_arrays


def test_check_arrays_accepts_and_converts_to_float64():
    given = {"W": np.arange(6, dtype=np.int32).reshape(2, 3), "b": np.array([1.5, -2, 3], dtype=np.float32),
             "s": 7}
    out = check_arrays("weights", given, SHAPES)
    assert set(out) == set(SHAPES)
    for name, arr in out.items():
        assert arr.dtype == np.float64 and arr.shape == SHAPES[name]
        np.testing.assert_array_equal(arr, np.asarray(given[name], dtype=np.float64))


def test_check_arrays_nothing_expected_nothing_given():
    assert check_arrays("weights", {}, {}) == {}


@pytest.mark.parametrize(
    "change, needles",
    [
        (lambda a: a.update(extra=np.zeros(3)), ["unknown", "weights", "extra"]),
        (lambda a: a.update(zz=np.zeros(1), aa=np.zeros(1)), ["unknown", "aa", "zz"]),
        (lambda a: a.pop("b"), ["missing", "weights", "b"]),
        (lambda a: a.update(W=np.zeros((3, 2))), ["'W'", "(3, 2)", "(2, 3)"]),
        (lambda a: a.update(b=np.zeros((3, 1))), ["'b'", "(3, 1)", "(3,)"]),
        (lambda a: a.update(s=np.zeros(1)), ["'s'", "(1,)", "()"]),
        (lambda a: a.update(b=np.array(["1", "2", "3"])), ["'b'", "not numeric"]),
        (lambda a: a.update(b=np.array([True, False, True])), ["'b'", "not numeric"]),
        (lambda a: a.update(b=np.array([1.0, np.nan, 3.0])), ["'b'", "NaN"]),
        (lambda a: a.update(W=np.array([[1.0, 2, 3], [4, np.inf, 6]])), ["'W'", "infinite"]),
        (lambda a: a.update(s=-np.inf), ["'s'", "infinite"]),
    ],
)
def test_check_arrays_refuses_naming_the_array(change, needles):
    arrays = good_arrays()
    change(arrays)
    with pytest.raises(ModelError) as info:
        check_arrays("weights", arrays, SHAPES)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


def test_check_arrays_unknown_when_none_expected():
    with pytest.raises(ModelError, match=r"unknown input array\(s\): X .*expected none"):
        check_arrays("input", {"X": np.zeros(1)}, {})


def test_check_arrays_bool_is_not_numeric():
    """numpy does not count bool as a number (np.issubdtype(bool, np.number) is False)."""
    assert not np.issubdtype(np.bool_, np.number)
    with pytest.raises(ModelError, match="'s' is not numeric"):
        check_arrays("weights", {**good_arrays(), "s": np.bool_(True)}, SHAPES)


# ---------------------------------------------------------------- round trip


def test_write_then_read_round_trip(tmp_path):
    arrays = good_arrays(np.random.default_rng(7))
    path = tmp_path / "w.npz"
    write_arrays(str(path), arrays)
    no_temp_files(tmp_path)
    # numpy itself reads what was written: uncompressed float64, no pickle needed
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == sorted(arrays)
        for name, arr in arrays.items():
            assert data[name].dtype == np.float64
            np.testing.assert_array_equal(data[name], arr)
    back = read_arrays(str(path), "weights", SHAPES)
    assert set(back) == set(arrays)
    for name in arrays:
        assert back[name].dtype == np.float64 and back[name].shape == SHAPES[name]
        np.testing.assert_array_equal(back[name], arrays[name])  # bit for bit


def test_write_arrays_converts_to_float64(tmp_path):
    path = tmp_path / "i.npz"
    write_arrays(path, {"X": np.arange(4, dtype=np.int16).reshape(2, 2), "y": [0.5, 1]})
    with np.load(path, allow_pickle=False) as data:
        assert data["X"].dtype == np.float64 and data["y"].dtype == np.float64
        np.testing.assert_array_equal(data["X"], [[0, 1], [2, 3]])
        np.testing.assert_array_equal(data["y"], [0.5, 1.0])


def test_write_arrays_replaces_an_existing_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"old contents")
    write_arrays(path, {"Y": np.ones((2, 2))})
    no_temp_files(tmp_path)
    with np.load(path, allow_pickle=False) as data:
        assert data.files == ["Y"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


def test_failed_write_leaves_neither_file_nor_temp(tmp_path):
    """An array that cannot become float64 fails inside the write: the target
    is not created (nor an existing one touched) and no temp file remains."""
    path = tmp_path / "w.npz"
    with pytest.raises(ValueError):
        write_arrays(path, {"ok": np.ones(2), "bad": np.array(["a", "b"])})
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"keep me")
    with pytest.raises(ValueError):
        write_arrays(path, {"bad": np.array(["x"])})
    assert path.read_bytes() == b"keep me"
    no_temp_files(tmp_path)


# ---------------------------------------------------------------- read_arrays refusals


def test_read_arrays_errors_name_the_file_and_the_array(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, W=np.zeros((2, 3)), b=np.zeros(4), s=np.float64(1))
    with pytest.raises(ModelError) as info:
        read_arrays(str(path), "weights", SHAPES)
    message = str(info.value)
    assert str(path) in message and "'b'" in message and "(4,)" in message


@pytest.mark.parametrize(
    "arrays, needles",
    [
        ({"W": np.zeros((2, 3)), "s": np.float64(1)}, ["missing", "b"]),
        ({"W": np.zeros((2, 3)), "b": np.zeros(3), "s": np.float64(1), "c": np.zeros(1)}, ["unknown", "c"]),
        ({"W": np.zeros((2, 3)), "b": np.array([0, np.nan, 0]), "s": np.float64(1)}, ["'b'", "NaN"]),
        ({"W": np.zeros((2, 3)), "b": np.array(["p", "q", "r"]), "s": np.float64(1)}, ["'b'", "not numeric"]),
    ],
)
def test_read_arrays_refuses(tmp_path, arrays, needles):
    path = tmp_path / "w.npz"
    np.savez(path, **arrays)
    with pytest.raises(ModelError) as info:
        read_arrays(str(path), "weights", SHAPES)
    for needle in [str(path), *needles]:
        assert needle in str(info.value)


def test_read_arrays_refuses_a_pickled_object_array(tmp_path):
    """An object array in the npz is stored pickled; reading it must not unpickle."""
    path = tmp_path / "evil.npz"
    obj = np.empty(3, dtype=object)
    obj[:] = [1.0, 2.0, 3.0]
    np.savez(path, W=np.zeros((2, 3)), b=obj, s=np.float64(1))
    with pytest.raises(ModelError) as info:
        read_arrays(str(path), "weights", SHAPES)
    assert str(path) in str(info.value)


UNPICKLED: list[str] = []


def _record_unpickling(tag):
    UNPICKLED.append(tag)
    return 0.0


class _Boom:
    """Unpickling this calls ``_record_unpickling`` (found by reference, in this module)."""

    def __reduce__(self):
        return (_record_unpickling, ("unpickled!",))


def test_read_arrays_never_runs_pickled_code(tmp_path):
    """A pickle whose loading would call a function: the function is never called."""
    path = tmp_path / "evil.npz"
    obj = np.empty(1, dtype=object)
    obj[0] = _Boom()
    np.savez(path, b=obj)
    UNPICKLED.clear()
    with pytest.raises(ModelError):
        read_arrays(str(path), "weights", {"b": (1,)})
    assert UNPICKLED == []
    # the file is live: loading it with pickle allowed would have run the call
    with np.load(path, allow_pickle=True) as data:
        data["b"]
    assert UNPICKLED == ["unpickled!"]


def test_read_arrays_missing_file_and_non_npz(tmp_path):
    with pytest.raises(ModelError, match="no such file"):
        read_arrays(str(tmp_path / "absent.npz"), "weights", SHAPES)
    npy = tmp_path / "bare.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(ModelError, match="bare .npy"):
        read_arrays(str(npy), "weights", SHAPES)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(ModelError) as info:
        read_arrays(str(junk), "weights", SHAPES)
    assert str(junk) in str(info.value)
