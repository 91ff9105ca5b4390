"""Integer cases for ``tc0 simulate``: one unsigned integer per input port,
comma-separated, decimal or 0x-hex (``--ints A,B``), or one case per line of
a text file (``--ints-file``; blank lines and ``#`` comments skipped).

A file is read line by line and its cases are taken in batches of a
bounded size, so a file of any length is simulated in bounded memory (a
bad line stops the run there: the batches before it have run). Only
regular files are read, and no line may be longer than the longest case of
the circuit could be."""

from __future__ import annotations

import io
import math
import operator
from collections.abc import Iterator

from tc0.errors import SimulationInputError
from tc0.files import open_regular
from tc0.ir.names import shown

#: the most input and output bits (over all ports) of one batch of cases:
#: bounds the bit arrays of a batch to a few tens of MB
BATCH_BITS = 1 << 25
#: the most cases of one batch
MAX_BATCH = 1 << 16
#: characters a line may hold beyond the widest case (spaces, a trailing comment)
_LINE_SLACK = 4096


def parse_case(text: str, where: str, widths: dict[str, int]) -> list[int]:
    """The values of the case ``text`` (one per port of ``widths``, name ->
    bits, in port order), each fitting its port; a bad case is a
    ``SimulationInputError`` that starts with ``where``."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != len(widths):
        raise SimulationInputError(
            f"{where}: {len(parts)} value(s) given, the circuit has {len(widths)} input port(s) "
            f"({', '.join(f'{n}:{w}' for n, w in widths.items())})"
        )
    values = []
    for part, (name, width) in zip(parts, widths.items()):
        try:
            value = int(part, 16) if part.lower().startswith("0x") else int(part, 10)
        except ValueError:
            raise SimulationInputError(f"{where}: {shown(part)} is not a decimal or 0x-hex integer") from None
        if value < 0:
            raise SimulationInputError(f"{where}: {shown(part)} is negative; inputs are unsigned")
        if value.bit_length() > width:
            raise SimulationInputError(f"{where}: {shown(part)} does not fit port {name!r} of {width} bits")
        values.append(value)
    return values


def batch_size(widths: dict[str, int], out_bits: int) -> int:
    """Cases per batch for a circuit of input ports ``widths`` and ``out_bits`` output bits."""
    return max(1, min(MAX_BATCH, BATCH_BITS // max(1, sum(widths.values()) + out_bits)))


def max_line_chars(widths: dict[str, int]) -> int:
    """The longest line a case file for ``widths`` may hold: every value
    written in full decimal, plus separators and ``_LINE_SLACK``."""
    return sum(math.ceil(w * math.log10(2)) + 2 for w in widths.values()) + _LINE_SLACK


def read_int_cases(path, widths: dict[str, int], batch: int) -> Iterator[list[list[int]]]:
    """The cases of the file at ``path`` (see the module docstring), at most
    ``batch`` per list, read as the lists are taken; a file without cases is
    refused."""
    cases: list[list[int]] = []
    empty = True
    for case in _cases(path, widths):
        cases.append(case)
        empty = False
        if len(cases) == batch:
            yield cases
            cases = []
    if empty:
        raise SimulationInputError(f"{path} holds no cases")
    if cases:
        yield cases


def _cases(path, widths: dict[str, int]) -> Iterator[list[int]]:
    """The case of each line of the file at ``path`` that is neither blank nor a comment."""
    limit = max_line_chars(widths)
    bounds = [1 << w for w in widths.values()]
    with open_regular(path, SimulationInputError, "text file of cases") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8")
        try:
            for no, line in enumerate(iter(lambda: text.readline(limit + 1), ""), 1):
                if len(line) > limit:
                    raise SimulationInputError(f"{path}:{no}: line longer than {limit} characters, more than "
                                               f"any case of this circuit needs")
                parts = line.split(",")
                if len(parts) == len(bounds):  # the common case, all decimal: one quick try
                    try:
                        values = [int(part) for part in parts]
                    except ValueError:
                        pass
                    else:
                        if min(values) >= 0 and all(map(operator.lt, values, bounds)):
                            yield values
                            continue
                if line.strip() and not line.lstrip().startswith("#"):
                    yield parse_case(line, f"{path}:{no}", widths)
        except UnicodeDecodeError:
            raise SimulationInputError(f"{path} is not a UTF-8 text file") from None
