"""Bristol Fashion import and export.

Import is checked on the public Bristol circuits against independent oracles:
published known answers (AES-128, SHA-256), Python integers, and IEEE-754
doubles via ``struct``. Export is checked by round trips (write_bristol ->
read_bristol) that must keep the function, exhaustively on small circuits
with MAJ gates and on random inputs for an imported circuit.
"""

from __future__ import annotations

import itertools
import math
import random
import struct
from pathlib import Path

import numpy as np
import pytest
from bristol_files import bristol_path
from int_simulation import from_bits, to_bits
from handmade import circuit_from_gates

from tc0 import Builder, Circuit, Kind, simulate
from tc0.errors import FormatError
from tc0.io.bristol import parse_bristol, read_bristol, write_bristol

M64 = 1 << 64
EDGE64 = [0, 1, 2, (1 << 63) - 1, 1 << 63, M64 - 2, M64 - 1]


@pytest.fixture(scope="module")
def bristol():
    """Loader of the shared Bristol circuits, each imported once per module."""
    cache: dict[str, Circuit] = {}

    def load(name: str) -> Circuit:
        if name not in cache:
            cache[name] = read_bristol(bristol_path(name))
        return cache[name]

    return load


def run(circuit: Circuit, *operands) -> list[list[int]]:
    """Evaluate on Python-int operands (one list per input port); one int list per output port."""
    inputs = {port: to_bits(values, width) for (port, width), values in zip(circuit.inputs.items(), operands)}
    out = simulate(circuit, inputs)
    return [from_bits(out[port]) for port in circuit.outputs]


