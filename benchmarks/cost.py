"""Cost per audio hour of self-hosting: hardware $/h divided by the audio hours that hardware processes per hour.

    cost per audio hour = hardware $/h / (throughput audio-h per h  x  utilisation)

`throughput` is measured (one pipeline process, one thread per library, models loaded once); `utilisation` is
the fraction of the hours paid for in which the box actually has calls to work on (a box bought for a daily
peak idles at night). Staff, storage, network and the operator's time are NOT included: the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_UTILISATION = 0.5
UTILISATION_CURVE: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True)
class Hardware:
    name: str
    usd_per_hour: float
    source_url: str
    source_date: str
    note: str = ""


# The 2-vCPU / 8 GiB class of this benchmark machine (x86 here; Graviton quoted: the cheapest 2-vCPU 8 GiB
# general-purpose on-demand instance; an x86 m7i.large is ~20-25 % dearer).
CPU_2VCPU = Hardware(
    name="2 vCPU / 8 GiB cloud VM (AWS m7g.large on-demand, us-east-1)",
    usd_per_hour=0.0816,
    source_url="https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/",
    source_date="2026-06-17",
    note="Linux on-demand list price; no reservation or spot discount",
)
GPU_H100 = Hardware(
    name="1x NVIDIA H100 80 GB (specialty cloud, on-demand)",
    usd_per_hour=2.49,
    source_url="https://pricegpu.pages.dev/blog/h100-vs-a100-cloud-price",
    source_date="2026 (early-2026 range $2.49-3.99/h)",
    note="low end of the quoted on-demand range; hyperscalers charge $3.50-5.00/h",
)


def cost_per_audio_hour(usd_per_hour: float, throughput_audio_h_per_h: float, utilisation: float) -> float:
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation}")
    if throughput_audio_h_per_h <= 0:
        raise ValueError(f"throughput must be positive, got {throughput_audio_h_per_h}")
    return usd_per_hour / (throughput_audio_h_per_h * utilisation)


def throughput_from_rtf(rtf: float, streams: int = 1) -> float:
    """Audio hours processed per wall-clock hour by `streams` independent pipelines of real-time factor `rtf`."""
    if rtf <= 0:
        raise ValueError(f"rtf must be positive, got {rtf}")
    return streams / rtf


def cost_curve(
    usd_per_hour: float, throughput_audio_h_per_h: float, utilisations: Sequence[float] = UTILISATION_CURVE
) -> list[tuple[float, float]]:
    return [(u, cost_per_audio_hour(usd_per_hour, throughput_audio_h_per_h, u)) for u in utilisations]


def break_even_utilisation(usd_per_hour: float, throughput_audio_h_per_h: float, api_usd_per_audio_hour: float) -> float | None:
    """Lowest utilisation at which self-hosting costs no more per audio hour than the API (None: never, even at 100 %)."""
    needed = usd_per_hour / (throughput_audio_h_per_h * api_usd_per_audio_hour)
    return needed if needed <= 1 else None
