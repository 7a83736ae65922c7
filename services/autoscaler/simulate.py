"""Replay a day of call arrivals against the scaling policy, in discrete time.

Model (one tick = `tick_s`, in this order):
1. arrivals: Poisson, rate = profile audio rate / mean call length; durations drawn from `CallDurations`;
2. one backlog reading per stage, as backlog.py counts it from the job store (a call not started on a stage is
   queued work for it, even while an earlier stage still runs; a started one counts what is left), and one
   `policy.decide` per stage; new replicas become ready `startup_s` later (billed from the request), released
   replicas go at once (a call they held waits for the next free replica, keeping its progress);
3. processing: each ready replica works `tick_s` seconds through its stage's FIFO queue, one call at a time
   (a call never runs on two replicas at once); ASR and diarization start on arrival, in parallel; extraction
   starts when both are done; a call is finished when its last stage is.

After the day the simulation keeps going (no arrivals) until every call is finished or `drain_limit_s` runs
out, so "no call lost" is checkable. Seeded: the same config gives the same result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.autoscaler.policy import (
    STAGES,
    PolicyState,
    ScalingConfig,
    Stage,
    StageLoad,
    decide,
)
from services.autoscaler.workload import DAY_S, CallDurations, DiurnalProfile

_DONE = 1e-9


@dataclass(frozen=True)
class SimConfig:
    profile: DiurnalProfile
    stages: Mapping[Stage, ScalingConfig]
    """Per stage: the policy config; its compute_s_per_audio_s is one replica's."""
    sla_s: float
    """A call finished more than this long after it arrived is an SLA miss."""
    durations: CallDurations = field(default_factory=CallDurations)
    units_per_replica: Mapping[Stage, float] = field(default_factory=dict)
    """GPUs (or VMs) one replica of the stage holds; 1 when absent. GPU-hours = replica-hours x this."""
    tick_s: float = 10.0
    startup_s: float = 60.0
    duration_s: float = DAY_S
    drain_limit_s: float = DAY_S
    seed: int = 0


@dataclass(frozen=True)
class Timeline:
    """One sample per tick."""

    t_s: list[float]
    arrived_audio_s: list[float]
    """Audio seconds that arrived during the tick."""
    outstanding_audio_s: list[float]
    """Audio seconds of calls arrived and not finished."""
    backlog_audio_s: dict[Stage, list[float]]
    """What each stage's policy read (queued + in flight)."""
    replicas: dict[Stage, list[int]]
    """Replicas per stage after the tick's decision (ready + starting)."""


@dataclass(frozen=True)
class SimResult:
    calls: int
    finished: int
    sla_misses: int
    latency_p50_s: float
    latency_p95_s: float
    latency_max_s: float
    queue_peak_audio_s: float
    """Peak of outstanding audio: arrived and not finished."""
    stage_backlog_peak_audio_s: dict[Stage, float]
    replica_hours: dict[Stage, float]
    unit_hours: float
    """GPU-hours (or VM-hours): sum of replica-hours x units_per_replica, billed from the start-up request."""
    peak_replicas: dict[Stage, int]
    timeline: Timeline

    @property
    def sla_miss_rate(self) -> float:
        return self.sla_misses / self.calls if self.calls else 0.0


