"""``FlowARConfig``: the FlowAR family's parameters beyond n and c."""

from __future__ import annotations

from dataclasses import dataclass

from tc0.errors import ModelError
from tc0.models.config import ModelConfig, positive_int


@dataclass(frozen=True)
class FlowARConfig(ModelConfig):
    """FlowAR's shape options: scales K, resampling factor a, the timesteps
    t_1..t_K of flow matching (default 0.5 each) and the FFN width m
    (default c)."""

    scales: int = 1  # K
    factor: int = 2  # a
    times: tuple[float, ...] = ()  # t_1..t_K (default 0.5 each)
    hidden: int | None = None  # FFN width m (default c)

    exclusive_parameters = ("scales", "factor")

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
        if self.hidden is not None and self.hidden < 1:
            raise ModelError(f"hidden must be >= 1, got {self.hidden}", parameters=("hidden",))

    @property
    def t(self) -> tuple[float, ...]:
        return self.times or (0.5,) * self.scales

    @property
    def m(self) -> int:
        return self.hidden or self.c
