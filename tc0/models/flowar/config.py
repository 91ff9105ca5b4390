"""``FlowARConfig``: the FlowAR family's parameters beyond n and c."""

from __future__ import annotations

from dataclasses import dataclass

from tc0.errors import ModelError
from tc0.models.config import ModelConfig, positive_int


@dataclass(frozen=True)
class FlowARConfig(ModelConfig):
    """FlowAR's shape options: scales K, resampling factor a, the timesteps
    t_1..t_K of flow matching (default 0.5 each), the FFN width m (default
    c), and the output side of the ``upsample`` module when given as a size
    (VAR's phi_up to any larger size) rather than a factor."""

    scales: int = 1  # K
    factor: int = 2  # a
    times: tuple[float, ...] = ()  # t_1..t_K (default 0.5 each)
    hidden: int | None = None  # FFN width m (default c)
    out_size: int | None = None  # upsample: output side S > n (--size), in place of the factor

    exclusive_parameters = ("scales", "factor", "out_size")

    def __post_init__(self):
        super().__post_init__()
        for name in ("scales", "factor"):
            positive_int(name, getattr(self, name))
        if self.factor < 2 and self.scales > 1:
            raise ModelError(f"factor must be >= 2 with several scales, got {self.factor}", parameters=("factor",))
        if self.n % self.factor ** (self.scales - 1):
            raise ModelError(f"n {self.n} is not divisible by factor^(scales-1) = {self.factor ** (self.scales - 1)}",
                             parameters=("n",))
        if self.times and len(self.times) != self.scales:
            raise ModelError(f"times gives {len(self.times)} timestep(s) for {self.scales} scale(s)",
                             parameters=("times",))
        if self.out_size is not None:
            positive_int("out_size", self.out_size)
            if self.out_size <= self.n:
                raise ModelError(f"size {self.out_size} must be larger than n = {self.n}", parameters=("out_size",))
            if self.factor != 2:
                raise ModelError("give the factor or the size, not both", parameters=("factor", "out_size"))
        if self.hidden is not None and self.hidden < 1:
            raise ModelError(f"hidden must be >= 1, got {self.hidden}", parameters=("hidden",))

    def shape(self) -> dict:
        return {**super().shape(), "scales": self.scales, "factor": self.factor, "out_size": self.up_side,
                "hidden": self.m}

    @property
    def t(self) -> tuple[float, ...]:
        return self.times or (0.5,) * self.scales

    @property
    def m(self) -> int:
        return self.hidden or self.c

    @property
    def up_side(self) -> int:
        """The ``upsample`` module's output side: ``out_size``, else n a."""
        return self.out_size or self.n * self.factor