def operand_pairs(rnd: random.Random, count: int = 300, nonzero_b: bool = False):
    """Edge-case pairs plus random 64-bit pairs (half full-width, half small)."""
    pairs = list(itertools.product(EDGE64, EDGE64))
    pairs += [(rnd.getrandbits(64), rnd.getrandbits(64)) for _ in range(count // 2)]
    pairs += [(rnd.getrandbits(64), rnd.getrandbits(rnd.randint(1, 32))) for _ in range(count // 2)]
    pairs = [(a, b) for a, b in pairs if b or not nonzero_b]
    return [a for a, _ in pairs], [b for _, b in pairs]


def signed(v: int) -> int:
    return v - M64 if v >> 63 else v


# ---------------------------------------------------------------- known answers


def test_aes128_known_answers(bristol):
    aes = bristol("aes_128.txt")
    assert dict(aes.inputs) == {"in0": 128, "in1": 128}
    fips_key = int("000102030405060708090a0b0c0d0e0f", 16)  # FIPS-197 appendix C.1
    fips_pt = int("00112233445566778899aabbccddeeff", 16)
    (out,) = run(aes, [0, fips_key], [0, fips_pt])
    assert out == [0x66E94BD4EF8A2C3B884CFA59CA342B2E, 0x69C4E0D86A7B0430D8CDB78070B4C55A]


def sha256_block(message: bytes) -> int:
    """The single padded SHA-256 block of a short message, as a big-endian integer."""
    assert len(message) <= 55
    padded = message + b"\x80" + b"\x00" * (55 - len(message)) + (8 * len(message)).to_bytes(8, "big")
    return int.from_bytes(padded, "big")


def test_sha256_known_answers(bristol):
    sha = bristol("sha256.txt")
    iv = 0x6A09E667BB67AE853C6EF372A54FF53A510E527F9B05688C1F83D9AB5BE0CD19
    (out,) = run(sha, [sha256_block(b"abc"), sha256_block(b"")], [iv, iv])
    assert out == [
        0xBA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD,  # FIPS 180-2 "abc"
        0xE3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855,  # empty message
    ]


# ---------------------------------------------------------------- 64-bit integers

BINARY_OPS = {
    "adder64.txt": lambda a, b: [(a + b) % M64],
    "sub64.txt": lambda a, b: [(a - b) % M64],
    "mult64.txt": lambda a, b: [a * b % M64],
    "mult2_64.txt": lambda a, b: [a * b >> 64, a * b % M64],  # out0 = high word, out1 = low word
}


@pytest.mark.parametrize("name", sorted(BINARY_OPS))
def test_integer_binary_ops(bristol, rnd, name):
    a, b = operand_pairs(rnd)
    got = list(zip(*run(bristol(name), a, b)))
    assert got == [tuple(BINARY_OPS[name](x, y)) for x, y in zip(a, b)]


def test_udivide64(bristol, rnd):
    a, b = operand_pairs(rnd, nonzero_b=True)
    (got,) = run(bristol("udivide64.txt"), a, b)
    assert got == [x // y for x, y in zip(a, b)]


@pytest.mark.slow
def test_divide64_truncates_toward_zero(bristol, rnd):
    a, b = operand_pairs(rnd, count=100, nonzero_b=True)
    (got,) = run(bristol("divide64.txt"), a, b)
    expected = []
    for x, y in zip(a, b):
        q = abs(signed(x)) // abs(signed(y))
        expected.append((q if (signed(x) < 0) == (signed(y) < 0) else -q) % M64)  # -2^63 / -1 wraps
    assert got == expected


def test_neg64_and_zero_equal(bristol, rnd):
    values = EDGE64 + [rnd.getrandbits(64) for _ in range(300)] + [rnd.getrandbits(8) for _ in range(20)]
    (neg,) = run(bristol("neg64.txt"), values)
    assert neg == [(-v) % M64 for v in values]
    (zero,) = run(bristol("zero_equal.txt"), values)
    assert zero == [int(v == 0) for v in values]


# ---------------------------------------------------------------- IEEE doubles


def f2u(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def is_nan_bits(u: int) -> bool:
    return (u >> 52) & 0x7FF == 0x7FF and u & ((1 << 52) - 1) != 0


def double_pairs(rnd: random.Random):
    special = [0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-310, 1e-300,
               1e300, 1.7976931348623157e308, -1.7976931348623157e308, math.inf, -math.inf]  # fmt: skip
    pairs = list(itertools.product(special, special))
    while len(pairs) < len(special) ** 2 + 300:
        u, v = rnd.getrandbits(64), rnd.getrandbits(64)
        if not (is_nan_bits(u) or is_nan_bits(v)):
            pairs.append((u, v))
    pairs += [(f2u(rnd.uniform(-10, 10)), f2u(rnd.uniform(-10, 10))) for _ in range(200)]
    as_bits = [(f2u(x), f2u(y)) if isinstance(x, float) else (x, y) for x, y in pairs]
    return [x for x, _ in as_bits], [y for _, y in as_bits]


@pytest.mark.parametrize("name, op", [("FP-add.txt", lambda x, y: x + y), ("FP-mul.txt", lambda x, y: x * y)])
def test_ieee_double_ops(bristol, rnd, name, op):
    """in0 = x, in1 = y, out0 = x op y, all binary64 bit patterns; bit for bit
    (subnormals and infinities included); an invalid result (inf - inf, 0 * inf)
    only has to be some NaN."""
    a, b = double_pairs(rnd)
    (got,) = run(bristol(name), a, b)
    unpack = lambda u: struct.unpack("<d", struct.pack("<Q", u))[0]  # noqa: E731
    for x, y, z in zip(a, b, got):
        expected = op(unpack(x), unpack(y))
        if math.isnan(expected):
            assert is_nan_bits(z), (hex(x), hex(y), hex(z))
        else:
            assert z == f2u(expected), (hex(x), hex(y), hex(z))


# ---------------------------------------------------------------- malformed files

GOOD = "3 6\n2 1 1\n1 1\n\n2 1 0 1 2 XOR\n1 1 2 3 INV\n2 1 2 3 5 AND\n"


@pytest.mark.parametrize(
    "text, word",
    [
        (GOOD.rsplit("\n", 2)[0] + "\n", "gates"),  # truncated body: last gate line missing
        (GOOD[:-5], "unknown gate type"),  # truncated in the middle of a gate line
        (GOOD.replace("3 6", "4 6", 1), "gates"),  # wrong gate count
        (GOOD.replace("INV", "NAND"), "unknown gate type"),
        (GOOD.replace("1 1 2 3 INV", "2 1 2 2 3 INV"), "INV takes"),  # wrong arity
        (GOOD.replace("2 1 0 1 2 XOR", "2 1 0 9 2 XOR"), "out of range"),
        (GOOD.replace("1 1 2 3 INV", "1 1 4 3 INV"), "not yet set"),  # wire read before set
        (GOOD.replace("1 1 2 3 INV", "1 1 2 2 INV"), "twice"),  # wire assigned twice
        (GOOD.replace("1 1 2 3 INV", "1 1 x 3 INV"), "integers"),
        (GOOD.replace("1 1 2 3 INV", "1 1 2 3 EQ"), "0 or 1"),  # EQ with a non-0/1 constant
        ("2 1 0 1 2 XOR\n", "header"),  # missing header
        ("", "header"),
        ("3 6 1\n2 1 1\n1 1\n", "header"),
        ("3 6\n2 1\n1 1\n", "input"),  # input count says 2 values, gives 1 width
        ("1 3\n1 1\n1 1\n1 1 0 1 INV\n", "never set"),  # output wire 2 never assigned
        ("1 100000000000000\n1 1\n1 1\n1 1 0 1 INV\n", "wires"),  # absurd wire count, no huge allocation
    ],
)
def test_malformed_bristol_is_a_one_line_format_error(text, word):
    with pytest.raises(FormatError) as err:
        parse_bristol(text)
    message = str(err.value)
    assert word in message and "\n" not in message


def test_the_good_fixture_parses():
    c = parse_bristol(GOOD)
    (out,) = run(c, [0, 1, 0, 1], [0, 0, 1, 1])
    assert out == [0, 0, 0, 0]  # (a ^ b) & ~(a ^ b)


def test_read_bristol_names_the_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text(GOOD.replace("INV", "NAND"))
    with pytest.raises(FormatError, match="bad.txt"):
        read_bristol(bad)
    with pytest.raises(FormatError, match="no such file"):
        read_bristol(tmp_path / "absent.txt")


# ---------------------------------------------------------------- export round trips


raw_circuit = circuit_from_gates


def all_inputs(circuit: Circuit) -> dict[str, np.ndarray]:
    """Every assignment of the circuit's input bits (exhaustive batch)."""
    table = np.array(list(itertools.product((0, 1), repeat=circuit.n_inputs)), dtype=np.uint8)
    ports, start = {}, 0
    for name, width in circuit.inputs.items():
        ports[name] = table[:, start : start + width]
        start += width
    return ports


def assert_round_trip(circuit: Circuit, inputs: dict[str, np.ndarray], path: Path) -> Circuit:
    """write_bristol -> read_bristol keeps the function on ``inputs`` (ports by position)."""
    write_bristol(circuit, path)
    ops = {line.split()[-1] for line in path.read_text().splitlines()[4:]}
    assert ops <= {"XOR", "AND", "INV", "EQ", "EQW"}
    back = read_bristol(path)
    assert list(back.inputs.values()) == list(circuit.inputs.values())
    assert [len(v) for v in back.outputs.values()] == [len(v) for v in circuit.outputs.values()]
    want = simulate(circuit, inputs)
    got = simulate(back, {f"in{i}": inputs[name] for i, name in enumerate(circuit.inputs)})
    for i, name in enumerate(circuit.outputs):
        np.testing.assert_array_equal(got[f"out{i}"], want[name], err_msg=f"output {name}")
    return back


def test_round_trip_every_threshold_exhaustively(tmp_path):
    """MAJ "at least k of r" for every 1 <= k <= r <= 8, padded with m+1-k ones
    and k zeros (the design's rule), plus repeated fan-ins, all-constant MAJ,
    AND/OR reading constants, fan-in 1 gates and a dead gate."""
    r_max = 8
    x = list(range(2, 2 + r_max))
    gates, outs = [], []
    for r in range(1, r_max + 1):
        for k in range(1, r + 1):
            gates.append((Kind.MAJ, x[:r] + [1] * (r + 1 - k) + [0] * k))
    gates += [
        (Kind.MAJ, [x[0], x[0], x[0], x[1], x[2]]),  # x0 has weight 3 of 5
        (Kind.MAJ, [x[3], x[3], x[4], 0, 1, 1, 0, 0]),  # ties count as 0
        (Kind.MAJ, [1, 1, 0]),
        (Kind.MAJ, [0, 1]),
        (Kind.AND, [x[0], 1, x[1], x[1]]),
        (Kind.OR, [x[2], 0]),
        (Kind.AND, [x[5]]),
        (Kind.OR, [0, 0]),
        (Kind.NOT, [1]),
    ]
    first = 2 + r_max
    gates.append((Kind.NOT, [first + len(gates) - 1]))  # NOT of a NOT
    gates.append((Kind.OR, [first, first + 1, first + 2]))  # gates feeding gates
    gates.append((Kind.AND, [x[0], x[1]]))  # dead gate, drives no output
    outs = list(range(first, first + len(gates) - 1))
    circuit = raw_circuit({"a": 3, "b": r_max - 3}, gates, {"y": outs, "z": [1, 0, x[2], outs[-1], outs[0]]})
    assert_round_trip(circuit, all_inputs(circuit), tmp_path / "maj.bristol")


def test_round_trip_builder_circuit_exhaustively(tmp_path):
    b = Builder()
    x, y = b.input("x", 5), b.input("y", 4)
    wide = b.threshold(np.concatenate([x, y, x[:2]]), 6)  # weights 2,2,1,...
    b.output("s", np.stack([b.gate(Kind.MAJ, [x[0], x[1], x[1], y[0], 1, 0, 1]), wide, b.xor(x[4], y[3])]))
    b.output("t", np.concatenate([b.or_(x[:4], y), b.not_(wide[None]), [1, 0, int(x[3])]]))
    circuit = b.build()
    assert (circuit.kind == Kind.MAJ).sum() >= 2
    assert_round_trip(circuit, all_inputs(circuit), tmp_path / "built.bristol")


def test_round_trip_of_an_imported_circuit(bristol, rnd, tmp_path):
    adder = bristol("adder64.txt")
    a, b = operand_pairs(rnd, count=200)
    inputs = {"in0": to_bits(a, 64), "in1": to_bits(b, 64)}
    back = assert_round_trip(adder, inputs, tmp_path / "adder.bristol")
    assert run(back, a, b)[0] == [(x + y) % M64 for x, y in zip(a, b)]


def test_round_trip_random_threshold_circuits(rnd, tmp_path):
    """Random layered circuits of all gate kinds with wide, weighted MAJ gates."""
    for trial in range(3):
        b = Builder()
        wires = list(b.input("x", 10))
        for _ in range(40):
            kind = rnd.choice([Kind.AND, Kind.OR, Kind.NOT, Kind.MAJ, Kind.MAJ])
            fan = 1 if kind == Kind.NOT else rnd.randint(2, 25 if kind == Kind.MAJ else 6)
            picks = [rnd.choice(wires + [0, 1]) for _ in range(fan)]
            wires.append(int(b.gate(kind, picks)))
        b.output("y", wires[-20:])
        circuit = b.build()
        assert_round_trip(circuit, all_inputs(circuit), tmp_path / f"random{trial}.bristol")
