"""The float side of the ``tc0`` command line: ``compile float:OP`` +
``simulate`` on words, ``check`` (exit codes and JSON), ``gadgets``, and
one-line errors for bad parameters.

Expected words come from FloatFormat.encode of exactly representable values
(and the reference where the result needs rounding).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tc0.verify import float_gadget_check
from tc0.cli import main
from cli_helpers import fails, ok, run
from tc0.numerics import FloatFormat
from tc0.numerics import reference as R
from tc0.compiler.catalog import compile_gadget


def one_line_error(*args, needle=""):
    return fails(*args, needles=(needle,))


def strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


# ---------------------------------------------------------------------------
# compile + simulate


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    directory = tmp_path_factory.mktemp("float_circuits")
    cache = {}

    def get(gadget, p, e=None, m=None):
        key = (gadget, p, e, m)
        if key not in cache:
            out = directory / f"{gadget.replace(':', '_')}_{p}_{e}_{m}.tc0"
            args = ["compile", gadget, "--p", p, "-o", out]
            args += ["--e", e] if e is not None else []
            args += ["--m", m] if m is not None else []
            assert gadget in ok(*args).output
            cache[key] = out
        return cache[key]

    return get


def simulate(path, *ports: int) -> list[int]:
    """One case through ``tc0 simulate --ints``: the output ports as ints."""
    out = ok("simulate", path, "--ints", ",".join(hex(v) for v in ports)).output.strip()
    return [int(v, 16) for v in out.split(",")]


def concat(words, width) -> int:
    """M words as one port value: word j at bits j * width."""
    return sum(int(w) << (j * width) for j, w in enumerate(words))


F8 = FloatFormat(8)
#: div, exp and sqrt are large circuits at p = 8 (seconds to save and load): tested at p = 5
F5 = FloatFormat(5)


def enc(*values, fmt=F8):
    return [int(w) for w in fmt.encode(list(values))]


@pytest.mark.parametrize(
    "op, a, b, want",
    [
        ("add", 1.5, 2.25, 3.75),
        ("sub", 1.5, 2.25, -0.75),
        ("mul", -1.5, 2.25, -3.375),
        ("div", 3.0, -0.5, -6.0),
        ("max", -1.5, 0.25, 0.25),
    ],
)
def test_binary_ops_on_words(compiled, op, a, b, want):
    fmt = F5 if op == "div" else F8
    (wa, wb), (ww,) = enc(a, b, fmt=fmt), enc(want, fmt=fmt)
    assert simulate(compiled(f"float:{op}", fmt.p), wa, wb) == [ww]


def test_division_by_zero(compiled):
    path = compiled("float:div", 5)
    neg = 1 << (F5.p + F5.e)
    assert simulate(path, *enc(-3.0, 0.0, fmt=F5)) == [F5.max_word | neg]
    assert simulate(path, 0, 0) == [0]


def test_rounding_through_the_cli(compiled):
    """1 + 2^-8 is a tie at p = 8 (ulp 2^-7): to the even significand, 1."""
    wa, wb = enc(1.0, 2.0**-8)
    assert simulate(compiled("float:add", 8), wa, wb) == [int(R.add(F8, wa, wb))] == enc(1.0)
    wa, wb = enc(1.0 + 2.0**-7, 2.0**-8)
    assert simulate(compiled("float:add", 8), wa, wb) == enc(1.0 + 2.0**-6)


def test_comparisons_are_one_bit(compiled):
    wa, wb = enc(-2.0, 0.5)
    assert simulate(compiled("float:lt", 8), wa, wb) == [1]
    assert simulate(compiled("float:lt", 8), wb, wa) == [0]
    assert simulate(compiled("float:eq", 8), wa, wa) == [1]
    neg_zero = (1 << 17) | (5 << 8)  # m = 0 with sign and exponent bits: reads as zero
    assert simulate(compiled("float:eq", 8), neg_zero, 0) == [1]


@pytest.mark.parametrize("op, x, want", [("sqrt", 2.25, 1.5), ("relu", -3.0, 0.0), ("relu", 3.0, 3.0), ("exp", 0.0, 1.0)])
def test_unary_ops_read_port_a(compiled, op, x, want):
    fmt = F8 if op == "relu" else F5
    path = compiled(f"float:{op}", fmt.p)
    assert list(compile_gadget(f"float:{op}", p=fmt.p).inputs) == ["a"]
    assert simulate(path, *enc(x, fmt=fmt)) == enc(want, fmt=fmt)


def test_exp_of_one_is_faithful(compiled):
    (got,) = simulate(compiled("float:exp", 5), *enc(1.0, fmt=F5))
    assert abs(F5.decode(got) - np.e) < 2.0**-3  # within an ulp (2^-3 on [2, 4) at p = 5)
    assert got == int(R.exp(F5, enc(1.0, fmt=F5)[0]))


def test_sum_and_prod_read_concatenated_words(compiled):
    w = F8.width
    terms = enc(1.5, -0.25, 4.0)
    assert simulate(compiled("float:sum", 8, m=3), concat(terms, w)) == enc(5.25)
    assert simulate(compiled("float:prod", 8, m=3), concat(terms, w)) == enc(-1.5)
    assert compile_gadget("float:sum", m=3, p=8).inputs == {"x": 3 * w}


def test_dot_reads_a_and_b(compiled):
    w = F8.width
    a, b = enc(1.5, 2.0), enc(2.0, -0.25)
    assert simulate(compiled("float:dot", 8, m=2), concat(a, w), concat(b, w)) == enc(2.5)


def test_explicit_exponent_width(compiled):
    f = FloatFormat(5, 3)
    wa, wb = (int(v) for v in f.encode([1.5, 1.75]))
    (got,) = simulate(compiled("float:mul", 5, e=3), wa, wb)
    assert got == int(R.mul(f, wa, wb)) == int(f.encode(2.625))


# ---------------------------------------------------------------------------
# tc0 check


def test_check_float_ok():
    result = ok("check", "float:add", "--p", 4, "--samples", 300)
    assert "float:add (p=4, e=5)" in result.output and "bit-identical" in result.output
    assert result.output.strip().endswith("OK.")


def test_check_float_json_fields():
    data = strict_json(ok("check", "float:sum", "--p", 5, "--e", 4, "--m", 3, "--samples", 400, "--seed", 7, "--json").output)
    for key in ("gadget", "p", "e", "m", "bit_exact", "mismatches", "oracle_mismatches", "samples",
                "max_ulp_vs_mpfr", "size", "depth", "edges", "oracle", "first_mismatches", "ok"):
        assert key in data, key
    assert (data["gadget"], data["p"], data["e"], data["m"], data["seed"]) == ("float:sum", 5, 4, 3, 7)
    assert data["bit_exact"] and data["ok"] and data["mismatches"] == data["oracle_mismatches"] == 0
    assert data["samples"] == 400 + data["edge_cases"]
    assert isinstance(data["max_ulp_vs_mpfr"], (int, float)) and data["max_ulp_vs_mpfr"] >= 0
    circuit = compile_gadget("float:sum", m=3, p=5, e=4)
    assert (data["size"], data["depth"], data["edges"]) == (circuit.size, circuit.depth, circuit.edges)


def test_check_runs_oracle_on_the_cases_mpfr_holds_for_huge_exponents():
    data = strict_json(ok("check", "float:lt", "--p", 3, "--e", 40, "--samples", 100, "--json").output)
    assert data["ok"] and 0 < data["mpfr"]["cases"] < data["samples"] and data["max_ulp_vs_mpfr"] == 0


@pytest.mark.parametrize("gadget", ["add", "mul", "lt"])
def test_gadgets_with_words_wider_than_64_bits(gadget, tmp_path):
    """p = 64, e = 65 (130-bit words, DESIGN section 10): compiled and bit-identical to the reference."""
    ok("compile", f"float:{gadget}", "--p", 64, "--e", 65, "-o", tmp_path / "g.tc0")
    data = strict_json(ok("check", f"float:{gadget}", "--p", 64, "--e", 65, "--samples", 300, "--json").output)
    assert data["ok"] and data["bit_exact"] and data["samples"] > 300 and data["mpfr"]["cases"] > 100


def test_check_exit_1_on_circuit_mismatch(monkeypatch):
    """A wrong circuit (float:sub's, compiled for float:add): exit status 1 and the cases shown."""
    real = float_gadget_check.compile_gadget
    monkeypatch.setattr(float_gadget_check, "compile_gadget",
                        lambda name, *args: real("float:sub" if name == "float:add" else name, *args))
    result = run("check", "float:add", "--p", 4, "--samples", 200)
    assert result.exit_code == 1, result.output
    assert "MISMATCHES" in result.output and "circuit mismatch" in result.output and "FAILED" in result.output
    data = strict_json(run("check", "float:add", "--p", 4, "--samples", 200, "--json").output)
    assert not data["ok"] and not data["bit_exact"] and data["mismatches"] > 0 and data["first_mismatches"]


def test_check_exit_1_on_oracle_mismatch(monkeypatch):
    """Circuit and reference agree but both are wrong: the oracle catches it, exit 1."""
    real = R.relu
    monkeypatch.setattr(R, "relu", lambda fmt, a: np.where(real(fmt, a) == fmt.max_word, np.uint64(0), real(fmt, a)))
    monkeypatch.setattr(float_gadget_check, "simulate", lambda circuit, inputs: _fake_relu_outputs(inputs))
    result = run("check", "float:relu", "--p", 4, "--samples", 100, "--json")
    assert result.exit_code == 1, result.output
    data = strict_json(result.output)
    assert data["bit_exact"] and data["oracle_mismatches"] > 0 and not data["ok"]


def _fake_relu_outputs(inputs):
    """What the monkeypatched reference relu computes, as circuit output bits (p=4, e=5)."""
    fmt = FloatFormat(4)
    words = fmt.from_bits(inputs["a"])
    return {"y": fmt.to_bits(R.relu(fmt, words))}


@pytest.mark.parametrize(
    "args, want_exhaustive",
    [(("int:add", "--bits", 4), True), (("int:cmp", "--bits", 6), True), (("int:mul", "--bits", 12), False),
     (("int:sum", "--bits", 8, "--m", 5), False), (("int:max", "--bits", 5, "--m", 3), False),
     (("int:prod", "--bits", 6, "--m", 3), False)],
)
def test_check_int_gadgets(args, want_exhaustive):
    data = strict_json(ok("check", *args, "--samples", 500, "--json").output)
    assert data["ok"] and data["bit_exact"] and data["mismatches"] == 0 and data["exhaustive"] == want_exhaustive
    assert data["oracle"] == "Python integers"
    if want_exhaustive:
        assert data["samples"] == 1 << (2 * args[2])
    assert "bit-identical" in ok("check", *args, "--samples", 200).output


# ---------------------------------------------------------------------------
# tc0 gadgets


@pytest.fixture(scope="module")
def gadgets_p4():
    return strict_json(ok("gadgets", "--p", 4, "--max-m-sum", 8, "--max-m-prod", 4, "--json").output)


def test_gadgets_json(gadgets_p4):
    data = gadgets_p4
    assert (data["p"], data["e"]) == (4, 5)
    std = data["d_std"]
    parts = {r["gadget"]: r for r in std["components"]}
    assert set(parts) == {"float:add", "float:mul", "float:lt"}
    assert std["depth"] == max(r["depth"] for r in parts.values()) == parts[std["attained_by"]]["depth"]
    assert [r["m"] for r in data["d_sum"]] == [2, 4, 8] and [r["m"] for r in data["d_prod"]] == [2, 4]
    for key in ("d_exp", "d_sqrt", "d_div"):
        assert {"depth", "size", "edges", "gadget"} <= set(data[key])
    circuit = compile_gadget("float:sum", m=8, p=4)
    assert data["d_sum"][-1]["depth"] == circuit.depth and data["d_sum"][-1]["size"] == circuit.size
    assert data["d_sum"][-1]["edges"] == circuit.edges
    assert data["d_div"]["depth"] == compile_gadget("float:div", p=4).depth
    assert data["d_sum_constant_from_m"] in (2, 4, 8) and data["d_prod_constant_from_m"] in (2, 4)
    depths = [r["depth"] for r in data["d_sum"]]
    m0 = data["d_sum_constant_from_m"]
    assert all(r["depth"] == depths[-1] for r in data["d_sum"] if r["m"] >= m0)
    assert "note" in data


def test_gadgets_text():
    result = ok("gadgets", "--p", 3, "--max-m-sum", 4, "--max-m-prod", 2)
    out = result.stdout
    assert "d_std = " in out and "d_⊕(m)" in out and "d_⊗(m)" in out and "d_exp" in out and "Note:" in out
    assert "float:div" in out and "float:sqrt" in out


def test_integer_report_built_for_depth():
    """tc0 report --integers --optimize depth: the sweeps are the depth builds'."""
    data = strict_json(ok("report", "--integers", "--optimize", "depth", "--format", "json").output)
    assert data["optimize"] == "depth"
    first = next(s for s in data["sweeps"] if s["name"] == "int:mul")["points"][0]
    deep = compile_gadget("int:mul", bits=first["W"], optimize="depth")
    assert (first["depth"], first["size"]) == (deep.depth, deep.size)
    assert deep.depth < compile_gadget("int:mul", bits=first["W"]).depth
    # the depth records: 3 levels for compare and add, 5 for sums of m >= 3, 6 for products
    sweeps = {s["name"]: s for s in data["sweeps"]}
    for name, depth in [("int:lt-delta", 3), ("int:add-delta", 3), ("int:mul-delta", 6), ("int:lt-weights", 2)]:
        assert {p["depth"] for p in sweeps[name]["points"]} == {depth}, name
        last = sweeps[name]["points"][-1]
        assert last["edges"] == compile_gadget(name, bits=last["W"], optimize="depth").edges
    assert {p["depth"] for p in sweeps["int:sum-delta (W=8)"]["points"] if p["m"] >= 4} == {5}


def test_gadgets_depth_builds_are_the_compiled_ones_and_summed_up(gadgets_p4):
    """The depth* columns are what --optimize depth compiles, and the summary
    line states their largest d_std part and the d_sum and d_prod ranges."""
    data = gadgets_p4
    mul = next(r for r in data["d_std"]["components"] if r["gadget"] == "float:mul")
    deep = compile_gadget("float:mul", p=4, optimize="depth")
    assert (mul["by_depth"]["depth"], mul["by_depth"]["size"]) == (deep.depth, deep.size)
    out = ok("gadgets", "--p", 4, "--max-m-sum", 8, "--max-m-prod", 4).stdout
    line = next(x for x in out.splitlines() if x.startswith("Built for depth (depth*): "))
    d_std = max(r["by_depth"]["depth"] for r in data["d_std"]["components"])
    sums = sorted({r["by_depth"]["depth"] for r in data["d_sum"] if r["m"] >= 4})
    span = str(sums[0]) if len(sums) == 1 else f"{sums[0]}–{sums[-1]}"
    assert f"d_std = {d_std} (" in line and f"d_⊕(m) = {span} for m from 4 to 8" in line
    assert f"d_div {data['d_div']['by_depth']['depth']}." in line


# ---------------------------------------------------------------------------
# bad input: one-line errors


@pytest.mark.parametrize("command", ["compile", "check"])
@pytest.mark.parametrize(
    "args, needle",
    [
        (("float:add", "--p", 1), "p must be in 2..4096"),
        (("float:add", "--p", 8, "--e", 1), "e must be in 2..4096"),
        (("float:add", "--p", 5000), "--p must be in 2..4096"),
        (("float:add", "--p", 8, "--bits", 8), "float gadget"),
        (("float:sum", "--p", 8), "needs --m"),
        (("float:sum", "--p", 8, "--m", 0), "--m must be in 1..256"),
        (("float:prod", "--p", 8, "--m", 33), "--m must be in 1..32"),
        (("float:add", "--p", 8, "--m", 2), "takes no --m"),
        (("float:pow", "--p", 8), "unknown module or gadget"),
        (("float:add",), "need --p"),
        (("int:add", "--p", 8), "integer gadget"),
    ],
)
def test_bad_parameters(tmp_path, command, args, needle):
    extra = ("-o", tmp_path / "x.tc0") if command == "compile" else ()
    one_line_error(command, *args, *extra, needle=needle)
    assert not (tmp_path / "x.tc0").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--p", 1), "p must be in 2..4096"),
        (("--p", 8, "--e", 1), "e must be in 2..4096"),
        (("--p", 129), "--p up to 128"),
        (("--p", 40), "for wider words give several values"),
        (("--p", 8, "--e", 200), "--e up to 129"),
        (("--p", 8, "--max-m-sum", 1), "--max-m-sum must be in 2..256"),
        (("--p", 8, "--max-m-sum", 512), "--max-m-sum must be in 2..256"),
        (("--p", 8, "--max-m-prod", 64), "--max-m-prod must be in 2..32"),
        ((), "--p"),
    ],
)
def test_gadgets_bad_parameters(args, needle):
    one_line_error("gadgets", *args, needle=needle)


