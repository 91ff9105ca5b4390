"""``VARConfig``: the VAR family's parameters beyond n and c (DESIGN section 8)."""

from __future__ import annotations

from dataclasses import dataclass

from tc0.errors import ModelError
from tc0.models.config import ModelConfig, positive_int

#: scales K when neither --scales nor --sizes is given
DEFAULT_SCALES = 3


def default_sizes(n: int, scales: int) -> tuple[int, ...]:
    """s_1 = 1 and s_k = n / 2^(K - k) for k >= 2 (DESIGN section 8); K = 1: (n,)."""
    if scales == 1:
        return (n,)
    if n % 2 ** (scales - 2):
        raise ModelError(f"n {n} is not divisible by 2^(K-2) = {2 ** (scales - 2)} for the default sizes of "
                         f"K = {scales} scales; give --sizes", parameters=("n", "scales"))
    return (1, *(n // 2 ** (scales - k) for k in range(2, scales + 1)))


@dataclass(frozen=True)
class VARConfig(ModelConfig):
    """VAR's shape options: the scale sizes s_1 < ... < s_K = n (``sizes``,
    default from K = ``scales``, default 3) and the output channels of the
    ``conv`` module (``c_out``, default c)."""

    scales: int | None = None  # K (default: len(sizes), else 3)
    sizes: tuple[int, ...] = ()  # s_1 .. s_K (default: default_sizes(n, K))
    c_out: int | None = None  # conv: output channels (default c)

    exclusive_parameters = ("scales", "sizes", "c_out")

    def __post_init__(self):
        super().__post_init__()
        if self.scales is not None:
            positive_int("scales", self.scales)
        if self.c_out is not None:
            positive_int("c_out", self.c_out)
        if not self.sizes:
            return
        for s in self.sizes:
            positive_int("sizes", s)
        if self.scales is not None and len(self.sizes) != self.scales:
            raise ModelError(f"sizes lists {len(self.sizes)} scale(s), scales is {self.scales}",
                             parameters=("sizes", "scales"))
        if list(self.sizes) != sorted(set(self.sizes)):
            raise ModelError(f"sizes must be strictly increasing, got {list(self.sizes)}", parameters=("sizes",))
        if self.sizes[-1] != self.n:
            raise ModelError(f"sizes must end at n = {self.n}, got {list(self.sizes)}", parameters=("sizes", "n"))

    def shape(self) -> dict:
        try:
            sizes = list(self.s)
        except ModelError:
            sizes = None
        return {**super().shape(), "scales": self.K, "sizes": sizes, "c_out": self.d_out}

    @property
    def K(self) -> int:
        return len(self.sizes) if self.sizes else self.scales or DEFAULT_SCALES

    @property
    def s(self) -> tuple[int, ...]:
        """The scale sizes s_1 .. s_K; a ModelError if the default ones do not exist for this n and K."""
        if self.sizes:
            return self.sizes
        sizes = default_sizes(self.n, self.K)
        if len(set(sizes)) != len(sizes):
            raise ModelError(f"n = {self.n} is too small for K = {self.K} scales (default sizes "
                             f"{', '.join(map(str, sizes))} are not strictly increasing); use n >= "
                             f"{2 ** (self.K - 1)} or --sizes", parameters=("n", "scales"))
        return sizes

    @property
    def d_out(self) -> int:
        return self.c_out or self.c
