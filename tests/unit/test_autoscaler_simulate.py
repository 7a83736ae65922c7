"""The day simulator on a short, busy window: invariants, not figures."""

from __future__ import annotations

import dataclasses

import pytest

from services.autoscaler.policy import STAGES, ScalingConfig
from services.autoscaler.simulate import SimConfig, plot, simulate
from services.autoscaler.workload import DiurnalProfile

# One busy hour: 12 audio hours arrive between 00:00 and 01:00 (peak x2), simulated for 1.5 h plus the drain.
PROFILE = DiurnalProfile(audio_hours_per_day=12, peak_factor=2, hours_active=1, start_hour=0)
RATES = {"asr": 0.1, "diarization": 0.15, "extraction": 0.05}


def _config(max_replicas: int, *, scale_to_zero: bool = True, seed: int = 3) -> SimConfig:
    stages = {s: ScalingConfig(compute_s_per_audio_s=RATES[s], target_drain_s=120, min_replicas=1,
                               max_replicas=max_replicas, downscale_delay_decisions=3, scale_to_zero=scale_to_zero)
              for s in STAGES}
    return SimConfig(profile=PROFILE, stages=stages, sla_s=600, tick_s=10, startup_s=30, duration_s=5400,
                     drain_limit_s=4 * 3600, seed=seed)


@pytest.fixture(scope="module")
def runs():
    return {m: simulate(_config(m)) for m in (1, 3, 8)}


def test_no_call_is_lost(runs):
    for result in runs.values():
        assert result.calls > 100
        assert result.finished == result.calls
        assert result.timeline.outstanding_audio_s[-1] == 0


def test_more_replicas_fewer_sla_misses(runs):
    misses = [runs[m].sla_misses for m in (1, 3, 8)]
    assert misses == sorted(misses, reverse=True)
    assert misses[0] > misses[-1]
    assert runs[8].latency_p95_s < runs[1].latency_p95_s
    assert runs[8].peak_replicas["diarization"] > runs[1].peak_replicas["diarization"] == 1


def test_zero_replicas_only_while_nothing_is_waiting(runs):
    for result in runs.values():
        for s in STAGES:
            zero_with_work = [(t, b) for t, n, b in zip(result.timeline.t_s, result.timeline.replicas[s],
                                                        result.timeline.backlog_audio_s[s], strict=True)
                              if n == 0 and b > 0]
            assert zero_with_work == []
        assert result.timeline.replicas["asr"][0] == 0  # nothing arrived yet at t=0: scaled to zero
        assert result.timeline.replicas["asr"][-1] == 0  # and back to zero once the day drained


def test_bounds_respected_and_billing_adds_up(runs):
    result = runs[3]
    for s in STAGES:
        assert max(result.timeline.replicas[s]) <= 3
    # units_per_replica defaults to 1: unit-hours = replica-hours summed over stages
    assert result.unit_hours == pytest.approx(sum(result.replica_hours.values()))


def test_seeded_and_scale_to_zero_off_keeps_the_floor():
    a, b = simulate(_config(3, seed=5)), simulate(_config(3, seed=5))
    assert (a.calls, a.sla_misses, a.unit_hours) == (b.calls, b.sla_misses, b.unit_hours)
    floor = simulate(dataclasses.replace(_config(3, seed=5), stages={
        s: dataclasses.replace(c, scale_to_zero=False) for s, c in _config(3).stages.items()}))
    assert min(min(floor.timeline.replicas[s]) for s in STAGES) == 1
    assert floor.unit_hours > a.unit_hours


def test_plot_writes_a_png(runs, tmp_path):
    path = plot(runs[3], tmp_path / "day.png", title="test", sla_s=600)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
