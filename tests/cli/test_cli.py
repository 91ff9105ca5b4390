"""End-to-end tests of the ``tc0`` circuit commands (tc0/cli.py): compile of
the integer gadgets, info, simulate, import and export.

Every arithmetic answer is checked against plain Python integers; every bad
input must give a short click error (non-zero exit, no traceback).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
import zlib
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from bristol_files import BRISTOL_DIR

import tc0
from cli_helpers import fails, no_temp_files, ok

ADDER64 = BRISTOL_DIR / "adder64.txt"


# --------------------------------------------------------------------- helpers
def simulate_lines(circuit, *cases) -> list[str]:
    """``tc0 simulate --ints`` per case; returns the printed line of each."""
    lines = []
    for case in cases:
        out = ok("simulate", circuit, "--ints", ",".join(hex(v) for v in case)).output
        assert len(out.splitlines()) == 1, out
        lines.append(out.strip())
    return lines


_case_files = count()


def simulate_file(tmp_path, circuit, cases) -> list[str]:
    """All cases as one ``--ints-file`` batch."""
    f = tmp_path / f"cases_{next(_case_files)}.txt"
    f.write_text("".join(",".join(str(v) for v in c) + "\n" for c in cases))
    return ok("simulate", circuit, "--ints-file", f).output.splitlines()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Compile each gadget once per (gadget, bits, m); returns a path getter."""
    directory = tmp_path_factory.mktemp("compiled")
    cache = {}

    def get(gadget, bits, m=None):
        key = (gadget, bits, m)
        if key not in cache:
            out = directory / f"{gadget.replace(':', '_')}_{bits}_{m}.tc0"
            args = ["compile", gadget, "--bits", bits, "-o", out]
            if m is not None:
                args += ["--m", m]
            res = ok(*args)
            assert gadget in res.output and "gates" in res.output
            assert out.is_file()
            no_temp_files(directory)
            cache[key] = out
        return cache[key]

    return get


@pytest.fixture(scope="module")
def small(compiled):
    return compiled("int:add", 8)


def edge_cases(width, rng, n_random=6):
    top = (1 << width) - 1
    cases = [(0, 0), (top, top), (0, top), (top, 0), (1, 1)]
    cases += [(rng.getrandbits(width), rng.getrandbits(width)) for _ in range(n_random)]
    return cases


# ------------------------------------------------------- compile + simulate
BINARY = {
    "int:add": lambda a, b, w: [a + b],
    "int:sub": lambda a, b, w: [(a - b) % (1 << (w + 1))],
    "int:cmp": lambda a, b, w: [int(a < b), int(a == b)],
    "int:mul": lambda a, b, w: [a * b],
}


@pytest.mark.parametrize("gadget", sorted(BINARY))
@pytest.mark.parametrize("bits", [1, 8, 13])
def test_binary_gadgets_match_python(compiled, gadget, bits):
    path = compiled(gadget, bits)
    rng = random.Random(zlib.crc32(f"{gadget}/{bits}".encode()))
    cases = edge_cases(bits, rng, n_random=4 if bits > 1 else 0)
    if gadget == "int:cmp":
        cases += [(5 % (1 << bits), 5 % (1 << bits))]
    got = simulate_lines(path, *cases)
    for (a, b), line in zip(cases, got):
        want = ",".join(hex(v) for v in BINARY[gadget](a, b, bits))
        assert line == want, (gadget, bits, a, b)


def test_wide_add_and_mul(compiled, tmp_path):
    rng = random.Random(64)
    add = compiled("int:add", 64)
    cases = edge_cases(64, rng, n_random=20)
    assert simulate_file(tmp_path, add, cases) == [hex(a + b) for a, b in cases]
    mul = compiled("int:mul", 32)
    cases = edge_cases(32, rng, n_random=10)
    assert simulate_file(tmp_path, mul, cases) == [hex(a * b) for a, b in cases]


def test_output_widths_in_info(compiled):
    """The printed values are bounded by the documented output widths."""
    for gadget, bits, m, want in [
        ("int:add", 8, None, {"y": 9}),
        ("int:sub", 8, None, {"y": 9}),
        ("int:cmp", 8, None, {"lt": 1, "eq": 1}),
        ("int:mul", 8, None, {"y": 16}),
        ("int:sum", 8, 5, {"y": 11}),
        ("int:max", 8, 5, {"y": 8}),
    ]:
        data = json.loads(ok("info", compiled(gadget, bits, m), "--json").output)
        assert data["output_ports"] == want, gadget


