"""Capacity plan: replicas per stage, GPUs (or CPU VMs) and cost, for a daily volume, a peak and an SLA.

Sizing, per stage (compute rate of one replica from throughput.py, as deployed: GPU fraction included):
- replicas at a moment = ceil(arriving audio rate x compute_s_per_audio_s / TARGET_UTILISATION), at least the
  stage's minimum while calls arrive; outside the active hours the minimum, or 0 with scale-to-zero;
- GPUs at a moment = ceil(sum over stages of replicas x GPU fraction) (CPU: one 2-vCPU VM per replica);
- GPU-hours a day = that, integrated minute by minute over the day's profile (what an ideal autoscaler pays);
  the always-on figure keeps the peak's GPUs all day, for comparison.
Cost is hardware only (no staff, storage, network, redundancy), as in benchmarks/cost.py.

The SLA bounds the drain target: a call waits at most about `target_drain_s`, then takes its own processing
time (ASR and diarization in parallel, then extraction), plus a replica's start-up when it scaled from zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from benchmarks.cost import Hardware
from services.autoscaler.policy import STAGES, Stage
from services.autoscaler.settings import AutoscalerSettings
from services.autoscaler.throughput import (
    HARDWARE,
    HardwareKind,
    figure,
    replica_compute_s_per_audio_s,
)
from services.autoscaler.workload import DAY_S, CallDurations, DiurnalProfile

TARGET_UTILISATION = 0.8
"""Replicas are sized to be busy 80 % of the time at the rate they serve: queueing delay grows steeply as
utilisation approaches 1 (M/M/c), and the autoscaler needs headroom while a new replica starts."""
DAYS_PER_MONTH = 365.25 / 12
_STEP_S = 60.0


@dataclass(frozen=True)
class PlanRequest:
    audio_hours_per_day: float
    peak_factor: float
    sla_minutes: float
    hardware: HardwareKind
    hours_active: float = 10.0
    startup_s: float = 60.0
    """How long a new replica takes to be ready (model load; node start-up when the cluster grows)."""
    durations: CallDurations = field(default_factory=CallDurations)

    def __post_init__(self) -> None:
        if self.sla_minutes <= 0:
            raise ValueError(f"sla_minutes must be > 0, got {self.sla_minutes}")
        if self.startup_s < 0:
            raise ValueError(f"startup_s must be >= 0, got {self.startup_s}")

    @property
    def profile(self) -> DiurnalProfile:
        return DiurnalProfile(self.audio_hours_per_day, self.peak_factor, self.hours_active)


@dataclass(frozen=True)
class StagePlan:
    stage: Stage
    compute_s_per_audio_s: float
    """One replica as deployed (a GPU replica's fraction of the GPU included)."""
    units_per_replica: float
    """GPUs one replica holds (CPU: 1 VM)."""
    source: str
    min_replicas: int
    peak_replicas: int
    replica_hours_per_day: float


@dataclass(frozen=True)
class ApiComparison:
    provider: str
    product: str
    base_usd_per_audio_hour: float
    feature_set_usd_per_audio_hour: float
    unknown_features: tuple[str, ...]
    source_url: str


@dataclass(frozen=True)
class Plan:
    request: PlanRequest
    hardware: Hardware
    unit: str
    """"GPU" or "VM"."""
    stages: tuple[StagePlan, ...]
    units_at_peak: int
    unit_hours_per_day: float
    usd_per_day: float
    usd_per_audio_hour: float | None
    usd_per_month: float
    always_on_usd_per_month: float
    processing_s_median_call: float
    processing_s_p95_call: float
    sla_reachable: bool
    """A p95-length call, processed alone, fits in the SLA (with start-up if scaling from zero)."""
    suggested_target_drain_s: float | None
    """SLA minus the p95 call's own processing and a start-up: what PARLEY_AUTOSCALER__TARGET_DRAIN_S should
    be at most (None when the SLA is not reachable at all)."""
    apis: tuple[ApiComparison, ...]


def processing_s(durations_s: float, rates: dict[Stage, float]) -> float:
    """One call's own processing time: ASR and diarization in parallel, then extraction."""
    return durations_s * (max(rates["asr"], rates["diarization"]) + rates["extraction"])


def _replicas(rate_audio_s_per_s: float, compute: float, minimum: int, scale_to_zero: bool) -> int:
    if rate_audio_s_per_s <= 0:
        return 0 if scale_to_zero else minimum
    return max(minimum, math.ceil(rate_audio_s_per_s * compute / TARGET_UTILISATION - 1e-9))


def make_plan(request: PlanRequest, settings: AutoscalerSettings) -> Plan:
    hw = request.hardware
    gpu = hw != "cpu"
    profile = request.profile
    rates: dict[Stage, float] = {}
    units: dict[Stage, float] = {}
    for stage in STAGES:
        s = settings.stage(stage)
        rates[stage] = replica_compute_s_per_audio_s(stage, hw, gpu_fraction=s.gpu_fraction,
                                                     override=s.compute_s_per_audio_s)
        units[stage] = s.gpu_fraction if gpu else 1.0

    replica_minutes = {s: 0.0 for s in STAGES}
    unit_minutes = 0.0
    for i in range(int(DAY_S / _STEP_S)):
        rate = profile.rate((i + 0.5) * _STEP_S)
        now = {s: _replicas(rate, rates[s], settings.stage(s).min_replicas, settings.scale_to_zero) for s in STAGES}
        for s in STAGES:
            replica_minutes[s] += now[s]
        unit_minutes += math.ceil(sum(now[s] * units[s] for s in STAGES) - 1e-9)

    peak = {s: _replicas(profile.peak_rate, rates[s], settings.stage(s).min_replicas, False) for s in STAGES}
    units_at_peak = math.ceil(sum(peak[s] * units[s] for s in STAGES) - 1e-9)
    price = HARDWARE[hw].usd_per_hour
    unit_hours = unit_minutes / 60.0
    usd_per_day = unit_hours * price

    p50 = processing_s(request.durations.quantile(0.5), rates)
    p95 = processing_s(request.durations.quantile(0.95), rates)
    budget = request.sla_minutes * 60.0 - p95 - request.startup_s
    stage_plans = tuple(
        StagePlan(stage=s, compute_s_per_audio_s=rates[s], units_per_replica=units[s],
                  source=("override: PARLEY_AUTOSCALER__" + f"{s}_compute_s_per_audio_s".upper()
                          if settings.stage(s).compute_s_per_audio_s is not None else figure(s, hw).source),
                  min_replicas=0 if settings.scale_to_zero else settings.stage(s).min_replicas,
                  peak_replicas=peak[s], replica_hours_per_day=replica_minutes[s] / 60.0)
        for s in STAGES
    )
    return Plan(
        request=request, hardware=HARDWARE[hw], unit="GPU" if gpu else "VM", stages=stage_plans,
        units_at_peak=units_at_peak, unit_hours_per_day=unit_hours, usd_per_day=usd_per_day,
        usd_per_audio_hour=usd_per_day / request.audio_hours_per_day if request.audio_hours_per_day > 0 else None,
        usd_per_month=usd_per_day * DAYS_PER_MONTH,
        always_on_usd_per_month=units_at_peak * price * 24 * DAYS_PER_MONTH,
        processing_s_median_call=p50, processing_s_p95_call=p95,
        sla_reachable=budget > 0, suggested_target_drain_s=budget if budget > 0 else None,
        apis=api_comparisons(),
    )


def api_comparisons() -> tuple[ApiComparison, ...]:
    """Managed API list prices, from the table the committed cost report uses (benchmarks/prices.py)."""
    from benchmarks.prices import price_rows

    return tuple(ApiComparison(r.provider, r.product, r.base_usd_per_hour, r.feature_set_usd_per_hour,
                               r.unknown_features, r.source_url) for r in price_rows())


def simulation_config(plan: Plan, settings: AutoscalerSettings, *, target_drain_s: float | None = None,
                      max_replicas: int | None = None, seed: int = 0):
    """The simulator's config for this plan: the settings' policy per stage, the plan's peak replicas as the
    ceiling (or `max_replicas` for every stage), one backlog reading per `refresh_s` as in Ray."""
    from services.autoscaler.simulate import SimConfig

    drain = target_drain_s if target_drain_s is not None else settings.target_drain_s
    stages = {}
    for sp in plan.stages:
        config = settings.scaling_config(sp.stage, sp.compute_s_per_audio_s)
        ceiling = max_replicas if max_replicas is not None else sp.peak_replicas
        stages[sp.stage] = replace(config, target_drain_s=drain, max_replicas=max(config.min_replicas, ceiling))
    return SimConfig(profile=plan.request.profile, stages=stages, sla_s=plan.request.sla_minutes * 60.0,
                     durations=plan.request.durations,
                     units_per_replica={sp.stage: sp.units_per_replica for sp in plan.stages},
                     tick_s=settings.refresh_s, startup_s=plan.request.startup_s, seed=seed)
