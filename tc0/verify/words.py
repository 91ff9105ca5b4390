"""p-bit float words packed and unpacked with Python integers, written from
DESIGN section 3 without ``tc0.numerics``: the oracle and the test cases must
not share the reference's code."""

from __future__ import annotations


class Words:
    """Packing and unpacking of (p, e) words, and the special values."""

    def __init__(self, p: int, e: int):
        self.p, self.e = p, e
        self.emin, self.emax = -(1 << (e - 1)), (1 << (e - 1)) - 1
        self.neg = 1 << (p + e)
        self.low, self.top = 1 << (p - 1), (1 << p) - 1
        self.max_word = self.pack(0, self.top, self.emax)
        self.min_word = self.pack(0, self.low, self.emin)

    def pack(self, s: int, m: int, E: int) -> int:
        assert s in (0, 1) and (m == 0 or self.low <= m <= self.top) and self.emin <= E <= self.emax
        return (s << (self.p + self.e)) | ((E % (1 << self.e)) << self.p) | m

    def unpack(self, w: int) -> tuple[int, int, int]:
        w = int(w)
        E = (w >> self.p) & ((1 << self.e) - 1)
        return (w >> (self.p + self.e)) & 1, w & self.top, E - (1 << self.e) if E >> (self.e - 1) else E

    def fits(self, E: int) -> bool:
        return self.emin <= E <= self.emax

    def clamp(self, E: int) -> int:
        return min(max(E, self.emin), self.emax)

    def hex(self, w: int) -> str:
        return f"{int(w):#0{(self.p + self.e + 4) // 4 + 2}x}"
