"""`AutoscalerSettings`: the `autoscaler` section of the settings tree (PARLEY_AUTOSCALER__...).

Flat fields per stage (`asr_max_replicas`, not a nested model per stage) so that every one has its own
documented environment variable and default in README's settings table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, model_validator

from services.autoscaler.policy import STAGES, ScalingConfig, Stage

if TYPE_CHECKING:
    from services.settings import Settings

GpuKind = Literal["h100", "l4", "a10g"]


@dataclass(frozen=True)
class StageScaling:
    """One stage's slice of the settings."""

    min_replicas: int
    max_replicas: int
    gpu_fraction: float
    compute_s_per_audio_s: float | None


class AutoscalerSettings(BaseModel):
    target_drain_s: float = Field(
        300.0, gt=0, description="replicas are sized so that the audio waiting drains within this time (s); "
        "`parley plan` suggests one from the SLA",
    )
    refresh_s: float = Field(
        5.0, gt=0, description="the Ray policy (called every 0.1 s) reads the job store at most this often (s)",
    )
    downscale_delay_decisions: int = Field(
        6, ge=1, description="scale down only after this many backlog readings in a row wanted fewer replicas "
        "(x refresh_s = the delay); scaling up is immediate",
    )
    scale_to_zero: bool = Field(
        False, description="let a stage with nothing queued and nothing in flight run zero replicas (frees its GPU; "
        "the next call waits for a replica to start)",
    )
    unknown_duration_s: float = Field(
        300.0, ge=0, description="audio seconds counted for a job whose duration is not known yet (URL not fetched)",
    )
    gpu: GpuKind = Field(
        "h100", description="GPU kind of the gpu profile: picks the published throughput figures and the $/h "
        "(services/autoscaler/throughput.py)",
    )
    asr_min_replicas: int = Field(1, ge=1, description="ASR replicas kept while there is work (or always)")
    asr_max_replicas: int = Field(4, ge=1, description="ASR replica ceiling")
    diarization_min_replicas: int = Field(1, ge=1, description="diarization replicas kept while there is work")
    diarization_max_replicas: int = Field(4, ge=1, description="diarization replica ceiling")
    extraction_min_replicas: int = Field(1, ge=1, description="extraction (LLM) replicas kept while there is work")
    extraction_max_replicas: int = Field(2, ge=1, description="extraction (LLM) replica ceiling")
    asr_gpu_fraction: float = Field(
        0.5, gt=0, le=1, description="GPU share of one ASR replica on the gpu profile (ray_actor_options num_gpus); "
        "a replica is assumed to get this share of the GPU's throughput",
    )
    diarization_gpu_fraction: float = Field(0.25, gt=0, le=1, description="GPU share of one diarization replica")
    extraction_gpu_fraction: float = Field(0.5, gt=0, le=1, description="GPU share of one extraction replica")
    asr_compute_s_per_audio_s: float | None = Field(
        None, gt=0, description="override: compute s per audio s of one ASR replica (None: the measured or "
        "published figure for the profile, services/autoscaler/throughput.py)",
    )
    diarization_compute_s_per_audio_s: float | None = Field(
        None, gt=0, description="override: compute s per audio s of one diarization replica",
    )
    extraction_compute_s_per_audio_s: float | None = Field(
        None, gt=0, description="override: compute s per audio s of one extraction replica",
    )

    @model_validator(mode="after")
    def _bounds(self) -> AutoscalerSettings:
        for stage in STAGES:
            s = self.stage(stage)
            if s.max_replicas < s.min_replicas:
                raise ValueError(f"autoscaler.{stage}_max_replicas ({s.max_replicas}) < "
                                 f"{stage}_min_replicas ({s.min_replicas})")
        return self

    def stage(self, stage: Stage) -> StageScaling:
        return StageScaling(
            min_replicas=getattr(self, f"{stage}_min_replicas"),
            max_replicas=getattr(self, f"{stage}_max_replicas"),
            gpu_fraction=getattr(self, f"{stage}_gpu_fraction"),
            compute_s_per_audio_s=getattr(self, f"{stage}_compute_s_per_audio_s"),
        )

    def scaling_config(self, stage: Stage, compute_s_per_audio_s: float) -> ScalingConfig:
        """The pure policy's config for one stage, given the per-replica compute rate resolved for the hardware
        (throughput.replica_compute_s_per_audio_s)."""
        s = self.stage(stage)
        return ScalingConfig(
            compute_s_per_audio_s=compute_s_per_audio_s, target_drain_s=self.target_drain_s,
            min_replicas=s.min_replicas, max_replicas=s.max_replicas,
            downscale_delay_decisions=self.downscale_delay_decisions, scale_to_zero=self.scale_to_zero,
        )


def autoscaler_settings(settings: Settings) -> AutoscalerSettings:
    """The `autoscaler` section of the settings tree; its defaults while the tree does not have the section yet
    (the same thing the tree's default factory builds)."""
    section = getattr(settings, "autoscaler", None)
    return section if isinstance(section, AutoscalerSettings) else AutoscalerSettings()
