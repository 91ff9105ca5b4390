"""A fault for module checks: the p-bit reference with its first output bit flipped, so a check that
compares the circuit with it must report a mismatch (shared by the check tests)."""

from __future__ import annotations

import numpy as np

from tc0.models.backends import PbitBackend
from tc0.verify import module_check


def flip_first_reference_bit(monkeypatch) -> None:
    """Make ``module_check``'s p-bit reference runs return their first word with bit 0 flipped."""
    real = module_check.run

    def off_by_one(spec, cfg, backend, *args):
        out = real(spec, cfg, backend, *args)
        if isinstance(backend, PbitBackend):
            out = np.array(out)
            out.reshape(-1)[0] ^= np.uint64(1)
        return out

    monkeypatch.setattr(module_check, "run", off_by_one)