def test_check_bad_samples():
    one_line_error("check", "float:add", "--p", 4, "--samples", -5, needle="--samples")


@pytest.mark.parametrize("op", ["exp", "div", "sqrt"])
def test_rom_size_limit_is_a_clear_error(op):
    """p = 60 would need a ROM of 2^22+ entries: refused with a one-line error, not built."""
    result = CliRunner().invoke(main, ["compile", f"float:{op}", "--p", "60", "--e", "3", "-o", "unused.tc0"])
    assert result.exit_code == 2 and "ROM of 2^" in result.output and "Traceback" not in result.output


def test_optimize_depth_checks_bit_exact_and_is_shallower(tmp_path):
    """--optimize depth on check (gadget and module) and compile: the same function, fewer levels."""
    size = json.loads(ok("check", "float:mul", "--p", "8", "--samples", "500", "--json").output)
    depth = json.loads(ok("check", "float:mul", "--p", "8", "--samples", "500", "--optimize", "depth",
                          "--json").output)
    assert size["ok"] and depth["ok"] and (size["optimize"], depth["optimize"]) == ("size", "depth")
    assert depth["depth"] < size["depth"] and depth["size"] <= 2 * size["size"]
    module = json.loads(ok("check", "mlp", "--n", "2", "--c", "2", "--samples", "2", "--optimize", "depth",
                           "--json").output)
    assert module["bit_exact"]
    fails("compile", "float:add", "--p", "8", "--optimize", "speed", "-o", str(tmp_path / "x.tc0"),
          needles=("--optimize",))
