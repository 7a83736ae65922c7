"""The scaling decision, as pure functions: work waiting in, replica count out.

    wanted = ceil(work_audio_s x compute_s_per_audio_s / target_drain_s), clamped to [min_replicas, max_replicas]

`work_audio_s` is the stage's queued audio plus what is left of the audio in flight (a replica busy on a call
is still needed until the call drains). `compute_s_per_audio_s` is what one replica spends per audio second
(1 / throughput; services/autoscaler/throughput.py). The result is the smallest replica count that clears
everything waiting within `target_drain_s`.

Hysteresis: scale up at once (late capacity is missed SLAs); scale down only after `downscale_delay_decisions`
consecutive readings all wanted fewer replicas, and then only to the largest count wanted in that window, so a
constant backlog moves the count at most once and a dip of one reading never releases a replica.

Zero replicas only when nothing is queued and nothing is in flight, and only where scale-to-zero is allowed;
otherwise the floor is `min_replicas` (>= 1). No I/O, no clock, no Ray: the caller keeps `PolicyState`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

Stage = Literal["asr", "diarization", "extraction"]
STAGES: tuple[Stage, ...] = ("asr", "diarization", "extraction")
"""The stages that run on their own Serve deployments and scale independently."""

# ceil(2.0000000001) would add a replica for floating-point noise in backlog x rate / drain.
_EPS = 1e-9


@dataclass(frozen=True)
class ScalingConfig:
    """How one stage scales. All durations in seconds."""

    compute_s_per_audio_s: float
    """Compute seconds one replica spends per audio second (1 / its throughput); > 0."""
    target_drain_s: float
    """Everything waiting should be processed within this time; > 0."""
    min_replicas: int = 1
    """Floor whenever there is work, or always when scale_to_zero is off; >= 1."""
    max_replicas: int = 4
    """Ceiling; >= min_replicas."""
    downscale_delay_decisions: int = 3
    """Readings in a row that must want fewer replicas before any is released; >= 1."""
    scale_to_zero: bool = False
    """Allow zero replicas while the stage has no queued and no in-flight audio."""

    def __post_init__(self) -> None:
        if not self.compute_s_per_audio_s > 0:
            raise ValueError(f"compute_s_per_audio_s must be > 0, got {self.compute_s_per_audio_s}")
        if not self.target_drain_s > 0:
            raise ValueError(f"target_drain_s must be > 0, got {self.target_drain_s}")
        if self.min_replicas < 1:
            raise ValueError(f"min_replicas must be >= 1 (zero is scale_to_zero's job), got {self.min_replicas}")
        if self.max_replicas < self.min_replicas:
            raise ValueError(f"max_replicas ({self.max_replicas}) < min_replicas ({self.min_replicas})")
        if self.downscale_delay_decisions < 1:
            raise ValueError(f"downscale_delay_decisions must be >= 1, got {self.downscale_delay_decisions}")


@dataclass(frozen=True)
class StageLoad:
    """One reading of a stage: the work waiting and the replicas it has now."""

    queued_audio_s: float
    """Audio seconds of calls not started on this stage."""
    in_flight_audio_s: float
    """Audio seconds still to process of calls this stage is working on."""
    current_replicas: int
    """Replicas the deployment has (or was last told to have)."""

    def __post_init__(self) -> None:
        if self.queued_audio_s < 0 or self.in_flight_audio_s < 0 or self.current_replicas < 0:
            raise ValueError(f"negative load: {self}")

    @property
    def work_audio_s(self) -> float:
        return self.queued_audio_s + self.in_flight_audio_s


@dataclass(frozen=True)
class PolicyState:
    """What the policy remembers between readings (the caller stores it; the policy never mutates it)."""

    below_count: int = 0
    """Consecutive readings that wanted fewer replicas than the current count."""
    window_max: int = 0
    """Largest count wanted during those readings: the count a scale-down goes to."""


@dataclass(frozen=True)
class Decision:
    replicas: int
    """The replica count to run now."""
    wanted: int
    """What this reading alone asks for (before hysteresis)."""
    state: PolicyState
    """State to pass to the next decision."""
    reason: str
    """One line for logs: the numbers behind the decision."""


def wanted_replicas(config: ScalingConfig, load: StageLoad) -> int:
    """Replicas that drain this reading's work within the target, within bounds; 0 only for an idle stage that
    may scale to zero."""
    work = load.work_audio_s
    if work <= 0:
        return 0 if config.scale_to_zero else config.min_replicas
    exact = work * config.compute_s_per_audio_s / config.target_drain_s
    return max(config.min_replicas, min(config.max_replicas, math.ceil(exact - _EPS)))


def decide(config: ScalingConfig, load: StageLoad, state: PolicyState | None = None) -> Decision:
    """The replica count for this reading, with hysteresis on the way down."""
    state = state or PolicyState()
    wanted = wanted_replicas(config, load)
    current = load.current_replicas
    work = (f"{load.queued_audio_s:.0f} s queued + {load.in_flight_audio_s:.0f} s in flight "
            f"x {config.compute_s_per_audio_s:.4g} s/s / {config.target_drain_s:.0f} s drain")

    if current > config.max_replicas:  # bounds shrank under us: no reason to wait
        return Decision(config.max_replicas, wanted, PolicyState(), f"down to max {config.max_replicas}: {work}")
    if wanted > current:
        return Decision(wanted, wanted, PolicyState(), f"up {current} -> {wanted}: {work}")
    if wanted == current:
        return Decision(current, wanted, PolicyState(), f"hold {current}: {work}")

    below = replace(state, below_count=state.below_count + 1,
                    window_max=max(wanted, state.window_max if state.below_count else 0))
    if below.below_count < config.downscale_delay_decisions:
        return Decision(current, wanted, below,
                        f"hold {current} (wants {wanted}, {below.below_count}/{config.downscale_delay_decisions} "
                        f"readings): {work}")
    target = below.window_max
    return Decision(target, wanted, PolicyState(), f"down {current} -> {target} after "
                    f"{below.below_count} readings: {work}")
