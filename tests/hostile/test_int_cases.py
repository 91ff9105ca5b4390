"""``--ints``/``--ints-file`` cases (tc0.io.int_cases, issue #15): a file is
read line by line and simulated in batches of bounded size, so a file of
any number of lines runs in bounded memory; a line longer than any case of
the circuit could be is refused.

Oracles: the cases are drawn by the test and parsed by a plain reference
parser written here; simulated sums are checked against Python addition."""

from __future__ import annotations

import random

import pytest
from bounded_cli import needs_proc, run_cli
from hostile_files import small_circuit

from tc0.errors import SimulationInputError
from tc0.io import int_cases
from tc0.io.int_cases import MAX_BATCH, batch_size, max_line_chars, parse_case, read_int_cases

WIDTHS = {"a": 8, "b": 12}


def _reference(line: str) -> list[int]:
    return [int(p.strip(), 16) if p.strip().lower().startswith("0x") else int(p.strip(), 10) for p in line.split(",")]


def _lines(rng: random.Random, count: int) -> list[str]:
    """Case lines in mixed spellings: decimal, hex, spaces, a few comments and blank lines."""
    lines = []
    for _ in range(count):
        a, b = rng.getrandbits(8), rng.getrandbits(12)
        spell = rng.randrange(4)
        lines.append([f"{a},{b}", f"0x{a:x},{b}", f"  {a} ,\t0X{b:X} ", f"{a},0x{b:03x}"][spell])
        if rng.random() < 0.05:
            lines.append(rng.choice(["", "   ", "# a comment", "  # 1,2"]))
    return lines


@pytest.mark.parametrize("batch", [1, 3, 7, 1000])
def test_batches_hold_every_case_in_order(tmp_path, batch):
    lines = _lines(random.Random(batch), 50)
    path = tmp_path / "cases.txt"
    path.write_text("\n".join(lines) + "\n")
    batches = list(read_int_cases(path, WIDTHS, batch))
    assert all(len(b) == batch for b in batches[:-1]) and 0 < len(batches[-1]) <= batch
    want = [_reference(line) for line in lines if line.strip() and not line.strip().startswith("#")]
    assert [case for b in batches for case in b] == want


@pytest.mark.parametrize("line, message", [
    ("256,1", "'256' does not fit port 'a' of 8 bits"),
    ("1,4096", "'4096' does not fit port 'b' of 12 bits"),
    ("-1,2", "'-1' is negative"),
    ("1,2,3", "3 value(s) given"),
    ("1,zz", "'zz' is not a decimal or 0x-hex integer"),
])
def test_bad_line_named_with_its_number(tmp_path, line, message):
    path = tmp_path / "cases.txt"
    path.write_text(f"1,2\n# c\n{line}\n")
    with pytest.raises(SimulationInputError) as info:
        list(read_int_cases(path, WIDTHS, 10))
    assert str(info.value).startswith(f"{path}:3: {message}")


def test_overlong_line_refused(tmp_path):
    limit = max_line_chars(WIDTHS)
    path = tmp_path / "cases.txt"
    path.write_text("1,2\n" + " " * limit + "1,2\n")
    with pytest.raises(SimulationInputError, match=f"{path}:2: line longer than {limit} characters"):
        list(read_int_cases(path, WIDTHS, 10))
    path.write_text("1,2\n" + " " * (limit - 5) + "1,2\n")  # at the limit: read
    assert [c for b in read_int_cases(path, WIDTHS, 10) for c in b] == [[1, 2], [1, 2]]


def test_widest_values_fit_the_line_limit():
    widths = {"x": 1000, "y": 3}
    line = f"{2**1000 - 1},{7}"
    assert len(line) < max_line_chars(widths) and parse_case(line, "here", widths) == [2**1000 - 1, 7]


def test_batch_size_bounds_the_bits_of_a_batch():
    assert batch_size({"a": 8}, 1) == MAX_BATCH
    wide = {"a": 1 << 20}
    assert batch_size(wide, 1) * ((1 << 20) + 1) <= int_cases.BATCH_BITS and batch_size(wide, 1) >= 1
    assert batch_size({"a": 1 << 40}, 1) == 1


def _sum_file(tmp_path, count: int):
    rng = random.Random(count)
    cases = [(rng.getrandbits(4), rng.getrandbits(4)) for _ in range(count)]
    path = tmp_path / "cases.txt"
    path.write_text("".join(f"{a},{b}\n" for a, b in cases))
    circuit = tmp_path / "add.tc0"
    small_circuit().save(circuit)
    return circuit, path, cases


@needs_proc
def test_many_lines_simulate_in_batches(tmp_path):
    """Three batches' worth of lines: every sum right, in order, in bounded memory."""
    circuit, path, cases = _sum_file(tmp_path, 2 * MAX_BATCH + 1000)
    run = run_cli("simulate", circuit, "--ints-file", path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [hex(a + b) for a, b in cases]
    assert run.peak_bytes < 400 << 20, run.peak_bytes


@needs_proc
@pytest.mark.slow
def test_a_million_lines_simulate_in_bounded_memory(tmp_path):
    circuit, path, cases = _sum_file(tmp_path, 1_000_000)
    run = run_cli("simulate", circuit, "--ints-file", path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [hex(a + b) for a, b in cases]
    assert run.peak_bytes < 400 << 20 and run.seconds < 60, (run.peak_bytes, run.seconds)
