"""Fixtures of the export tests: ``adder64`` (the shared Bristol adder,
imported once per module) and ``circuit``, which runs a test on each circuit
under test (tests/export_circuits.py)."""

from __future__ import annotations

import pytest
from bristol_files import bristol_path
from export_circuits import maj_circuit, raw_circuit

from tc0 import Circuit
from tc0.io.bristol import read_bristol

@pytest.fixture(scope="module")
def adder64() -> Circuit:
    return read_bristol(bristol_path("adder64.txt"))


@pytest.fixture(params=["maj", "raw", "adder64"])
def circuit(request) -> Circuit:
    if request.param == "adder64":
        return request.getfixturevalue("adder64")
    return maj_circuit() if request.param == "maj" else raw_circuit()
