"""Property-based fuzzing of every file reader (issue #15): random mutations
of small valid files (byte flips, truncation, insertions, deletions; for
npz archives also ``.npy`` header edits, member swaps, renames, drops and
duplicates, and metadata edits) must give either a clean one-line
``Tc0Error`` or a valid result, within bounded time and memory.

Readers: ``.tc0`` (``tc0.load``), Bristol (``read_bristol``), weights and
inputs (``read_arrays``), ``--ints-file`` (``read_int_cases``). A valid
result is checked by properties written here, not by the reader: every
node-schema invariant of a circuit (and that it simulates), the expected
names, shapes and finiteness of arrays, cases within their ports.

Examples per test: profile ``default`` (60) in the normal suite; ``long``
(3000) with ``HYPOTHESIS_PROFILE=long pytest tests/fuzz`` (tests/fuzz/conftest.py)."""

from __future__ import annotations

import json
import time
import tracemalloc

import numpy as np
import pytest
from hostile_files import (
    BRISTOL_ADDER,
    follows_name_rule,
    npy,
    npy_data_start,
    npy_header,
    npz_members,
    small_circuit,
    zip_bytes,
)
from hypothesis import event, given
from hypothesis import strategies as st

import tc0
from tc0 import Kind
from tc0.errors import Tc0Error
from tc0.io.bristol import read_bristol
from tc0.io.int_cases import read_int_cases
from tc0.models.arrays import read_arrays, write_arrays

