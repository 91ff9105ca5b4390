"""FloatFormat: words, fields, encode/decode, exact rounding (DESIGN section 3).

The oracles (tests/float_oracles.py) are independent of tc0.numerics: words are
packed and unpacked by a few lines of their own, and rounding is MPFR's (gmpy2)
at precision p, with DESIGN's saturation and flush applied afterwards.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from float_oracles import Mpfr, assert_words, pack, random_word, unpack, valid_words, value

from tc0.errors import FloatFormatError, Tc0Error
from tc0.numerics import FloatFormat, round_scaled

# ---------------------------------------------------------------------------
# the format itself


def test_default_exponent_width_and_ranges():
    f = FloatFormat(8)
    assert (f.p, f.e, f.width, f.emin, f.emax) == (8, 9, 18, -256, 255)
    assert f == FloatFormat(8, 9) and hash(f) == hash(FloatFormat(8, 9))
    assert f.max_value == 255 * Fraction(2) ** 255
    assert f.min_normal == 128 * Fraction(2) ** -256
    assert f.max_word == pack(8, 9, 0, 255, 255)
    assert f.min_normal_word == pack(8, 9, 0, 128, -256)
    assert FloatFormat(31).width == 64 and FloatFormat(2, 61).width == 64
    assert not FloatFormat(31).wide and FloatFormat(32).wide and FloatFormat(64).width == 130  # DESIGN section 10


@pytest.mark.parametrize(
    "args, message",
    [
        ((2.5,), "p must be an integer, got 2.5"),
        ((True,), "p must be an integer, got True"),
        (("8",), "p must be an integer, got '8'"),
        ((None,), "p must be an integer, got None"),
        ((8, 2.0), "e must be an integer, got 2.0"),
        ((8, False), "e must be an integer, got False"),
        ((1,), "p must be in 2..4096, got 1"),
        ((-3,), "p must be in 2..4096, got -3"),
        ((8, 1), "e must be in 2..4096, got 1"),
        ((4097,), "p must be in 2..4096, got 4097"),
        ((8, 10**9), "e must be in 2..4096, got 1000000000"),
    ],
)
def test_bad_parameters_rejected(args, message):
    with pytest.raises(FloatFormatError) as info:
        FloatFormat(*args)
    assert message in str(info.value)
    assert isinstance(info.value, Tc0Error) and isinstance(info.value, ValueError)


def test_numpy_integer_parameters_accepted():
    f = FloatFormat(np.int64(5), np.int32(4))
    assert (f.p, f.e) == (5, 4) and type(f.p) is int


def test_frozen():
    with pytest.raises(AttributeError):
        FloatFormat(4).p = 5


def test_exact_values_refused_when_huge():
    with pytest.raises(FloatFormatError, match="too large"):
        FloatFormat(8, 40).max_value


# ---------------------------------------------------------------------------
# words, fields, bits


def test_fields_and_pack_round_trip_exhaustive():
    p, e = 4, 4
    f = FloatFormat(p, e)
    words = np.array(valid_words(p, e), dtype=np.uint64)
    s, m, E = f.fields(words)
    assert [tuple(map(int, t)) for t in zip(s, m, E)] == [unpack(p, e, int(w)) for w in words]
    assert s.dtype == m.dtype == E.dtype == np.int64
    assert np.array_equal(f.pack(s, m, E), words)
    assert np.array_equal(f.is_zero(words), m == 0)


def test_word_layout_bit_positions():
    f = FloatFormat(5, 3)  # bits 0..4 m, 5..7 E, 8 s
    w = f.pack(1, 0b10011, -3)
    assert int(w) == (1 << 8) | (0b101 << 5) | 0b10011
    bits = f.to_bits(w)
    assert bits.tolist() == [1, 1, 0, 0, 1, 1, 0, 1, 1] and bits.dtype == np.uint8
    assert f.from_bits(bits) == w


def test_bits_round_trip_random(rnd):
    p, e = 16, 8
    f = FloatFormat(p, e)
    words = np.array([random_word(rnd, p, e) for _ in range(500)], dtype=np.uint64).reshape(5, 100)
    bits = f.to_bits(words)
    assert bits.shape == (5, 100, 25)
    assert np.array_equal(f.from_bits(bits), words)
    assert all(int(bits[0, i, p + e]) == unpack(p, e, int(words[0, i]))[0] for i in range(100))
    with pytest.raises(FloatFormatError):
        f.from_bits(bits[..., :-1])
    with pytest.raises(FloatFormatError):
        f.from_bits(bits * 2)


@pytest.mark.parametrize(
    "s, m, E, why",
    [(2, 8, 0, "s must"), (0, 7, 0, "m must"), (0, 16, 0, "m must"), (0, 8, 8, "E must"), (0, 8, -9, "E must")],
)
def test_pack_rejects_bad_fields(s, m, E, why):
    with pytest.raises(FloatFormatError, match=why):
        FloatFormat(4, 4).pack(s, m, E)


def test_validate_names_the_bad_word():
    f = FloatFormat(4, 4)
    good = [0, pack(4, 4, 1, 0, 5), pack(4, 4, 0, 8, -8), pack(4, 4, 1, 15, 7)]
    assert np.array_equal(f.validate(good), np.array(good, dtype=np.uint64))
    bad = (2 << 4) | 0b0101  # m = 5: leading bit clear
    with pytest.raises(FloatFormatError, match=f"{bad:#x}.*leading bit"):
        f.validate(good + [bad])
    with pytest.raises(FloatFormatError, match=r"0x200.*9-bit"):
        f.validate([[0, 1 << 9]])
    with pytest.raises(FloatFormatError, match="-1"):
        f.validate(-1)
    with pytest.raises(FloatFormatError, match="integers"):
        f.validate([1.5])
    for consumer in (f.decode, f.to_fraction, f.to_bits):
        with pytest.raises(FloatFormatError, match=f"{bad:#x}"):
            consumer([bad])


# ---------------------------------------------------------------------------
# encode / decode / exact values


def test_decode_and_to_fraction_exhaustive():
    p, e = 4, 4
    f = FloatFormat(p, e)
    words = valid_words(p, e)
    exact = [value(p, e, w) for w in words]
    assert list(f.to_fraction(words)) == exact
    assert f.decode(words).tolist() == [float(v) for v in exact]
    assert np.array_equal(f.encode(f.decode(words)), [0 if v == 0 else w for w, v in zip(words, exact)])


@pytest.mark.parametrize("p, e", [(8, 9), (11, 6), (16, 8), (24, 12), (53, 10), (60, 3)])
def test_decode_is_correctly_rounded(rnd, p, e):
    f = FloatFormat(p, e)
    words = [random_word(rnd, p, e, rnd.randint(-1100, 1000)) for _ in range(2000)]  # inside float64's range
    assert f.decode(words).tolist() == [float(value(p, e, w)) for w in words]
    if p <= 53:  # float64 holds every value above its subnormals: encode inverts decode
        words = [w for w in words if abs(value(p, e, w)) >= Fraction(2) ** -1022]
        assert np.array_equal(f.encode(f.decode(words)), words)


def test_decode_beyond_float64():
    f = FloatFormat(8, 12)  # values from 2^-2041 to ~2^2055
    assert f.decode(pack(8, 12, 1, 128, 1016)) == -(2.0**1023)
    with pytest.raises(FloatFormatError, match=f"{f.max_word:#x}.*float64"):
        f.decode([0, f.max_word])
    tiny = pack(8, 12, 0, 193, -1081)  # 1.5078 * 2^-1074: rounds to the float64 subnormal 2^-1073
    assert f.decode(tiny) == float(value(8, 12, tiny)) == 2.0**-1073
    assert f.decode(f.min_normal_word) == 0.0


def test_scalar_and_shape_conventions():
    f = FloatFormat(8)
    w = f.encode(1.5)
    assert isinstance(w, np.uint64) and isinstance(f.decode(w), np.float64)
    assert f.to_fraction(w) == Fraction(3, 2)
    assert f.encode(np.ones((2, 3))).shape == (2, 3)
    assert f.to_fraction([[w, w]]).shape == (1, 2)


@pytest.mark.parametrize("p, e", [(4, 4), (8, 9), (11, 6), (16, 8), (53, 10), (60, 3)])
def test_encode_matches_mpfr(rnd, p, e):
    oracle = Mpfr(p, e)
    f = FloatFormat(p, e)
    span = min(2 ** (e - 1) + p + 4, 1070)
    xs = [rnd.choice((-1, 1)) * rnd.random() * 2.0 ** rnd.randint(-span, min(span, 1023)) for _ in range(3000)]
    # exact ties: odd significands of p + 1 bits, and just above/below them
    for _ in range(300 if p < 53 else 0):
        t = (2 * rnd.randrange(2 ** (p - 1), 2**p) + 1) * 2.0 ** rnd.randint(-p - 5, 5)
        xs += [t, -t, np.nextafter(t, 0), np.nextafter(t, np.inf)]
    xs += [0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, float(f.max_value), float(f.min_normal)]
    xs += [np.nextafter(float(f.max_value), np.inf), np.nextafter(float(f.min_normal), 0)]
    xs = [x for x in xs if np.isfinite(x)]
    assert_words(f.encode(xs), [oracle.round(float(x)) for x in xs], np.array(xs).view(np.uint64), fmt=f)


def test_encode_ties_to_even():
    f = FloatFormat(4, 4)
    # 17/16 and 19/16 are halfway: to 16/16 (even 8) and 20/16 (even 10)
    assert f.to_fraction(f.encode([1.0625, 1.1875, -1.0625, 0.96875])).tolist() == [1, Fraction(5, 4), -1, 1]
    assert f.encode(-0.0) == 0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_encode_rejects_non_finite(bad):
    with pytest.raises(FloatFormatError, match="index \\(1,\\)"):
        FloatFormat(8).encode([1.0, bad])


def test_encode_saturates_and_flushes():
    f = FloatFormat(4, 4)  # max 15 * 2^7 = 1920, smallest normal 8 * 2^-8
    assert f.to_fraction(f.encode([1e300, -2000.0, 1919.0, 1e-300, -(2.0**-5) * 0.99])).tolist() == [
        1920,
        -1920,
        1920,
        0,
        Fraction(-1, 32),  # rounds up to the smallest normal: not flushed
    ]


# ---------------------------------------------------------------------------
# exact rationals and round_scaled


@pytest.mark.parametrize("p, e", [(4, 4), (8, 9), (16, 8), (40, 20)])
def test_round_fraction_matches_mpfr(rnd, p, e):
    oracle, f = Mpfr(p, e), FloatFormat(p, e)
    xs = [Fraction(rnd.randint(-(10**30), 10**30), rnd.randint(1, 10**rnd.randint(0, 40))) for _ in range(1500)]
    xs += [Fraction(rnd.randrange(1, 2**p), rnd.randrange(1, 2**p)) for _ in range(1000)]
    xs += [Fraction(0), Fraction(1, 3**400), -Fraction(7**500), Fraction(2**p + 1), f.max_value, -f.min_normal]
    got = f.round_fraction(xs)
    assert_words(got, [oracle.round(x) for x in xs], fmt=f)
    assert f.round_fraction(Fraction(-17, 16)) == oracle.round(Fraction(-17, 16))


def test_flush_applies_to_the_rounded_magnitude():
    """DESIGN: round with unbounded exponent, then flush if below the smallest normal."""
    f = FloatFormat(4, 4)
    lo = f.min_normal
    assert f.round_fraction(lo * Fraction(63, 64)) == f.min_normal_word  # rounds up to it: kept
    assert f.round_fraction(lo * Fraction(15, 16)) == 0  # (2^p - 1) 2^(emin-1): representable only unboundedly
    assert f.round_fraction(lo * Fraction(31, 32)) == f.min_normal_word  # a tie, to the even 2^p * 2^(emin-1)
    assert f.round_fraction(f.max_value + Fraction(1, 2) * 2**7) == f.max_word  # tie rounding up past max


@pytest.mark.parametrize("p, e", [(4, 4), (16, 8), (40, 20), (60, 3)])
def test_round_scaled_matches_mpfr(rnd, p, e):
    """Big and small integers, both the int64 and the Python-int paths."""
    oracle, f = Mpfr(p, e), FloatFormat(p, e)
    cases = [(rnd.getrandbits(1), rnd.getrandbits(rnd.randint(1, 62)), rnd.randint(-80, 40)) for _ in range(1500)]
    cases += [(rnd.getrandbits(1), rnd.getrandbits(rnd.randint(1, 300)), rnd.randint(-300, 40)) for _ in range(500)]
    cases += [(0, 0, 5), (1, 0, -5), (0, 2**p - 1, 0), (0, 2**p + 1, 0), (1, 2 ** (p + 1) - 1, 0)]
    sign, n, shift = zip(*cases)
    want = [oracle.round((-1) ** s * k, sh) for s, k, sh in cases]
    assert_words(round_scaled(f, list(sign), np.array(n, dtype=object), list(shift)), want, fmt=f)
    small = [i for i, (_, k, _) in enumerate(cases) if k < 2**62]
    n_small = np.array([n[i] for i in small], dtype=np.int64)
    got = round_scaled(f, np.array(sign)[small], n_small, np.array(shift)[small])
    assert_words(got, [want[i] for i in small], fmt=f)


def test_round_scaled_broadcasts_and_rejects_negative():
    f = FloatFormat(4, 4)
    assert round_scaled(f, [[0], [1]], [8, 9], 0).shape == (2, 2)
    with pytest.raises(FloatFormatError):
        round_scaled(f, 0, -3, 0)
