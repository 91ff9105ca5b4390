"""Running the ``tc0`` CLI in-process, shared by the CLI test modules."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tc0.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(*args):
    """Run; assert success."""
    result = run(*args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    assert result.exception is None
    return result


def fails(*args, needles=()):
    """Run; assert a clean click error (non-zero, no traceback, at most 4
    lines, a single 'Error' line) naming every needle. Returns the error line."""
    result = run(*args)
    out = result.output
    assert result.exit_code != 0, (args, out)
    assert "Traceback" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in out.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and len(out.strip().splitlines()) <= 4, out
    for needle in needles:
        assert needle in errors[0], (needle, out)
    return errors[0]


def no_temp_files(directory: Path):
    """No temp file (dot-file) left behind by an atomic write."""
    stray = [p.name for p in Path(directory).iterdir() if p.name.startswith(".")]
    assert stray == [], stray
