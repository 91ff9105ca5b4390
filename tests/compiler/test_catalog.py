"""The gadget catalog (tc0.compiler.catalog) for the integer gadgets: every
``int:`` gadget compiled by name and checked against Python integers (cases
from tests/int_cases.py), the documented upper bounds accepted, and the
parameters it refuses."""

from __future__ import annotations

import pytest
from int_cases import (
    assert_all_equal,
    concat,
    number_lists,
    operand_pairs,
)
from int_simulation import from_bits, to_bits

import tc0
from tc0.compiler import catalog
from tc0.errors import GadgetError, Tc0Error


def _catalog_run(name, bits, m, inputs):
    c = catalog.compile_gadget(name, bits, m)
    widths = dict(c.inputs)
    result = tc0.simulate(c, {p: to_bits(v, widths[p]) for p, v in inputs.items()})
    return c, {p: from_bits(v) for p, v in result.items()}


def test_catalog_lists_expected_names():
    assert set(catalog.GADGETS) >= {"int:add", "int:sub", "int:mul", "int:cmp", "int:sum", "int:max"}


@pytest.mark.parametrize("name,op,out_w", [
    ("int:add", lambda a, b, w: a + b, lambda w: w + 1),
    ("int:sub", lambda a, b, w: (a - b) % (1 << (w + 1)), lambda w: w + 1),
    ("int:mul", lambda a, b, w: a * b, lambda w: 2 * w),
])
@pytest.mark.parametrize("bits", [1, 3, 8, 64])
def test_catalog_binary(name, op, out_w, bits, rnd):
    xs, ys = operand_pairs(bits, rnd, n_random=100)
    c, out = _catalog_run(name, bits, None, {"a": xs, "b": ys})
    assert c.inputs == {"a": bits, "b": bits}
    assert {p: len(v) for p, v in c.outputs.items()} == {"y": out_w(bits)}
    assert_all_equal(out["y"], [op(a, b, bits) for a, b in zip(xs, ys)], f"{name} bits={bits}", xs, ys)


@pytest.mark.parametrize("bits", [1, 4, 8, 64, 256])
def test_catalog_cmp(bits, rnd):
    xs, ys = operand_pairs(bits, rnd, n_random=100)
    c, out = _catalog_run("int:cmp", bits, None, {"a": xs, "b": ys})
    assert c.inputs == {"a": bits, "b": bits}
    assert {p: len(v) for p, v in c.outputs.items()} == {"lt": 1, "eq": 1}
    assert_all_equal(out["lt"], [int(a < b) for a, b in zip(xs, ys)], f"int:cmp lt bits={bits}", xs, ys)
    assert_all_equal(out["eq"], [int(a == b) for a, b in zip(xs, ys)], f"int:cmp eq bits={bits}", xs, ys)


@pytest.mark.parametrize("name,op,out_w", [
    ("int:sum", sum, lambda w, m: w + (m - 1).bit_length()),
    ("int:max", max, lambda w, m: w),
])
@pytest.mark.parametrize("bits,m", [(1, 1), (3, 2), (4, 3), (8, 4), (5, 9), (16, 17), (64, 5)])
def test_catalog_over_m(name, op, out_w, bits, m, rnd):
    lists = number_lists(bits, m, rnd, n_random=60)
    c, out = _catalog_run(name, bits, m, {"x": [concat(ns, bits) for ns in lists]})
    assert c.inputs == {"x": bits * m}
    assert {p: len(v) for p, v in c.outputs.items()} == {"y": out_w(bits, m)}
    assert_all_equal(out["y"], [op(ns) for ns in lists], f"{name} bits={bits} m={m}", lists)


def test_catalog_upper_bounds_accepted():
    assert catalog.compile_gadget("int:sum", 2, 256).inputs == {"x": 512}
    assert catalog.compile_gadget("int:max", 1, 128).inputs == {"x": 128}
    assert catalog.compile_gadget("int:cmp", 256).inputs == {"a": 256, "b": 256}


@pytest.mark.parametrize("name,bits,m", [
    ("int:nope", 8, None),
    ("", 8, None),
    ("add", 8, None),
    ("int:add", 0, None),
    ("int:add", -3, None),
    ("int:add", 257, None),
    ("int:cmp", 257, None),
    ("int:mul", 65, None),
    ("int:add", 8, 2),  # binary gadgets take no m
    ("int:cmp", 8, 1),
    ("int:sum", 8, None),  # m is required
    ("int:max", 8, None),
    ("int:sum", 8, 0),
    ("int:sum", 8, -1),
    ("int:sum", 8, 257),
    ("int:max", 8, 129),
    ("int:sum", 0, 4),
])
def test_catalog_errors(name, bits, m):
    with pytest.raises(GadgetError):
        catalog.compile_gadget(name, bits, m)


def test_gadget_error_is_a_tc0_error():
    with pytest.raises(Tc0Error):
        catalog.compile_gadget("int:nope", 8)
    with pytest.raises(ValueError):
        catalog.compile_gadget("int:nope", 8)