@dataclass
class _Call:
    arrival_s: float
    duration_s: float
    need: dict[Stage, float]
    """Compute seconds left per stage."""
    started: set[Stage] = field(default_factory=set)
    finished_at: dict[Stage, float] = field(default_factory=dict)
    extraction_queued: bool = False

    def left_audio_s(self, stage: Stage, full: float) -> float:
        return self.duration_s * (self.need[stage] / full if full else 0.0)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def simulate(config: SimConfig) -> SimResult:
    import numpy as np

    rng = np.random.default_rng(config.seed)
    tick = config.tick_s
    mean_call = config.durations.mean_s
    rate_of = {s: config.stages[s].compute_s_per_audio_s for s in STAGES}

    calls: list[_Call] = []
    active: list[_Call] = []
    queues: dict[Stage, list[_Call]] = {s: [] for s in STAGES}
    ready = {s: 0 if config.stages[s].scale_to_zero else config.stages[s].min_replicas for s in STAGES}
    starting: dict[Stage, list[float]] = {s: [] for s in STAGES}
    states = {s: PolicyState() for s in STAGES}
    latencies: list[float] = []
    tl = Timeline([], [], [], {s: [] for s in STAGES}, {s: [] for s in STAGES})
    replica_ticks = {s: 0 for s in STAGES}
    unit_ticks = 0.0

    t = 0.0
    end = config.duration_s + config.drain_limit_s
    while t < end and (t < config.duration_s or active):
        # 1. arrivals
        arrived = 0.0
        if t < config.duration_s:
            expected = config.profile.rate(t + tick / 2) * tick / mean_call
            for duration in config.durations.draw(rng, int(rng.poisson(expected))):
                d = float(duration)
                call = _Call(arrival_s=t + float(rng.uniform(0, tick)), duration_s=d,
                             need={s: d * rate_of[s] for s in STAGES})
                calls.append(call)
                active.append(call)
                queues["asr"].append(call)
                queues["diarization"].append(call)
                arrived += d

        # 2. readings and decisions (ready-up first: a replica whose start-up ended is ready for this tick)
        for s in STAGES:
            now_ready = [r for r in starting[s] if r <= t]
            ready[s] += len(now_ready)
            starting[s] = [r for r in starting[s] if r > t]
            queued = sum(c.duration_s for c in active if s not in c.started)
            in_flight = sum(c.left_audio_s(s, c.duration_s * rate_of[s]) for c in active
                            if s in c.started and s not in c.finished_at)
            current = ready[s] + len(starting[s])
            decision = decide(config.stages[s], StageLoad(queued, in_flight, current), states[s])
            states[s] = decision.state
            if decision.replicas > current:
                starting[s] += [t + config.startup_s] * (decision.replicas - current)
            elif decision.replicas < current:
                drop = current - decision.replicas
                cancelled = min(drop, len(starting[s]))
                starting[s] = sorted(starting[s])[: len(starting[s]) - cancelled]  # cancel the latest first
                ready[s] -= drop - cancelled
            tl.backlog_audio_s[s].append(queued + in_flight)
            tl.replicas[s].append(ready[s] + len(starting[s]))
            replica_ticks[s] += ready[s] + len(starting[s])
        unit_ticks += math.ceil(sum(tl.replicas[s][-1] * config.units_per_replica.get(s, 1.0) for s in STAGES)
                                - _DONE)

        # 3. processing
        for s in STAGES:
            queues[s] = _work(queues[s], s, ready[s], t, tick)
        still: list[_Call] = []
        for call in active:
            if "extraction" in call.finished_at:
                latencies.append(call.finished_at["extraction"] - call.arrival_s)
                continue
            if not call.extraction_queued and "asr" in call.finished_at and "diarization" in call.finished_at:
                call.extraction_queued = True
                queues["extraction"].append(call)
            still.append(call)
        active = still

        tl.t_s.append(t)
        tl.arrived_audio_s.append(arrived)
        tl.outstanding_audio_s.append(sum(c.duration_s for c in active))
        t += tick

    return SimResult(
        calls=len(calls), finished=len(latencies),
        sla_misses=sum(1 for x in latencies if x > config.sla_s) + (len(calls) - len(latencies)),
        latency_p50_s=_percentile(latencies, 0.5), latency_p95_s=_percentile(latencies, 0.95),
        latency_max_s=max(latencies, default=0.0),
        queue_peak_audio_s=max(tl.outstanding_audio_s, default=0.0),
        stage_backlog_peak_audio_s={s: max(tl.backlog_audio_s[s], default=0.0) for s in STAGES},
        replica_hours={s: replica_ticks[s] * tick / 3600 for s in STAGES},
        unit_hours=unit_ticks * tick / 3600,
        peak_replicas={s: max(tl.replicas[s], default=0) for s in STAGES},
        timeline=tl,
    )


def _work(queue: list[_Call], stage: Stage, replicas: int, t: float, tick: float) -> list[_Call]:
    """Each replica spends `tick` seconds on the head of the queue, one call at a time; returns the calls left.
    A call a replica could not finish stays at the head (FIFO) and is not touched by another replica this tick."""
    i = 0
    for _ in range(replicas):
        budget = tick
        while budget > _DONE and i < len(queue):
            call = queue[i]
            call.started.add(stage)
            used = min(budget, call.need[stage])
            call.need[stage] -= used
            budget -= used
            i += 1
            if call.need[stage] <= _DONE:
                call.need[stage] = 0.0
                call.finished_at[stage] = max(call.arrival_s, t) + (tick - budget)
            else:
                break  # this replica's tick is spent on a call that continues next tick
    return [c for c in queue[:i] if stage not in c.finished_at] + queue[i:]


def plot(result: SimResult, path: Path, *, title: str, sla_s: float) -> Path:
    """Arrivals, outstanding audio and replicas per stage over the simulated time, one PNG (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tl = result.timeline
    hours = [t / 3600 for t in tl.t_s]
    tick = (tl.t_s[1] - tl.t_s[0]) if len(tl.t_s) > 1 else 1.0
    per_min = 60.0 / tick
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(10, 7.5), sharex=True)
    ax1.plot(hours, [a * per_min / 60 for a in _smooth(tl.arrived_audio_s, int(600 / tick) or 1)], lw=1)
    ax1.set_ylabel("arriving audio\n(audio min / min)")
    ax1.set_title(title, fontsize=10)
    ax2.plot(hours, [a / 60 for a in tl.outstanding_audio_s], lw=1, color="tab:red", label="outstanding (all)")
    for s in STAGES:
        ax2.plot(hours, [a / 60 for a in tl.backlog_audio_s[s]], lw=0.8, alpha=0.7, label=f"{s} backlog")
    ax2.set_ylabel("audio minutes")
    ax2.legend(fontsize=7, loc="upper left")
    for s in STAGES:
        ax3.step(hours, tl.replicas[s], where="post", lw=1, label=s)
    ax3.set_ylabel("replicas")
    ax3.set_xlabel("hour of day")
    ax3.legend(fontsize=7, loc="upper left")
    fig.text(0.99, 0.005, f"{result.calls} calls, SLA {sla_s / 60:.0f} min: {result.sla_misses} missed; "
             f"p95 latency {result.latency_p95_s / 60:.1f} min; {result.unit_hours:.1f} GPU/VM-hours",
             ha="right", fontsize=8)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def _smooth(values: list[float], window: int) -> list[float]:
    """Trailing moving average over `window` samples (arrivals per tick are too spiky to read)."""
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v - (values[i - window] if i >= window else 0.0)
        out.append(acc / min(i + 1, window))
    return out
