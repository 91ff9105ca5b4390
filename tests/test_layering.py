"""The package's layering, as import-linter contracts in pyproject.toml: each
part imports only the parts below it, and no sibling modules or packages
import each other in a cycle (lazy imports inside functions count too)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    """``lint-imports`` on the source tree (run from the project root, so
    ``tc0`` resolves to it rather than to an installed copy)."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as cmd; sys.exit(cmd())",
         "--config", "pyproject.toml", "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout, done.stdout
