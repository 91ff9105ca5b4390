"""Shared pytest fixtures for the tc0 test suite."""

from __future__ import annotations

import random

import pytest


@pytest.fixture
def rnd() -> random.Random:
    """A seeded Python RNG (Python ints are the oracle, so draw Python ints)."""
    return random.Random(20250216)
