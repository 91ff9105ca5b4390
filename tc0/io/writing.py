"""What every exporter shares: the name check it runs before it writes a
byte, and a line buffer that streams text to the file in bounded batches.

Each port name must follow tc0's name rule (``tc0.ir.names``), whatever file
the circuit came from, so that no name can carry a newline, quote,
backslash or other syntax into an exported file."""

from __future__ import annotations

from tc0.errors import ExportError
from tc0.ir.circuit import Circuit
from tc0.ir.names import NAME_RULE, is_valid_name, shown

#: lines a ``LineWriter`` holds before it encodes and writes them
FLUSH_LINES = 1 << 16


def check_export_names(circuit: Circuit, *names: str) -> None:
    """Raise ``ExportError`` naming the first port name of ``circuit``, or
    of the extra ``names`` (a module or model name), outside the name rule."""
    ports = [("port name", name) for name in [*circuit.inputs, *circuit.outputs]]
    for what, name in [*ports, *(("name", name) for name in names)]:
        if not is_valid_name(name):
            raise ExportError(f"{what} {shown(name)} cannot be exported: names must use {NAME_RULE}")


class LineWriter:
    """Text lines written to a binary file as UTF-8, each ended by a newline,
    in batches of about ``FLUSH_LINES`` lines (``flush`` writes the rest);
    ``errors`` is the encoder's for what UTF-8 cannot encode (a lone
    surrogate in a scope name)."""

    def __init__(self, fh, errors: str = "strict"):
        self._fh = fh
        self._errors = errors
        self._lines: list[str] = []

    def extend(self, lines) -> None:
        self._lines.extend(lines)
        if len(self._lines) >= FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._fh.write(("\n".join(self._lines) + "\n").encode("utf-8", self._errors))
            self._lines = []