def pack(xs, width):
    return sum(x << (j * width) for j, x in enumerate(xs))


@pytest.mark.parametrize("gadget,oracle", [("int:sum", sum), ("int:max", max)])
@pytest.mark.parametrize("bits,m", [(8, 5), (5, 1), (3, 7), (1, 4)])
def test_over_m_gadgets_match_python(compiled, tmp_path, gadget, oracle, bits, m):
    path = compiled(gadget, bits, m)
    rng = random.Random(bits * 1000 + m)
    top = (1 << bits) - 1
    vectors = [[0] * m, [top] * m, [top] + [0] * (m - 1), [0] * (m - 1) + [top], list(range(m))]
    vectors = [[v & top for v in vec] for vec in vectors]
    vectors += [[rng.getrandbits(bits) for _ in range(m)] for _ in range(6)]
    want = [hex(oracle(vec)) for vec in vectors]
    # one --ints call per case for a few, the whole lot as a file batch
    assert simulate_lines(path, *[(pack(v, bits),) for v in vectors[:3]]) == want[:3]
    assert simulate_file(tmp_path, path, [(pack(v, bits),) for v in vectors]) == want


def test_ints_file_mixed_formats_comments_blank_lines(compiled, tmp_path):
    path = compiled("int:add", 8)
    cases = [(1, 2), (0xFF, 0xFF), (0, 0), (200, 0x37), (0x10, 10)]
    f = tmp_path / "cases.txt"
    f.write_text(
        "# a header comment\n"
        "\n"
        "1,2\n"
        "0xff, 0xFF\n"
        "   # indented comment\n"
        "   \n"
        "0,0x0\n"
        "200 , 0x37\n"
        "\n"
        "0x10,10\n"
        "# trailing comment"
    )
    out = ok("simulate", path, "--ints-file", f).output.splitlines()
    assert out == [hex(a + b) for a, b in cases]


def test_ints_file_with_threads(compiled, tmp_path):
    """3,000 cases (47 words) shared among 3 threads: Python's sums."""
    path = compiled("int:add", 8)
    rng = random.Random(3)
    cases = [(rng.randrange(256), rng.randrange(256)) for _ in range(3000)]
    f = tmp_path / "cases.txt"
    f.write_text("".join(f"{a},{b}\n" for a, b in cases))
    assert ok("simulate", path, "--ints-file", f, "--threads", "3").output.splitlines() == [hex(a + b) for a, b in cases]
    fails("simulate", path, "--ints-file", f, "--threads", "0", needles=("--threads",))


def test_ints_file_cmp_two_columns(compiled, tmp_path):
    path = compiled("int:cmp", 8)
    rng = random.Random(7)
    cases = edge_cases(8, rng, n_random=10)
    assert simulate_file(tmp_path, path, cases) == [f"{hex(int(a < b))},{hex(int(a == b))}" for a, b in cases]


# ------------------------------------------------------------------------ info
@pytest.mark.parametrize("gadget,bits,m", [("int:add", 8, None), ("int:mul", 8, None), ("int:sum", 8, 5)])
def test_info_json_agrees_with_loaded_circuit(compiled, gadget, bits, m):
    path = compiled(gadget, bits, m)
    circ = tc0.load(path)
    data = json.loads(ok("info", path, "--json").output)
    for key in ("size", "depth", "edges", "inputs", "outputs", "gates"):
        assert key in data
    assert set(data["gates"]) == {"AND", "OR", "NOT", "MAJ"}
    assert data["size"] == circ.size
    assert data["depth"] == circ.depth
    assert data["edges"] == circ.edges == int(circ.fanin_counts()[circ.first_gate:].sum())
    assert data["inputs"] == circ.n_inputs == sum(circ.inputs.values())
    assert data["outputs"] == circ.n_outputs
    assert sum(data["gates"].values()) == data["size"]
    kinds = circ.kind[circ.first_gate:]
    for name in ("AND", "OR", "NOT", "MAJ"):
        assert data["gates"][name] == int(np.sum(kinds == tc0.Kind[name]))


def test_info_one_line(compiled):
    path = compiled("int:mul", 8)
    circ = tc0.load(path)
    out = ok("info", path).output
    assert len(out.strip().splitlines()) == 1
    assert "gates" in out and "lev" in out
    assert int(re.search(r"gates\s*=\s*(\d+)", out).group(1)) == circ.size
    assert int(re.search(r"lev\s*=\s*(\d+)", out).group(1)) == circ.depth


