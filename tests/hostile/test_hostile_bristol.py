"""Hostile Bristol files (issue #15): wire counts that tiny files declare
(2*10^8 and 10^9 bits in 48 and 52 bytes) are refused from the header,
before any allocation; so are more wires than a file's gate lines can set,
and circuits without outputs. The reader streams: lines are read one at a
time, none longer than ``MAX_LINE_CHARS``.

Oracles: the declared counts are written by the test; an accepted file is
checked by simulation against Python's own operators."""

from __future__ import annotations

import pytest
from bounded_cli import needs_proc, refused
from hostile_files import BRISTOL_ADDER

from tc0 import simulate
from tc0.errors import FormatError
from tc0.io import bristol
from tc0.io.bristol import MAX_WIRES, parse_bristol, read_bristol


@needs_proc
@pytest.mark.parametrize("bits", [200_000_000, 1_000_000_000])
def test_tiny_file_declaring_huge_inputs_refused(tmp_path, bits):
    path = tmp_path / "huge.txt"
    path.write_text(f"1 {bits + 1}\n1 {bits}\n1 1\n1 1 0 {bits} INV\n")
    assert path.stat().st_size < 60
    refused("import", path, "-o", tmp_path / "out.tc0",
            needles=(str(path), f"header declares {bits + 1} wires, more than --max-wires ({MAX_WIRES})"))
    assert not (tmp_path / "out.tc0").exists()


def test_wires_past_what_the_file_can_set_refused():
    """One input wire and 10^6 wires in a 40-byte text: refused from the header."""
    text = "1 1000000\n1 1\n1 1\n1 1 0 999999 INV\n"
    with pytest.raises(FormatError, match=f"header declares 1000000 wires, more than the inputs and the gates of a "
                                          f"{len(text)}-byte file can set"):
        parse_bristol(text)


def test_many_inputs_within_the_cap_import():
    """Control: a large input port that the cap allows imports, and works
    (its wires cost nothing while reading)."""
    c = parse_bristol("1 100002\n1 100001\n1 1\n1 1 100000 100001 INV\n")
    assert c.inputs == {"in0": 100001} and c.size == 1
    bits = [[0] * 100000 + [1], [1] * 100001]
    assert simulate(c, {"in0": bits})["out0"].ravel().tolist() == [0, 0]


def test_max_wires_is_a_parameter():
    with pytest.raises(FormatError, match=r"header declares 17 wires, more than max_wires \(16\)"):
        parse_bristol(BRISTOL_ADDER, max_wires=16)
    assert parse_bristol(BRISTOL_ADDER, max_wires=17).n_outputs == 3


def test_no_output_ports_refused(tmp_path):
    with pytest.raises(FormatError, match="line 3: the circuit has no output ports"):
        parse_bristol("1 2\n1 1\n0\n1 1 0 1 INV\n")


def test_overlong_line_refused(monkeypatch):
    monkeypatch.setattr(bristol, "MAX_LINE_CHARS", 40)
    line = "2 1 " + " " * 40 + "0 1 2 XOR\n"
    with pytest.raises(FormatError, match="line 4: longer than 40 characters"):
        parse_bristol("1 3\n2 1 1\n1 1\n" + line)


def test_more_gate_lines_than_declared_refused_at_the_first_extra():
    with pytest.raises(FormatError, match="header says 1 gates, file has more"):
        parse_bristol("1 4\n1 1\n1 1\n1 1 0 1 INV\n1 1 1 2 INV\n1 1 2 3 INV\n")


def test_streamed_read_of_a_file_matches_the_text(tmp_path):
    path = tmp_path / "small.txt"
    path.write_text(BRISTOL_ADDER)
    a, b = read_bristol(path), parse_bristol(BRISTOL_ADDER)
    for field in ("kind", "offsets", "fanins"):
        assert getattr(a, field).tolist() == getattr(b, field).tolist()


@pytest.mark.parametrize("content", [b"\xff\xfe1 1\n", b"1 2\n1 1\n1 1\n\x80\n"])
def test_non_utf8_refused(tmp_path, content):
    path = tmp_path / "binary.txt"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=f"{path}: not a text file"):
        read_bristol(path)
