"""Exception types of the public API. All are ``ValueError`` subclasses, so a
caller can catch bad input with one clause; the CLI turns them into one-line
usage errors."""


class Tc0Error(ValueError):
    """Base class of every error tc0 raises for bad input."""


class CircuitError(Tc0Error):
    """A circuit is malformed, or is used with ports it does not have."""


class CircuitFileError(Tc0Error):
    """A circuit file is unreadable, corrupt, or fails validation."""


class FormatError(Tc0Error):
    """A foreign circuit file (Bristol, ...) is malformed."""


class SimulationInputError(Tc0Error):
    """Simulation inputs do not match the circuit's ports."""


class GadgetError(Tc0Error):
    """A gadget was asked for with bad parameters (unknown name, width out of range, ...)."""


class ExportError(Tc0Error):
    """A circuit cannot be written in the requested format (too large, unrepresentable names, ...)."""


class FloatFormatError(Tc0Error):
    """A p-bit float format, word or value is invalid (bad (p, e), unnormalised word, NaN, ...)."""