def test_info_scopes_table(compiled):
    path = compiled("int:sum", 8, 5)
    circ = tc0.load(path)
    lines = ok("info", path, "--scopes").output.strip().splitlines()
    assert "gates" in lines[0] and "lev" in lines[0]
    assert "scope" in lines[1]
    rows = [ln.split() for ln in lines[2:]]
    assert rows, lines
    assert sum(int(r[-2]) for r in rows) == circ.size
    assert sum(int(r[-1]) for r in rows) == circ.depth
    assert all(r[0].startswith("int:sum") for r in rows)
    data = json.loads(ok("info", path, "--json", "--scopes").output)
    assert sum(r["size"] for r in data["scopes"]) == circ.size


def test_info_path_stages(compiled):
    path = compiled("int:sum", 8, 5)
    circ = tc0.load(path)
    lines = ok("info", path, "--path").output.strip().splitlines()
    assert "critical path" in lines[1]
    rows = [ln.split() for ln in lines[2:]]
    assert sum(int(r[-2]) for r in rows) == circ.depth == int(rows[-1][-1])
    data = json.loads(ok("info", path, "--json", "--path").output)
    assert [r["levels"] for r in data["critical_path"]] == [int(r[-2]) for r in rows]


# ---------------------------------------------------------------------- import
@pytest.mark.skipif(not ADDER64.is_file(), reason=f"{ADDER64} not present")
def test_import_bristol_adder64(tmp_path):
    out = tmp_path / "adder64.tc0"
    res = ok("import", ADDER64, "--format", "bristol", "-o", out)
    assert "gates" in res.output
    no_temp_files(tmp_path)
    circ = tc0.load(out)
    assert circ.inputs == {"in0": 64, "in1": 64}
    assert {k: len(v) for k, v in circ.outputs.items()} == {"out0": 64}
    rng = random.Random(2024)
    mask = (1 << 64) - 1
    cases = edge_cases(64, rng, n_random=20) + [(mask, 1), (1 << 63, 1 << 63)]
    assert simulate_lines(out, *cases[:4]) == [hex((a + b) & mask) for a, b in cases[:4]]
    assert simulate_file(tmp_path, out, cases) == [hex((a + b) & mask) for a, b in cases]


# ---------------------------------------------------------------------- export
@pytest.mark.parametrize("fmt,suffix", [("blif", "blif"), ("verilog", "v"), ("graphml", "graphml"),
                                        ("dot", "dot"), ("bristol", "txt")])
def test_export_formats(compiled, tmp_path, fmt, suffix):
    path = compiled("int:add", 4)
    out = tmp_path / f"add4.{suffix}"
    res = ok("export", path, "--format", fmt, "-o", out)
    assert str(out) in res.output
    assert out.is_file() and out.stat().st_size > 0


def test_export_unknown_format(small, tmp_path):
    fails("export", small, "--format", "json", "-o", tmp_path / "x.json", needles=("json",))
    assert not (tmp_path / "x.json").exists()


def test_export_into_missing_directory(small, tmp_path):
    fails("export", small, "--format", "blif", "-o", tmp_path / "nope" / "x.blif", needles=("nope",))


def test_export_missing_circuit(tmp_path):
    fails("export", tmp_path / "absent.tc0", "--format", "blif", "-o", tmp_path / "x.blif",
          needles=("absent.tc0",))
    assert not (tmp_path / "x.blif").exists()


# ------------------------------------------------------- bad compile arguments
@pytest.mark.parametrize(
    "args,needles",
    [
        (["int:nope", "--bits", "8"], ["int:nope"]),
        (["int:add", "--bits", "0"], ["--bits", "0"]),
        (["int:add", "--bits", "-3"], ["--bits", "-3"]),
        (["int:add", "--bits", "257"], ["--bits", "257"]),
        (["int:mul", "--bits", "65"], ["--bits", "65"]),
        (["int:add", "--bits", "eight"], ["eight"]),
        (["int:sum", "--bits", "8"], ["--m"]),
        (["int:max", "--bits", "8"], ["--m"]),
        (["int:sum", "--bits", "8", "--m", "0"], ["--m", "0"]),
        (["int:sum", "--bits", "8", "--m", "257"], ["--m", "257"]),
        (["int:max", "--bits", "8", "--m", "-1"], ["--m", "-1"]),
        (["int:add", "--bits", "8", "--m", "3"], ["--m"]),
        (["int:cmp", "--bits", "8", "--m", "1"], ["--m"]),
    ],
)
def test_compile_bad_arguments(tmp_path, args, needles):
    out = tmp_path / "bad.tc0"
    fails("compile", *args, "-o", out, needles=needles)
    assert not out.exists()
    no_temp_files(tmp_path)


