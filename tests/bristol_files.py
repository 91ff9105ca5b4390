"""The shared Bristol Fashion test circuits (../shared/circuits/bristol beside
the project), used by the import, export and CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

BRISTOL_DIR = Path(__file__).resolve().parents[2] / "shared" / "circuits" / "bristol"


def bristol_path(name: str) -> Path:
    """The path of the shared circuit ``name``; the test skips, saying so, when it is absent."""
    path = BRISTOL_DIR / name
    if not path.exists():
        pytest.skip(f"Bristol test circuits not found: {path} is absent (needs ../shared/circuits/bristol)")
    return path
