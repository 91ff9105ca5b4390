"""Hostile ``.tc0`` files (issue #15): port names outside the name rule, no
output ports, and members that inflate far past the file (a 3.9 MB file of
4 GB) are refused from the zip directory, the ``.npy`` headers and the
metadata, before any large allocation; with the CLI, within 10 s and 1 GB.

Oracles: the files are written here member by member (tests/hostile_files.py),
so what each declares is known independently of the reader; the name rule
is checked against Python's own ``str.isidentifier`` on the dot-separated
parts (``hostile_files.follows_name_rule``), and the memory figures against the byte counts the headers declare."""

from __future__ import annotations

import re

import numpy as np
import pytest
from bounded_cli import needs_proc, refused, run_cli
from hostile_files import (
    bomb_array,
    circuit_meta,
    follows_name_rule,
    npy,
    npz_file,
    npz_members,
    small_circuit,
    zip_bytes,
)

import tc0
from tc0 import Builder
from tc0.errors import CircuitError, CircuitFileError
from tc0.ir import native
from tc0.ir.names import check_port_name, is_valid_name

HOSTILE_NAMES = ["a\nb", "a b", 'a"b', "a'b", "x);\ninitial $display(1", "a\\b", "a;b", "$x", "a-b", "a[0]", "1a",
                 ".a", "é", "a\tb", "a\x00b", "a#b", ""]
GOOD_NAMES = ["a", "X", "_", "a.b", "scale1.tf.attn.W_Q", "F0_1", "a..b", "a.", "in0"]


@pytest.mark.parametrize("name", HOSTILE_NAMES + GOOD_NAMES)
def test_name_rule_agrees_with_identifiers(name):
    assert is_valid_name(name) == follows_name_rule(name)
    if follows_name_rule(name):
        check_port_name(name)
    else:
        with pytest.raises(CircuitError) as info:
            check_port_name(name)
        assert repr(name) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_builder_refuses_hostile_names(name):
    b = Builder()
    with pytest.raises(CircuitError, match="bad port name"):
        b.input(name, 1)
    x = b.input("x", 1)
    with pytest.raises(CircuitError, match="bad port name"):
        b.output(name, x)


def _circuit_members(tmp_path) -> dict:
    """The members of the small circuit's file, by array name."""
    path = tmp_path / "good.tc0"
    small_circuit().save(path)
    return npz_members(path.read_bytes())


def _file_with_ports(tmp_path, inputs, outputs, name="c.tc0"):
    """The small circuit's file with its metadata's ports replaced."""
    members = _circuit_members(tmp_path)
    members["meta"] = circuit_meta(inputs, outputs, small_circuit().scopes)
    return npz_file(tmp_path / name, members)


@pytest.mark.parametrize("where", ["inputs", "outputs"])
@pytest.mark.parametrize("name", [n for n in HOSTILE_NAMES if n])
def test_load_refuses_hostile_port_names(tmp_path, where, name):
    c = small_circuit()
    ports = {"inputs": [[n, w] for n, w in c.inputs.items()], "outputs": [[n, len(v)] for n, v in c.outputs.items()]}
    ports[where][0][0] = name
    path = _file_with_ports(tmp_path, ports["inputs"], ports["outputs"])
    with pytest.raises(CircuitFileError) as info:
        tc0.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: bad {where[:-1]} port name {name!r}") and "\n" not in message


def test_unedited_ports_load(tmp_path):
    """Control for the two tests above: the same file with the saved ports loads."""
    c = small_circuit()
    inputs, outputs = [[n, w] for n, w in c.inputs.items()], [[n, len(v)] for n, v in c.outputs.items()]
    assert tc0.load(_file_with_ports(tmp_path, inputs, outputs)).size == c.size


def test_load_refuses_no_output_ports(tmp_path):
    c = small_circuit()
    path = _file_with_ports(tmp_path, [[n, w] for n, w in c.inputs.items()], [])
    with pytest.raises(CircuitFileError, match=re.escape(f"{path}: the circuit has no output ports")):
        tc0.load(path)


@needs_proc
def test_cli_refuses_hostile_name_and_no_outputs(tmp_path):
    c = small_circuit()
    inputs = [[n, w] for n, w in c.inputs.items()]
    evil = _file_with_ports(tmp_path, inputs, [["y\ninitial $display(1);", 5]], "evil.tc0")
    refused("info", evil, needles=("bad output port name", repr("y\ninitial $display(1);")))
    empty = _file_with_ports(tmp_path, inputs, [], "empty.tc0")
    refused("simulate", empty, "--ints", "1,2", needles=("no output ports",))