def test_compile_into_missing_directory(tmp_path):
    fails("compile", "int:add", "--bits", "8", "-o", tmp_path / "missing" / "x.tc0", needles=("missing",))
    assert list(tmp_path.iterdir()) == []


def test_failed_compile_keeps_existing_file(tmp_path):
    out = tmp_path / "keep.tc0"
    ok("compile", "int:add", "--bits", "4", "-o", out)
    before = out.read_bytes()
    fails("compile", "int:add", "--bits", "0", "-o", out)
    assert out.read_bytes() == before
    assert tc0.load(out).inputs == {"a": 4, "b": 4}
    no_temp_files(tmp_path)


# ------------------------------------------------------ bad simulation inputs
@pytest.mark.parametrize(
    "ints,needles",
    [
        ("1", ["1 value(s)", "2 input port"]),
        ("1,2,3", ["3 value(s)"]),
        ("256,0", ["256", "'a'", "8 bits"]),
        ("0,0x100", ["0x100", "'b'"]),
        ("-1,2", ["-1", "negative"]),
        ("1,abc", ["abc"]),
        ("1.5,2", ["1.5"]),
        ("1,", ["''"]),
    ],
)
def test_simulate_bad_ints(small, ints, needles):
    fails("simulate", small, f"--ints={ints}", needles=needles)


def test_simulate_bad_ints_file_names_the_line(small, tmp_path):
    f = tmp_path / "cases.txt"
    f.write_text("# c\n1,2\n\n3,zz\n")
    fails("simulate", small, "--ints-file", f, needles=(f"{f.name}:4", "zz"))
    f.write_text("1,2\n1,2,3\n")
    fails("simulate", small, "--ints-file", f, needles=(f"{f.name}:2",))


def test_simulate_needs_exactly_one_input_source(small, tmp_path):
    f = tmp_path / "cases.txt"
    f.write_text("1,2\n")
    fails("simulate", small, "--ints", "1,2", "--ints-file", f, needles=("--ints",))
    fails("simulate", small, needles=("--ints",))


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n\n   # another\n"])
def test_simulate_empty_ints_file(small, tmp_path, text):
    f = tmp_path / "empty.txt"
    f.write_text(text)
    fails("simulate", small, "--ints-file", f, needles=("empty.txt",))


def test_simulate_missing_ints_file(small, tmp_path):
    fails("simulate", small, "--ints-file", tmp_path / "nowhere.txt", needles=("nowhere.txt",))


def test_simulate_non_utf8_ints_file(small, tmp_path):
    f = tmp_path / "binary.txt"
    f.write_bytes(b"\xff\xfe1,2\n")
    fails("simulate", small, "--ints-file", f, needles=("binary.txt",))


# ------------------------------------------------------ bad circuit files
def _circuit_commands(path, tmp_path):
    return [
        ["info", path],
        ["info", path, "--json"],
        ["simulate", path, "--ints", "1,2"],
        ["export", path, "--format", "blif", "-o", tmp_path / "out.blif"],
    ]


def _all_fail(path, tmp_path, *needles):
    for args in _circuit_commands(path, tmp_path):
        fails(*args, needles=(Path(path).name, *needles))
    assert not (tmp_path / "out.blif").exists()


def test_missing_circuit_file(tmp_path):
    _all_fail(tmp_path / "ghost.tc0", tmp_path)


def test_truncated_circuit_file(small, tmp_path):
    bad = tmp_path / "trunc.tc0"
    bad.write_bytes(small.read_bytes()[:100])
    _all_fail(bad, tmp_path)


def test_empty_circuit_file(tmp_path):
    bad = tmp_path / "empty.tc0"
    bad.write_bytes(b"")
    _all_fail(bad, tmp_path)


def test_random_bytes_circuit_file(tmp_path):
    bad = tmp_path / "noise.tc0"
    bad.write_bytes(random.Random(1).randbytes(4096))
    _all_fail(bad, tmp_path)


def test_npz_that_is_not_a_circuit(tmp_path):
    bad = tmp_path / "other.npz"
    np.savez(bad, a=np.arange(10), b=np.zeros((2, 2)))
    _all_fail(bad, tmp_path)


