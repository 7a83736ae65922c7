"""The backlog policy as a Ray Serve (2.60) custom autoscaling policy.

Ray resolves `AutoscalingPolicy(policy_function="services.autoscaler.ray_policy:BacklogPolicy",
policy_kwargs={...})` once per deployment: a class is instantiated with `policy_kwargs` (JSON values) and the
instance is called with an `AutoscalingContext` on every controller tick (0.1 s); it returns
`(desired_replicas, policy_state)`. Ray then applies its own scaling factors, up/down delays and the
deployment's bounds on top (`ray.serve.autoscaling_policy._apply_autoscaling_config`). `autoscaling_config()`
sets those delays to 0: the hysteresis is ours, counted in backlog readings, so it means the same thing in
Ray, in the simulator and in the property tests.

The instance runs inside the Serve controller: it reads the job store through `CachedBacklog` (a background
read every `refresh_s`, never on the controller's loop), and needs the controller's environment to carry
PARLEY_DATABASE__URL (services.settings). The URL is deliberately not a policy kwarg: kwargs are shown in
the Serve config and dashboard.

Ray is not imported here: the context is only read (attributes of `ray.serve.config.AutoscalingContext`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from services.autoscaler.backlog import CachedBacklog, database_reader
from services.autoscaler.policy import (
    STAGES,
    PolicyState,
    ScalingConfig,
    Stage,
    StageLoad,
    decide,
)
from services.autoscaler.settings import autoscaler_settings
from services.autoscaler.throughput import HardwareKind, replica_compute_s_per_audio_s

if TYPE_CHECKING:
    from ray.serve.config import AutoscalingContext

    from services.settings import Settings

log = logging.getLogger(__name__)

POLICY_PATH = "services.autoscaler.ray_policy:BacklogPolicy"
STATE_KEY = "parley_backlog"
"""Our key in Ray's policy_state dict (Ray keeps its own delay counters in the same dict)."""


class BacklogPolicy:
    """Desired replicas of one stage's deployment from the job store's backlog for that stage.

    One decision per new backlog reading (the policy is called ~50 times between two readings at the default
    refresh; counting each call as a "reading" would make the hysteresis meaningless); between readings it
    repeats its last answer. Before the first reading, after a failed one turns stale, or if the store cannot
    be read at all, it holds the current target: never scale to zero on missing data.
    """

    def __init__(self, *, stage: str, config: dict[str, Any], refresh_s: float, unknown_duration_s: float = 300.0,
                 backlog: CachedBacklog | None = None, max_staleness_s: float | None = None) -> None:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; expected one of {STAGES}")
        self.stage: Stage = stage  # type: ignore[assignment]
        self.config = ScalingConfig(**config)
        if backlog is None:
            from services.settings import get_settings

            backlog = CachedBacklog(database_reader(get_settings(), unknown_duration_s=unknown_duration_s),
                                    refresh_s=refresh_s)
        self.backlog = backlog
        # A reading older than this is not acted on (the database has been unreachable for a while).
        self.max_staleness_s = max_staleness_s if max_staleness_s is not None else max(60.0, 10 * refresh_s)

    def __call__(self, ctx: AutoscalingContext) -> tuple[int, dict[str, Any]]:
        current = int(ctx.target_num_replicas)
        mine: dict[str, Any] = dict(ctx.policy_state.get(STATE_KEY) or {})
        reading = self.backlog.get()
        if reading is None or self.backlog.age_s(reading) > self.max_staleness_s:
            why = self.backlog.last_error or "no backlog reading yet"
            if mine.get("holding") != why:
                log.warning("%s: holding %d replicas: %s", self.stage, current, why)
            return current, {**ctx.policy_state, STATE_KEY: {**mine, "holding": why}}
        if reading.seq == mine.get("seq"):
            return int(mine.get("replicas", current)), dict(ctx.policy_state)

        upper = int(ctx.capacity_adjusted_max_replicas)
        if upper <= 0:  # target capacity 0: the operator is draining the deployment
            return 0, {**ctx.policy_state, STATE_KEY: {"seq": reading.seq, "replicas": 0}}
        lower = min(max(self.config.min_replicas, int(ctx.capacity_adjusted_min_replicas), 1), upper)
        config = ScalingConfig(**{**asdict(self.config), "min_replicas": lower, "max_replicas": upper})
        part = reading.backlog.stage(self.stage)
        state = PolicyState(below_count=int(mine.get("below_count", 0)), window_max=int(mine.get("window_max", 0)))
        decision = decide(config, StageLoad(part.queued_audio_s, part.in_flight_audio_s, current), state)
        (log.info if decision.replicas != current else log.debug)("%s: %s", self.stage, decision.reason)
        return decision.replicas, {**ctx.policy_state, STATE_KEY: {
            "seq": reading.seq, "replicas": decision.replicas, "reason": decision.reason, **asdict(decision.state)}}


def hardware_of(settings: Settings) -> HardwareKind:
    """The hardware whose throughput figures apply: the CPU box, or the configured GPU kind on the gpu profile."""
    return "cpu" if settings.profile == "cpu" else autoscaler_settings(settings).gpu


def stage_scaling_config(stage: Stage, settings: Settings) -> ScalingConfig:
    """The pure policy's config for `stage` under these settings (compute rate resolved for the hardware)."""
    auto = autoscaler_settings(settings)
    s = auto.stage(stage)
    rate = replica_compute_s_per_audio_s(stage, hardware_of(settings), gpu_fraction=s.gpu_fraction,
                                         override=s.compute_s_per_audio_s)
    return auto.scaling_config(stage, rate)


def autoscaling_config(stage: Stage, settings: Settings) -> dict[str, Any]:
    """A deployment's `autoscaling_config` (what `@serve.deployment(autoscaling_config=...)` or
    `.options(autoscaling_config=...)` takes) for `stage`: bounds, our policy, Ray's own delays off."""
    auto = autoscaler_settings(settings)
    config = stage_scaling_config(stage, settings)
    return {
        "min_replicas": 0 if config.scale_to_zero else config.min_replicas,
        "initial_replicas": config.min_replicas,
        "max_replicas": config.max_replicas,
        # The policy's hysteresis decides when to scale; Ray's delays on top would double-count it.
        "upscale_delay_s": 0.0,
        "downscale_delay_s": 0.0,
        # Unused by the backlog policy, but Ray checks it against max_ongoing_requests (1 for the diarization
        # and llama.cpp replicas) and warns that "autoscaling will never happen" when it is larger.
        "target_ongoing_requests": 1,
        "policy": {
            "policy_function": POLICY_PATH,
            "policy_kwargs": {"stage": stage, "config": asdict(config), "refresh_s": auto.refresh_s,
                              "unknown_duration_s": auto.unknown_duration_s},
        },
    }