# ------------------------------------------------------------------ zip bombs
@pytest.fixture(scope="module")
def bomb_4gb():
    """A ``kind`` member of 4.0e9 bytes deflated into 3.9 MB."""
    return bomb_array((4_000_000_000 - 128,), np.uint8)


@needs_proc
def test_four_gigabyte_member_refused_from_its_header(tmp_path, bomb_4gb):
    path = npz_file(tmp_path / "bomb.tc0", {**_circuit_members(tmp_path), "kind": bomb_4gb})
    assert path.stat().st_size < 4_000_000
    refused("info", path, needles=(str(path), "offsets/scope lengths do not match the node count"))


def _consistent_bomb(tmp_path, n: int):
    """A circuit file whose headers agree: n nodes (all but the constants
    inputs of one port), every array but ``meta`` deflated zeros."""
    members = {
        "kind": bomb_array((n,), np.uint8),
        "offsets": bomb_array((n + 1,), np.int64),
        "fanins": npy(np.zeros(0, dtype=np.int32)),
        "scope": bomb_array((n,), np.int32),
        "output_ids": npy(np.array([2], dtype=np.int64)),
        "meta": circuit_meta([["x", n - 2]], [["y", 1]]),
    }
    return npz_file(tmp_path / "consistent.tc0", members)


def test_consistent_bomb_refused_above_max_bytes(tmp_path):
    """Headers that agree with each other and the ports: refused when their
    arrays would exceed the memory limit, before decompressing."""
    path = _consistent_bomb(tmp_path, 10_000_000)
    with pytest.raises(CircuitFileError, match=r"its arrays take 124\.0 MiB \(10000000 nodes, 0 fan-ins\), "
                                               r"more than the 100\.0 MiB of memory available"):
        native.read(path, max_bytes=100 << 20)
    with pytest.raises(CircuitFileError, match="nodes 0 and 1 must be the constants"):
        native.read(path, max_bytes=200 << 20)  # read in full when it fits: zeros are not the constants


@needs_proc
def test_consistent_bomb_refused_by_the_cli_under_its_memory(tmp_path):
    path = _consistent_bomb(tmp_path, 200_000_000)  # 2.6 GB of arrays in a ~2.5 MB file
    assert path.stat().st_size < 3_000_000
    refused("info", path, needles=("its arrays take 2.4 GiB", "more than the", "of memory available"))


def test_oversized_metadata_refused_before_reading(tmp_path):
    header = bomb_array((native.MAX_META_BYTES + 1,), np.uint8)
    path = npz_file(tmp_path / "meta.tc0", {**_circuit_members(tmp_path), "meta": header})
    with pytest.raises(CircuitFileError, match=f"metadata of {native.MAX_META_BYTES + 1} bytes, more than"):
        tc0.load(path)


@pytest.mark.parametrize("member, lengths, message", [
    ("fanins", 3, r"3 fan-ins for \d+ gates, each needing one"),
    ("output_ids", 4, r"4 output ids for 5 declared output bits"),
    ("scope", 7, "offsets/scope lengths do not match the node count"),
])
def test_header_lengths_disagreeing_refused(tmp_path, member, lengths, message):
    members = _circuit_members(tmp_path)
    members[member] = npy(np.zeros(lengths, dtype=native.ARRAYS[member][0]))
    path = npz_file(tmp_path / "lengths.tc0", members)
    with pytest.raises(CircuitFileError, match=message):
        tc0.load(path)


def test_duplicate_member_refused(tmp_path):
    members = _circuit_members(tmp_path)
    data = zip_bytes({**{f"{k}.npy": v for k, v in members.items()}, "kind": members["kind"]})
    path = tmp_path / "twice.tc0"
    path.write_bytes(data)
    with pytest.raises(CircuitFileError, match="array 'kind' is stored twice"):
        tc0.load(path)


@needs_proc
def test_valid_file_loads_in_the_bounded_child(tmp_path):
    """Control for the refusals above: the helper's limits let a real run through."""
    path = tmp_path / "good.tc0"
    small_circuit().save(path)
    run = run_cli("simulate", path, "--ints", "3,4")
    assert run.returncode == 0 and run.stdout.strip() == "0x7", run.stderr
