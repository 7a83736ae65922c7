"""A day of calls: how much audio arrives when (the diurnal profile) and how long calls are.

The planner sizes for the profile's peak and integrates it for GPU-hours; the simulator draws Poisson
arrivals from the same profile, so the two agree on what "100 audio hours a day, peak factor 3" means.

Profile: all audio arrives within `hours_active` hours starting at `start_hour`, shaped sin(pi x)^n over that
window (x in 0..1): smooth ramps at the edges, one peak mid-window. n is solved so that the peak rate is
`peak_factor` times the mean rate over the active hours (n = 0: flat; larger n: a sharper peak).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

DAY_S = 24 * 3600.0


def _mean_sin_power(n: float) -> float:
    """Mean of sin(pi x)^n over x in [0, 1] = Gamma((n+1)/2) / (sqrt(pi) Gamma(n/2 + 1))."""
    return math.exp(math.lgamma((n + 1) / 2) - math.lgamma(n / 2 + 1)) / math.sqrt(math.pi)


@dataclass(frozen=True)
class DiurnalProfile:
    audio_hours_per_day: float
    peak_factor: float = 2.0
    """Peak arrival rate / mean arrival rate over the active hours; >= 1."""
    hours_active: float = 10.0
    start_hour: float = 8.0

    def __post_init__(self) -> None:
        if self.audio_hours_per_day < 0:
            raise ValueError(f"audio_hours_per_day must be >= 0, got {self.audio_hours_per_day}")
        if not 0 < self.hours_active <= 24:
            raise ValueError(f"hours_active must be in (0, 24], got {self.hours_active}")
        if not 1 <= self.peak_factor <= 12:
            # sin^n's peak-to-mean grows like sqrt(n); past ~12 the "day" is a spike, not a profile.
            raise ValueError(f"peak_factor must be in [1, 12], got {self.peak_factor}")
        if not 0 <= self.start_hour < 24:
            raise ValueError(f"start_hour must be in [0, 24), got {self.start_hour}")

    @cached_property
    def exponent(self) -> float:
        """n with 1 / mean(sin^n) = peak_factor (bisection; 1 / mean(sin^n) increases with n)."""
        if self.peak_factor == 1:
            return 0.0
        lo, hi = 0.0, 1.0
        while 1 / _mean_sin_power(hi) < self.peak_factor:
            hi *= 2
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if 1 / _mean_sin_power(mid) < self.peak_factor else (lo, mid)
        return (lo + hi) / 2

    @property
    def mean_active_rate(self) -> float:
        """Audio seconds arriving per second, averaged over the active hours."""
        return self.audio_hours_per_day * 3600.0 / (self.hours_active * 3600.0)

    @property
    def peak_rate(self) -> float:
        """Audio seconds arriving per second at the peak."""
        return self.mean_active_rate * self.peak_factor

    def rate(self, t_s: float) -> float:
        """Audio seconds arriving per second at `t_s` seconds after midnight (the day wraps)."""
        x = ((t_s % DAY_S) - self.start_hour * 3600.0) % DAY_S / (self.hours_active * 3600.0)
        if not 0 <= x <= 1:
            return 0.0
        n = self.exponent
        return self.mean_active_rate * math.sin(math.pi * x) ** n / _mean_sin_power(n) if n else self.mean_active_rate


@dataclass(frozen=True)
class CallDurations:
    """Call lengths: log-normal (many short calls, a long tail), clipped to [min_s, max_s]."""

    median_s: float = 240.0
    sigma: float = 0.8
    min_s: float = 30.0
    max_s: float = 3600.0

    @property
    def mean_s(self) -> float:
        """Mean of the unclipped log-normal (the clip moves it by well under 1 % at the defaults)."""
        return self.median_s * math.exp(self.sigma**2 / 2)

    def quantile(self, q: float) -> float:
        from statistics import NormalDist

        return min(self.max_s, max(self.min_s, self.median_s * math.exp(self.sigma * NormalDist().inv_cdf(q))))

    def draw(self, rng, n: int):
        return rng.lognormal(math.log(self.median_s), self.sigma, n).clip(self.min_s, self.max_s)
