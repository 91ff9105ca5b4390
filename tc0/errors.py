"""Every exception type tc0 raises for bad input. All are ``ValueError``
subclasses, so a caller can catch bad input with one clause; the CLI turns
them into one-line errors.

A message names the parameters it is about by their Python names ("n must be
a positive integer"); ``parameters`` lists them, and the CLI writes each as
its flag ("--n must be a positive integer")."""


class Tc0Error(ValueError):
    """Base class of every error tc0 raises for bad input."""

    def __init__(self, message: str = "", *, parameters: tuple[str, ...] = ()):
        super().__init__(message)
        self.parameters = tuple(parameters)


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


class GateBudgetError(Tc0Error):
    """A circuit would exceed, or while building exceeded, its gate budget (``max_gates``)."""


class ModelError(Tc0Error):
    """Bad module parameters, weights or inputs."""


class FastAttentionError(Tc0Error):
    """Bad AAttC parameters, or inputs outside the polynomial's fitted range."""


class ReportError(ModelError):
    """Bad report options."""


class ClusterError(Tc0Error):
    """A Dask cluster cannot be reached, or failed while running tasks."""


class OutputFileError(Tc0Error):
    """A file to write is not a regular file path (a directory, FIFO, device,
    a path ending in '/'), or is the same file as one of the command's inputs."""