#: what one read of a mutated file (all smaller than 100 kB) may take
SECONDS, PEAK_BYTES = 5.0, 64 << 20
SHAPES = {"W": (3, 4), "scale1.b": (4,), "s": ()}
WIDTHS = {"a": 8, "b": 12}
INTS_TEXT = "# cases\n1,2\n0xff, 0xABC\n\n  7 ,\t4095\n0,0\n"
NAMES = ["x", "y", "a.b", "y\nz", "a b", 'q"', "$display", "1x", "", "é", "W", "scale1.b", "s", "kind", "meta"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def circuit_bytes(workdir) -> bytes:
    path = workdir / "seed.tc0"
    small_circuit().save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def arrays_bytes(workdir) -> bytes:
    path = workdir / "seed.npz"
    rng = np.random.default_rng(0)
    write_arrays(path, {name: rng.normal(size=shape) for name, shape in SHAPES.items()})
    return path.read_bytes()


# ------------------------------------------------------------------ mutations
@st.composite
def byte_edits(draw, data: bytes) -> bytes:
    """1-4 byte-level edits: flip, overwrite, insert, delete, truncate."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "overwrite":
            data[at : at + 8] = draw(st.binary(min_size=1, max_size=8))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return bytes(data)


_DTYPES = ["<u1", "<i4", "<i8", "<f8", ">i4", "<f4", "<c16", "|b1", "<U2", "|O", "<i2"]


@st.composite
def member_edits(draw, data: bytes) -> bytes:
    """1-3 edits of an npz's members: a new ``.npy`` header (shape, dtype,
    order, version) over the old data, two members' contents swapped, a
    member renamed, dropped, duplicated or cut short; the archive deflated
    or stored; then, sometimes, byte edits of the whole archive."""
    members = [[f"{name}.npy", content] for name, content in npz_members(data).items()]
    for _ in range(draw(st.integers(1, 3))):
        if not members:
            break
        op = draw(st.sampled_from(["header", "swap", "rename", "drop", "duplicate", "cut"]))
        i = draw(st.integers(0, len(members) - 1))
        content = members[i][1]
        if op == "header":
            shape = tuple(draw(st.lists(st.integers(-2, 64) | st.integers(0, 1 << 40), max_size=3)))
            header = npy_header(shape, draw(st.sampled_from(_DTYPES)), draw(st.booleans()))
            if draw(st.booleans()):
                header = header[:6] + bytes([draw(st.integers(0, 4)), 0]) + header[8:]
            members[i][1] = header + content[npy_data_start(content):]
        elif op == "swap":
            j = draw(st.integers(0, len(members) - 1))
            members[i][1], members[j][1] = members[j][1], content
        elif op == "rename":
            members[i][0] = draw(st.sampled_from(NAMES)) + draw(st.sampled_from([".npy", ""]))
        elif op == "drop":
            del members[i]
        elif op == "duplicate":
            members.append([members[i][0], draw(st.sampled_from([content, content[:10]]))])
        else:
            members[i][1] = content[: draw(st.integers(0, len(content)))]
    out = zip_bytes([(name, content) for name, content in members], stored=draw(st.booleans()))
    return draw(byte_edits(out)) if draw(st.booleans()) else out


@st.composite
def meta_edits(draw, data: bytes) -> bytes:
    """A circuit file whose metadata JSON has ports, widths, format, version or scopes edited."""
    members = npz_members(data)
    meta = json.loads(members["meta"][npy_data_start(members["meta"]):].decode())
    key = draw(st.sampled_from(["inputs", "outputs", "scopes", "format", "version"]))
    width = st.integers(-1, 3) | st.integers(0, 1 << 70) | st.just(5)
    port = st.lists(st.one_of(st.sampled_from(NAMES), st.integers(), st.none()), min_size=0, max_size=3) | \
        st.tuples(st.sampled_from(NAMES), width).map(list)
    values = {
        "inputs": st.lists(port, max_size=3),
        "outputs": st.lists(port, max_size=3),
        "scopes": st.lists(st.text(max_size=4), max_size=3) | st.integers(),
        "format": st.sampled_from(["tc0-circuit", "x", None]),
        "version": st.sampled_from([1, 2, "1", 1.0, None]),
    }
    if draw(st.booleans()):
        meta[key] = draw(values[key])
    else:
        meta.pop(key)
    members["meta"] = npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    return zip_bytes({f"{name}.npy": content for name, content in members.items()})


@st.composite
def text_edits(draw, text: str) -> bytes:
    """Line-level edits of a text (swap, duplicate, drop lines; a number made
    huge, negative or junk) and then, sometimes, byte edits."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["swap", "duplicate", "drop", "number", "token"]))
        if op == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif op == "duplicate":
            lines.insert(at, lines[at])
        elif op == "drop":
            del lines[at]
        else:
            tokens = lines[at].split(" ")
            i = draw(st.integers(0, max(len(tokens) - 1, 0)))
            new = (draw(st.sampled_from(["10000000000", "-1", "99999999999999999999", "0x1f", "MAND", "EQ", "",
                                         "1e5", ",", "#"])) if op == "token"
                   else str(draw(st.integers(0, 40) | st.integers(0, 1 << 40))))
            tokens[i : i + 1] = [new]
            lines[at] = " ".join(tokens)
        if not lines:
            lines = [""]
    data = "\n".join(lines).encode()
    return draw(byte_edits(data)) if draw(st.booleans()) else data


# ------------------------------------------------------------------ checks
def bounded(read, path):
    """``read(path)``: its result, or the ``Tc0Error`` it raised (anything
    else fails the test); within ``SECONDS`` and ``PEAK_BYTES``."""
    tracemalloc.start()
    start = time.monotonic()
    try:
        result = read(path)
    except Tc0Error as exc:
        result = exc
    finally:
        seconds = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert seconds < SECONDS, f"{seconds:.1f} s"
    assert peak < PEAK_BYTES, f"{peak / 2**20:.0f} MiB"
    event("refused" if isinstance(result, Tc0Error) else "read")  # shown by --hypothesis-show-statistics
    if isinstance(result, Tc0Error):
        message = str(result)
        assert message and "\n" not in message and "\r" not in message, repr(message)
        assert message.startswith(str(path)), message
    return result


