"""numpy arrays that grow in place: the storage of the builder and of the
export netlists."""

from __future__ import annotations

import numpy as np

#: an array that is full grows by this factor (in place, so cheap)
GROWTH = 1.125


def grow_in_place(arr: np.ndarray, length: int) -> np.ndarray:
    """``arr`` resized to ``length`` entries without a copy of its data where the
    allocator can extend the block (new entries are zero)."""
    arr.resize(length, refcheck=False)
    return arr


class GrowableArray:
    """An append-only numpy array that grows in place."""

    def __init__(self, dtype, capacity: int = 1024):
        self._data = np.zeros(capacity, dtype=dtype)
        self.n = 0

    def extend(self, values) -> None:
        values = np.asarray(values)
        need = self.n + len(values)
        if need > len(self._data):
            grow_in_place(self._data, max(need, int(len(self._data) * GROWTH) + 1024))
        self._data[self.n : need] = values
        self.n = need

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.n]
