"""The one rule for names tc0 reads, builds and writes: port names of a
circuit and array names of a weights/inputs file are identifier characters
and dots, ``[A-Za-z_][A-Za-z0-9_.]*`` (ASCII). The Builder, the circuit
loader, the Bristol importer, every exporter and the array readers all check
names with this module, so no name that could break out of an exported
format's syntax (newline, space, quote, ``$``, ``;``, backslash, ...) gets
into or out of tc0."""

from __future__ import annotations

import re

from tc0.errors import CircuitError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
#: what a valid name looks like, for error messages
NAME_RULE = "letters, digits, '_' and '.', not starting with a digit or '.'"


def is_valid_name(name) -> bool:
    """Whether ``name`` is a string that follows the name rule."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def shown(name) -> str:
    """``repr(name)`` for a one-line message, cut short past 80 characters."""
    text = repr(name)
    return text if len(text) <= 80 else f"{text[:70]}...{text[-7:]} ({len(text)} characters)"


def check_port_name(name) -> None:
    """Raise ``CircuitError`` naming ``name`` (its repr) unless it is a valid port name."""
    if not is_valid_name(name):
        raise CircuitError(f"bad port name {shown(name)}: use {NAME_RULE}")


_BIT = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\[(\d+)\]")


def ports_of_bits(names, default: str) -> list[tuple[str, int]]:
    """Ports (name, width) spelled by bit names ``port[j]`` listed port after
    port, bits in order from 0 (as tc0, ABC and Yosys write them); any other
    list is one port ``default`` of all the bits."""
    names = list(names)
    ports: list[tuple[str, int]] = []
    for name in names:
        match = _BIT.fullmatch(name) if isinstance(name, str) else None
        if match is None:
            return [(default, len(names))]
        port, bit = match[1], int(match[2])
        if ports and ports[-1] == (port, bit):
            ports[-1] = (port, bit + 1)
        elif bit == 0 and all(p != port for p, _ in ports):
            ports.append((port, 1))
        else:
            return [(default, len(names))]
    return ports
