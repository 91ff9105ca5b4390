"""No exporter can write a port name outside tc0's name rule
(``[A-Za-z_][A-Za-z0-9_.]*``), whatever circuit it is given: every format
of ``tc0 export`` refuses, with a one-line ``ExportError`` naming the port,
before it writes a byte. The circuits are made with ``dataclasses.replace``
past the Builder and the loader (which refuse such names too), as a
hostile file or a caller of the Python API could.

Oracle: the name rule written here as its own regex, and the directory
listing (nothing written)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from cli_helpers import fails

import tc0.cli
from tc0 import Builder, Circuit
from tc0.cli import EXPORTERS
from tc0.errors import ExportError
from tc0.io.blif import write_blif
from tc0.io.verilog import write_verilog

RULE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
HOSTILE = [
    "a\nb",  # a new line: an extra BLIF .names line, a Verilog statement
    "a b",
    'q"x',
    "p'",
    '$display("pwned")',
    "x; initial $finish;",
    "a\\b",
    "bad#name",
    "",
    "9lives",
    ".hidden",
    "a[0]",
    "né",
    "a\x00b",
    "tab\there",
]
GOOD = ["a", "_x", "scale1.tf.attn.W_Q", "Y"]


def test_the_hostile_names_break_the_rule_and_the_good_ones_keep_it():
    assert not any(RULE.fullmatch(name) for name in HOSTILE)
    assert all(RULE.fullmatch(name) for name in GOOD)


@pytest.fixture(scope="module")
def good() -> Circuit:
    b = Builder()
    x = b.input("x", 3)
    b.output("y", b.and_(b.or_(x[0], x[1]), b.not_(x[2])))
    b.output("z", b.threshold(x, 2))
    return b.build()


def with_name(circuit: Circuit, where: str, name: str) -> Circuit:
    """``circuit`` with its first input or output port renamed ``name``."""
    ports = dict(getattr(circuit, where))
    first = next(iter(ports))
    return dataclasses.replace(circuit, **{where: {name: ports[first], **{k: v for k, v in ports.items()
                                                                             if k != first}}})


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
@pytest.mark.parametrize("where", ["inputs", "outputs"])
@pytest.mark.parametrize("name", HOSTILE, ids=repr)
def test_every_exporter_refuses_a_hostile_port_name(good, tmp_path, fmt, where, name):
    circuit = with_name(good, where, name)
    with pytest.raises(ExportError) as info:
        EXPORTERS[fmt](circuit, tmp_path / f"out.{fmt}")
    message = str(info.value)
    assert "\n" not in message and "port name" in message and repr(name)[:20] in message, message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
@pytest.mark.parametrize("name", GOOD)
def test_every_exporter_writes_a_good_port_name(good, tmp_path, fmt, name):
    path = tmp_path / f"out.{fmt}"
    EXPORTERS[fmt](with_name(good, "outputs", name), path)
    assert path.stat().st_size > 0


@pytest.mark.parametrize("write, keyword", [(write_blif, "model"), (write_verilog, "module")])
@pytest.mark.parametrize("name", ['m"x', "a b", "a\nb"], ids=repr)
def test_model_and_module_names_are_checked_too(good, tmp_path, write, keyword, name):
    with pytest.raises(ExportError, match="cannot be exported"):
        write(good, tmp_path / "out", **{keyword: name})
    assert list(tmp_path.iterdir()) == []


def test_a_very_long_hostile_name_gives_a_short_message(good, tmp_path):
    with pytest.raises(ExportError) as info:
        write_blif(with_name(good, "inputs", "x " * 100_000), tmp_path / "out.blif")
    assert len(str(info.value)) < 300  # the name cut to about 100 characters (names.shown), then the rule


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_tc0_export_refuses_in_one_line_and_writes_nothing(good, tmp_path, monkeypatch, fmt):
    """Through the command line, with the loaded circuit replaced by a hostile one."""
    circuit = tmp_path / "c.tc0"
    good.save(circuit)
    monkeypatch.setattr(tc0.cli, "_load", lambda path: with_name(good, "outputs", '$display("pwned")'))
    out = tmp_path / f"out.{fmt}"
    line = fails("export", circuit, "--format", fmt, "-o", out, needles=("port name", "$display"))
    assert line.startswith("Error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.tc0"]
