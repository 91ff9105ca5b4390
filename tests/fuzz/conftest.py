"""Hypothesis profiles of the reader fuzz suite (tests/fuzz/): ``default``
(CI: 60 examples per reader and mutation kind, derandomized so every run
tries the same files) and ``long`` (3000 each, a fresh random draw per run):

    HYPOTHESIS_PROFILE=long pytest tests/fuzz

Neither keeps a database of examples (nothing is written into the work tree)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "database": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("default", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=3000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