def test_npz_with_wrong_format_tag(small, tmp_path):
    arrays = dict(np.load(small, allow_pickle=False))
    meta = json.loads(arrays["meta"].tobytes())
    meta["format"] = "something-else"
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    bad = tmp_path / "tagged.npz"
    np.savez(bad, **arrays)
    _all_fail(bad, tmp_path, "format")


@pytest.mark.parametrize("shift", [0, 1, 1000])
def test_circuit_with_cycle(small, tmp_path, shift):
    with np.load(small, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    kind, offsets, fanins = arrays["kind"], arrays["offsets"], arrays["fanins"].copy()
    first_gate = tc0.load(small).first_gate
    gate = first_gate + (len(kind) - first_gate) // 2
    assert offsets[gate + 1] > offsets[gate]
    fanins[offsets[gate]] = gate + shift  # fan-in from itself or from a later node
    arrays["fanins"] = fanins
    bad = tmp_path / "cycle.npz"
    np.savez(bad, **arrays)
    _all_fail(bad, tmp_path, "cycle")


def test_unedited_resave_still_loads(small, tmp_path):
    """Control for the edit tests above: a plain np.savez round trip is valid."""
    with np.load(small, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    good = tmp_path / "resaved.npz"
    np.savez(good, **arrays)
    assert simulate_lines(good, (200, 100)) == [hex(300)]


def test_npy_file_instead_of_npz(tmp_path):
    bad = tmp_path / "plain.npy"
    np.save(bad, np.arange(5))
    fails("info", bad, needles=("plain.npy",))


def test_zip_with_raw_member(tmp_path):
    bad = tmp_path / "raw.tc0"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("meta", b"not an array")
    fails("info", bad, needles=("raw.tc0",))


# ----------------------------------------------------------- bad Bristol input
@pytest.mark.parametrize(
    "text,needles",
    [
        ("hello world\n1 1\n1 1\n", ["line 1"]),
        ("1 3\n1 2\n1 1\n2 1 0 1 2 NAND\n", ["NAND"]),
        ("1 3\n1 2\n", ["header"]),
        ("2 4\n1 2\n1 1\n2 1 0 1 3 XOR\n", ["2 gates"]),
        ("1 3\n1 2\n1 1\n2 1 0 7 2 XOR\n", ["line 4"]),
    ],
)
def test_import_malformed_bristol(tmp_path, text, needles):
    src = tmp_path / "bad.txt"
    src.write_text(text)
    out = tmp_path / "bad.tc0"
    fails("import", src, "--format", "bristol", "-o", out, needles=("bad.txt", *needles))
    assert not out.exists()
    no_temp_files(tmp_path)


def test_import_tiny_bristol_xor(tmp_path):
    src = tmp_path / "xor.txt"
    src.write_text("1 3\n1 2\n1 1\n2 1 0 1 2 XOR\n")
    out = tmp_path / "xor.tc0"
    ok("import", src, "-o", out)
    assert [simulate_lines(out, (v,))[0] for v in range(4)] == ["0x0", "0x1", "0x1", "0x0"]


def test_import_bristol_absurd_wire_count(tmp_path):
    src = tmp_path / "huge.txt"
    src.write_text("0 1000000000000000\n1 1\n1 1\n")
    fails("import", src, "-o", tmp_path / "huge.tc0", needles=("huge.txt",))


def test_import_missing_file_and_bad_output(tmp_path):
    fails("import", tmp_path / "absent.txt", "-o", tmp_path / "x.tc0", needles=("absent.txt",))
    src = tmp_path / "xor.txt"
    src.write_text("1 3\n1 2\n1 1\n2 1 0 1 2 XOR\n")
    fails("import", src, "-o", tmp_path / "nodir" / "x.tc0", needles=("nodir",))
    fails("import", src, "--format", "verilog", "-o", tmp_path / "x.tc0", needles=("verilog",))
    assert not (tmp_path / "x.tc0").exists()


# ------------------------------------------------------------ real entry point
def test_console_script_help():
    exe = Path(sys.executable).parent / "tc0"
    cmd = str(exe) if exe.exists() else shutil.which("tc0")
    if cmd is None:
        pytest.skip("tc0 console script not on PATH")
    proc = subprocess.run([cmd, "--help"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 0, proc.stderr
    for word in ("compile", "info", "simulate", "import", "export"):
        assert word in proc.stdout
