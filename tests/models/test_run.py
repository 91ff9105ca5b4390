"""Running a module on a value backend (tc0.models.run) and looking one up in
the registry: API errors are ValueErrors."""

from __future__ import annotations

import numpy as np
import pytest

from tc0.models import registry
from tc0.models.backends import Float64Backend
from tc0.models.flowar.config import FlowARConfig
from tc0.models.run import run as run_module_on


def test_api_errors_are_value_errors():
    spec = registry.get_module("downsample")
    with pytest.raises(ValueError, match="divisible"):
        run_module_on(spec, FlowARConfig(n=3, c=1), Float64Backend(), {"X": np.zeros((3, 3, 1))}, {})
    with pytest.raises(ValueError, match="unknown module"):
        registry.get_module("nope")
