"""How much memory this process may still take, for the checks that refuse
work (loading a file, compiling a simulation) before it allocates more than
the machine can give."""

from __future__ import annotations

import os
import resource
import sys


def available_bytes() -> int:
    """Bytes this process can still allocate: the kernel's estimate of
    available memory (``MemAvailable`` in /proc/meminfo; physical memory
    where that is not readable), or less when an address-space limit
    (``RLIMIT_AS``, e.g. ``ulimit -v``) leaves less room above the process's
    current size."""
    available = _kib_field("/proc/meminfo", "MemAvailable")
    available = available * 1024 if available is not None else os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit != resource.RLIM_INFINITY:
        size = _kib_field("/proc/self/status", "VmSize")
        available = min(available, max(0, limit - (size or 0) * 1024))
    return available


def peak_bytes() -> int:
    """This process's peak resident memory: its own high-water mark (``VmHWM``
    in /proc/self/status) where readable. ``ru_maxrss`` is the fallback only:
    on Linux a child starts it at its parent's size across fork and exec."""
    hwm = _kib_field("/proc/self/status", "VmHWM")
    if hwm is not None:
        return hwm * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def resident_bytes() -> int:
    """This process's resident memory now (``VmRSS``; 0 where /proc is not readable)."""
    return (_kib_field("/proc/self/status", "VmRSS") or 0) * 1024


def describe(nbytes: int) -> str:
    """``nbytes`` for a message: "3.9 GiB", "120.0 MiB"."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def _kib_field(path: str, field: str) -> int | None:
    """The kiB figure of ``field`` in a /proc file of "Field: N kB" lines, or None."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None
