"""The pure scaling policy: properties (hypothesis) and the worked examples behind them."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.autoscaler.policy import (
    PolicyState,
    ScalingConfig,
    StageLoad,
    decide,
    wanted_replicas,
)

audio = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def configs(draw) -> ScalingConfig:
    lo = draw(st.integers(1, 5))
    return ScalingConfig(
        compute_s_per_audio_s=draw(st.floats(1e-4, 2.0)),
        target_drain_s=draw(st.floats(1.0, 3600.0)),
        min_replicas=lo,
        max_replicas=draw(st.integers(lo, 20)),
        downscale_delay_decisions=draw(st.integers(1, 10)),
        scale_to_zero=draw(st.booleans()),
    )


@st.composite
def reachable_current(draw, config: ScalingConfig) -> int:
    """Replica counts the policy itself can produce: within bounds, or 0 where scale-to-zero is allowed."""
    return draw(st.sampled_from([0, *range(config.min_replicas, config.max_replicas + 1)])
                if config.scale_to_zero else st.integers(config.min_replicas, config.max_replicas))


@st.composite
def states(draw, config: ScalingConfig) -> PolicyState:
    below = draw(st.integers(0, config.downscale_delay_decisions - 1))
    return PolicyState(below_count=below, window_max=draw(st.integers(0, config.max_replicas)) if below else 0)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), config=configs(), a=audio, b=audio, flight=audio)
def test_monotonic_non_decreasing_in_backlog(data, config, a, b, flight):
    low, high = sorted((a, b))
    current = data.draw(reachable_current(config))
    state = data.draw(states(config))
    d_low = decide(config, StageLoad(low, flight, current), state)
    d_high = decide(config, StageLoad(high, flight, current), state)
    assert d_low.replicas <= d_high.replicas
    assert wanted_replicas(config, StageLoad(low, flight, current)) <= wanted_replicas(
        config, StageLoad(high, flight, current))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), config=configs(), queued=audio, flight=audio)
def test_within_bounds_and_zero_only_when_empty(data, config, queued, flight):
    current = data.draw(reachable_current(config))
    d = decide(config, StageLoad(queued, flight, current), data.draw(states(config)))
    if d.replicas == 0:
        assert config.scale_to_zero and queued == 0 and flight == 0
    else:
        assert config.min_replicas <= d.replicas <= config.max_replicas
    if queued > 0 or flight > 0:
        assert d.replicas >= 1


@settings(max_examples=150, deadline=None)
@given(data=st.data(), config=configs(), queued=audio, flight=audio, steps=st.integers(1, 40))
def test_constant_backlog_never_flaps(data, config, queued, flight, steps):
    """Fed its own output on a constant backlog, the count changes at most once and ends where it is wanted."""
    current = data.draw(reachable_current(config))
    history, state = [current], PolicyState()
    for _ in range(steps + config.downscale_delay_decisions):
        d = decide(config, StageLoad(queued, flight, history[-1]), state)
        history.append(d.replicas)
        state = d.state
    changes = sum(1 for x, y in itertools.pairwise(history) if x != y)
    assert changes <= 1
    assert history[-1] == wanted_replicas(config, StageLoad(queued, flight, history[-1]))


def test_worked_example_scale_up_is_immediate():
    config = ScalingConfig(compute_s_per_audio_s=0.1, target_drain_s=60, min_replicas=1, max_replicas=10)
    # 1,800 audio s x 0.1 = 180 compute s; drained in 60 s by 3 replicas
    d = decide(config, StageLoad(queued_audio_s=1500, in_flight_audio_s=300, current_replicas=1))
    assert (d.replicas, d.wanted) == (3, 3)
    assert d.reason.startswith("up 1 -> 3")


def test_in_flight_work_keeps_replicas():
    config = ScalingConfig(compute_s_per_audio_s=0.5, target_drain_s=100, scale_to_zero=True)
    assert wanted_replicas(config, StageLoad(0, 1, 0)) == 1  # a call still running is not an idle stage
    assert wanted_replicas(config, StageLoad(0, 0, 3)) == 0


def test_scale_down_waits_and_goes_to_the_window_max():
    config = ScalingConfig(compute_s_per_audio_s=1.0, target_drain_s=100, min_replicas=1, max_replicas=10,
                           downscale_delay_decisions=3)
    current, state = 8, PolicyState()
    wanted = []
    for backlog in (300, 500, 200):  # wants 3, 5, 2: after the third reading, down to 5 (the window's max)
        d = decide(config, StageLoad(backlog, 0, current), state)
        wanted.append(d.wanted)
        state = d.state
        if len(wanted) < 3:
            assert d.replicas == 8 and "hold" in d.reason
    assert wanted == [3, 5, 2]
    assert d.replicas == 5 and state == PolicyState()


def test_a_reading_at_or_above_current_resets_the_downscale_count():
    config = ScalingConfig(compute_s_per_audio_s=1.0, target_drain_s=100, max_replicas=10,
                           downscale_delay_decisions=2)
    d1 = decide(config, StageLoad(100, 0, 4))  # wants 1: first reading below
    d2 = decide(config, StageLoad(400, 0, 4), d1.state)  # wants 4: hold, count reset
    d3 = decide(config, StageLoad(100, 0, 4), d2.state)  # wants 1: first reading below again
    assert [d.replicas for d in (d1, d2, d3)] == [4, 4, 4]
    assert decide(config, StageLoad(100, 0, 4), d3.state).replicas == 1


def test_bounds_shrinking_under_the_policy_apply_at_once():
    config = ScalingConfig(compute_s_per_audio_s=1.0, target_drain_s=100, max_replicas=2)
    assert decide(config, StageLoad(0, 0, 6)).replicas == 2


@pytest.mark.parametrize("bad", [
    {"compute_s_per_audio_s": 0, "target_drain_s": 1},
    {"compute_s_per_audio_s": 1, "target_drain_s": 0},
    {"compute_s_per_audio_s": 1, "target_drain_s": 1, "min_replicas": 0},
    {"compute_s_per_audio_s": 1, "target_drain_s": 1, "min_replicas": 3, "max_replicas": 2},
    {"compute_s_per_audio_s": 1, "target_drain_s": 1, "downscale_delay_decisions": 0},
])
def test_nonsense_configs_are_refused(bad):
    with pytest.raises(ValueError):
        ScalingConfig(**bad)
