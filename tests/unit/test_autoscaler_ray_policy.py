"""The Ray Serve adapter, with Ray 2.60's real AutoscalingConfig / AutoscalingContext and its own policy wrapper
(no cluster: the controller calls the policy as a plain function)."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("ray.serve")

from ray.serve._private.autoscaling_state import _resolve_policy_callable
from ray.serve._private.common import DeploymentID
from ray.serve.autoscaling_policy import _apply_autoscaling_config
from ray.serve.config import AutoscalingConfig, AutoscalingContext

from services.autoscaler.backlog import Backlog, CachedBacklog, StageBacklog
from services.autoscaler.ray_policy import (
    POLICY_PATH,
    STATE_KEY,
    BacklogPolicy,
    autoscaling_config,
    stage_scaling_config,
)
from services.autoscaler.settings import AutoscalerSettings
from services.settings import Settings, get_settings


def _ctx(config: AutoscalingConfig, *, target: int, state: dict | None = None, lo: int | None = None,
         hi: int | None = None) -> AutoscalingContext:
    return AutoscalingContext(
        deployment_id=DeploymentID(name="ASR", app_name="parley"), deployment_name="ASR", app_name="parley",
        current_num_replicas=target, target_num_replicas=target, running_replicas=[],
        total_num_requests=0.0, total_queued_requests=0.0, aggregated_metrics={}, raw_metrics={},
        capacity_adjusted_min_replicas=config.min_replicas if lo is None else lo,
        capacity_adjusted_max_replicas=config.max_replicas if hi is None else hi,
        policy_state=state or {}, last_scale_up_time=None, last_scale_down_time=None,
        current_time=time.time(), config=config,
    )


class _Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


class _Store:
    """A fake job store: the backlog the next read returns."""

    def __init__(self, asr_queued_s: float) -> None:
        self.asr_queued_s = asr_queued_s
        self.error: Exception | None = None

    def __call__(self) -> Backlog:
        if self.error is not None:
            raise self.error
        return Backlog(stages={"asr": StageBacklog(queued_audio_s=self.asr_queued_s)})


def _policy(store: _Store, clock: _Clock, **config) -> BacklogPolicy:
    cfg = {"compute_s_per_audio_s": 0.1, "target_drain_s": 60.0, "min_replicas": 1, "max_replicas": 8,
           "downscale_delay_decisions": 2, "scale_to_zero": True, **config}
    return BacklogPolicy(stage="asr", config=cfg, refresh_s=5.0,
                         backlog=CachedBacklog(store, refresh_s=5.0, background=False, clock=clock))


def test_autoscaling_config_is_accepted_by_ray():
    settings = Settings(autoscaler=AutoscalerSettings(scale_to_zero=True, asr_max_replicas=6)) if (
        "autoscaler" in Settings.model_fields) else Settings()
    for stage in ("asr", "diarization", "extraction"):
        raw = autoscaling_config(stage, settings)
        config = AutoscalingConfig(**raw)
        assert config.policy.policy_function == POLICY_PATH
        assert config.policy.policy_kwargs["stage"] == stage
        assert (config.upscale_delay_s, config.downscale_delay_s) == (0.0, 0.0)
        assert config.max_replicas >= config.initial_replicas >= config.min_replicas
    # cpu profile: the measured CPU figure; gpu profile: the GPU kind's published figure over the GPU share
    assert stage_scaling_config("asr", Settings()).compute_s_per_audio_s == pytest.approx(0.093)
    gpu = stage_scaling_config("asr", Settings(profile="gpu")).compute_s_per_audio_s
    assert gpu == pytest.approx(63 / 780 / AutoscalerSettings().asr_gpu_fraction)


def test_one_decision_per_reading_and_hysteresis_in_readings():
    store, clock = _Store(asr_queued_s=3000.0), _Clock()  # 3000 s x 0.1 / 60 s = 5 replicas
    policy = _policy(store, clock)
    config = AutoscalingConfig(min_replicas=0, max_replicas=8, initial_replicas=1)

    n, state = policy(_ctx(config, target=1))
    assert n == 5 and state[STATE_KEY]["seq"] == 1 and "up 1 -> 5" in state[STATE_KEY]["reason"]

    store.asr_queued_s = 600.0  # wants 1 now, but the cache has not re-read: the 0.1 s ticks repeat the answer
    for i in range(10):
        clock.t = 0.1 * i
        assert policy(_ctx(config, target=5, state=state))[0] == 5

    clock.t = 5.0  # reading 2: wants 1, first reading below -> hold
    n, state = policy(_ctx(config, target=5, state=state))
    assert n == 5 and state[STATE_KEY]["below_count"] == 1
    clock.t = 10.0  # reading 3: second reading below -> down to 1
    n, state = policy(_ctx(config, target=5, state=state))
    assert n == 1

    store.asr_queued_s = 0.0  # idle: down to zero after two empty readings
    for t in (15.0, 20.0):
        clock.t = t
        n, state = policy(_ctx(config, target=n, state=state))
    assert n == 0


def test_holds_when_the_store_cannot_be_read():
    clock = _Clock()

    def broken() -> Backlog:
        raise ConnectionError("could not connect to server")

    policy = BacklogPolicy(stage="asr", config={"compute_s_per_audio_s": 0.1, "target_drain_s": 60,
                                                "scale_to_zero": True},
                           refresh_s=5.0, backlog=CachedBacklog(broken, refresh_s=5.0, background=False, clock=clock))
    config = AutoscalingConfig(min_replicas=0, max_replicas=4, initial_replicas=1)
    n, state = policy(_ctx(config, target=3))
    assert n == 3 and "could not connect" in state[STATE_KEY]["holding"]


def test_stale_reading_holds_and_capacity_bounds_apply():
    store, clock = _Store(asr_queued_s=0.0), _Clock()
    policy = _policy(store, clock, downscale_delay_decisions=1)
    config = AutoscalingConfig(min_replicas=0, max_replicas=8, initial_replicas=1)
    policy(_ctx(config, target=2))
    clock.t = 61.0  # reads fail from now on: the reading ages past max(60, 10 x refresh_s)
    store.error = TimeoutError("statement timeout")
    assert policy(_ctx(config, target=2))[0] == 2

    store2, clock2 = _Store(asr_queued_s=1e6), _Clock()
    capped = _policy(store2, clock2)
    assert capped(_ctx(config, target=1, hi=3))[0] == 3  # target capacity lowered Ray's ceiling to 3
    assert _policy(store2, _Clock())(_ctx(config, target=1, hi=0))[0] == 0


def test_ray_resolves_and_wraps_the_policy_against_a_real_store(tmp_path, monkeypatch):
    """The path Ray's controller takes: cloudpickled class -> instance with policy_kwargs -> Ray's wrapper; the
    instance builds its own reader from PARLEY_DATABASE__URL and reads a real SQLite job store."""
    from services.store import jobs
    from services.store.db import open_database
    from services.store.tenants import ensure_tenant

    db_path = tmp_path / "parley.db"
    monkeypatch.setenv("PARLEY_DATABASE__URL", f"sqlite:///{db_path}")
    monkeypatch.setenv("PARLEY_SERVER__DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        db = open_database(get_settings())
        with db.session() as s:
            ensure_tenant(s, tenant_id="acme")
            for i in range(4):
                jobs.create_job(s, job_id=f"j{i}", tenant_id="acme", source="upload", options={}, max_attempts=3,
                                actor="test", audio_duration_s=900.0)
        raw = autoscaling_config("asr", get_settings())
        raw["policy"]["policy_kwargs"]["config"].update(target_drain_s=60.0, max_replicas=8)
        raw["max_replicas"] = 8
        config = AutoscalingConfig(**raw)
        policy = _apply_autoscaling_config(_resolve_policy_callable(config.policy))

        n, state = policy(_ctx(config, target=1))  # the first read runs in the background: hold
        deadline = time.monotonic() + 10
        while STATE_KEY in state and "holding" in state[STATE_KEY] and time.monotonic() < deadline:
            time.sleep(0.02)
            n, state = policy(_ctx(config, target=1, state=state))
        # 3,600 audio s x 0.093 s/s / 60 s = 5.6 -> 6 replicas, at once (Ray's delays are off)
        assert n == 6, state
        db.dispose()
    finally:
        get_settings.cache_clear()