def assert_valid_circuit(c: tc0.Circuit) -> None:
    """The node schema (docs/circuit-format.md) checked node by node, the
    port names against the name rule, and one simulation."""
    kind, offsets, fanins = c.kind.tolist(), c.offsets.tolist(), c.fanins.tolist()
    first = 2 + sum(c.inputs.values())
    assert kind[:2] == [Kind.CONST0, Kind.CONST1] and all(k == Kind.INPUT for k in kind[2:first])
    assert offsets[0] == 0 and offsets[-1] == len(fanins) and len(offsets) == len(kind) + 1
    for v in range(len(kind)):
        ins = fanins[offsets[v] : offsets[v + 1]]
        if v < first:
            assert not ins
        else:
            assert kind[v] in (Kind.AND, Kind.OR, Kind.NOT, Kind.MAJ) and ins
            assert kind[v] != Kind.NOT or len(ins) == 1
            assert all(0 <= u < v for u in ins)
    assert c.outputs and all(follows_name_rule(n) for n in [*c.inputs, *c.outputs])
    assert all(w >= 1 for w in c.inputs.values())
    for ids in c.outputs.values():
        assert len(ids) and all(0 <= i < len(kind) for i in ids.tolist())
    assert all(0 <= s < len(c.scopes) for s in c.scope.tolist())
    out = tc0.simulate(c, {name: np.zeros((2, w), dtype=np.uint8) for name, w in c.inputs.items()})
    assert {name: v.shape for name, v in out.items()} == {name: (2, len(ids)) for name, ids in c.outputs.items()}


def _load_mutated(workdir, data: bytes, read, suffix: str, check) -> None:
    """``read`` the file ``data`` (see ``bounded``); ``check`` what it read, unless it was refused."""
    path = workdir / f"mutated{suffix}"
    path.write_bytes(data)
    result = bounded(read, path)
    if not isinstance(result, Tc0Error):
        check(result)


# ------------------------------------------------------------------ .tc0
@given(data=st.data())
def test_circuit_file_byte_mutations(workdir, circuit_bytes, data):
    _load_mutated(workdir, data.draw(byte_edits(circuit_bytes)), tc0.load, ".tc0", assert_valid_circuit)


@given(data=st.data())
def test_circuit_file_member_mutations(workdir, circuit_bytes, data):
    _load_mutated(workdir, data.draw(member_edits(circuit_bytes)), tc0.load, ".tc0", assert_valid_circuit)


@given(data=st.data())
def test_circuit_file_meta_mutations(workdir, circuit_bytes, data):
    _load_mutated(workdir, data.draw(meta_edits(circuit_bytes)), tc0.load, ".tc0", assert_valid_circuit)


# ------------------------------------------------------------------ Bristol
def _assert_valid_import(c: tc0.Circuit) -> None:
    assert_valid_circuit(c)
    assert list(c.inputs) == [f"in{i}" for i in range(len(c.inputs))]


@given(data=st.data())
def test_bristol_mutations(workdir, data):
    _load_mutated(workdir, data.draw(text_edits(BRISTOL_ADDER)), read_bristol, ".txt", _assert_valid_import)


# ------------------------------------------------------------------ weights / inputs
def _read_weights(path):
    return read_arrays(str(path), "weights", SHAPES)


def _assert_valid_arrays(arrays) -> None:
    assert set(arrays) == set(SHAPES)
    for name, shape in SHAPES.items():
        assert arrays[name].shape == shape and arrays[name].dtype == np.float64
        assert np.all(np.isfinite(arrays[name]))


@given(data=st.data())
def test_arrays_byte_mutations(workdir, arrays_bytes, data):
    _load_mutated(workdir, data.draw(byte_edits(arrays_bytes)), _read_weights, ".npz", _assert_valid_arrays)


@given(data=st.data())
def test_arrays_member_mutations(workdir, arrays_bytes, data):
    _load_mutated(workdir, data.draw(member_edits(arrays_bytes)), _read_weights, ".npz", _assert_valid_arrays)


# ------------------------------------------------------------------ ints files
def _read_cases(path):
    return [case for batch in read_int_cases(path, WIDTHS, 3) for case in batch]


def _assert_valid_cases(cases) -> None:
    assert cases
    for case in cases:
        assert len(case) == len(WIDTHS)
        assert all(type(v) is int and 0 <= v < 1 << w for v, w in zip(case, WIDTHS.values()))


@given(data=st.data())
def test_ints_file_mutations(workdir, data):
    _load_mutated(workdir, data.draw(text_edits(INTS_TEXT)), _read_cases, ".txt", _assert_valid_cases)
