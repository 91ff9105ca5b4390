"""Shared pytest fixtures for the tc0 test suite: ``rnd`` (a seeded Python
RNG) and ``circuit`` (the float gadgets of the catalog, built once per test
module; used by tests/compiler/test_float_gadgets.py and
tests/verify/test_float_gadget_check.py). The export tests have a ``circuit``
fixture of their own (tests/io/conftest.py)."""

from __future__ import annotations

import random

import pytest

from tc0.compiler.catalog import compile_gadget


@pytest.fixture
def rnd() -> random.Random:
    """A seeded Python RNG (Python ints are the oracle, so draw Python ints)."""
    return random.Random(20250216)


@pytest.fixture(scope="module")
def circuit():
    """circuit(op, p, e, m=None): the catalog circuit, built once per module."""
    cache = {}

    def get(op, p, e, m=None):
        key = (op, p, e, m)
        if key not in cache:
            cache[key] = compile_gadget(f"float:{op}", m=m, p=p, e=e)
        return cache[key]

    return get
