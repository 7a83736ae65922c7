"""Throughput figures (against the committed report), the workload profile, the plan and `parley plan`."""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

import pytest

from services.autoscaler.cli import add_plan_parser
from services.autoscaler.plan import PlanRequest, make_plan, simulation_config
from services.autoscaler.policy import STAGES
from services.autoscaler.settings import AutoscalerSettings
from services.autoscaler.throughput import (
    HARDWARE,
    HARDWARE_KINDS,
    MEASURED_CPU,
    figure,
    published_gpu,
    replica_compute_s_per_audio_s,
)
from services.autoscaler.workload import DAY_S, CallDurations, DiurnalProfile
from services.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_measured_cpu_figures_are_the_committed_reports():
    """The planner's CPU figures are the 'Speed: RTF per stage' row of the report each cites, digit for digit."""
    for stage, fig in MEASURED_CPU.items():
        path = REPO / re.search(r"measured: (\S+\.md)", fig.source).group(1)
        text = path.read_text()
        section = text[text.index("## Speed: RTF per stage"):]
        header = next(line for line in section.splitlines() if line.startswith("| system"))
        row = next(line for line in section.splitlines() if line.startswith("| parley | mono |"))
        cells = dict(zip([c.strip() for c in header.split("|")], [c.strip() for c in row.split("|")], strict=True))
        assert float(cells[stage]) == fig.compute_s_per_audio_s, stage


def test_every_figure_says_where_it_comes_from_and_gpus_are_never_faster_than_the_reference():
    for hw in HARDWARE_KINDS:
        assert HARDWARE[hw].usd_per_hour > 0 and HARDWARE[hw].source_url.startswith("https://")
        for stage in STAGES:
            fig = figure(stage, hw)
            assert fig.source.startswith("measured: " if hw == "cpu" else "published: ")
            if hw != "cpu":
                assert fig.compute_s_per_audio_s >= published_gpu()[stage].compute_s_per_audio_s
    assert figure("asr", "l4").compute_s_per_audio_s == pytest.approx(63 / 780 * 608 / 300)
    # a replica on half a GPU is planned at half the GPU's throughput; an override wins
    assert replica_compute_s_per_audio_s("asr", "h100", gpu_fraction=0.5) == pytest.approx(2 * 63 / 780)
    assert replica_compute_s_per_audio_s("asr", "h100", gpu_fraction=0.5, override=0.01) == 0.01


@pytest.mark.parametrize("peak", [1.0, 2.0, 3.5])
def test_profile_integrates_to_the_daily_volume_with_the_asked_peak(peak):
    profile = DiurnalProfile(audio_hours_per_day=100, peak_factor=peak, hours_active=10, start_hour=8)
    step = 30.0
    total = sum(profile.rate(i * step + step / 2) * step for i in range(int(DAY_S / step)))
    assert total / 3600 == pytest.approx(100, rel=1e-3)
    assert max(profile.rate(i * step) for i in range(int(DAY_S / step))) == pytest.approx(
        profile.peak_rate, rel=1e-3)
    assert profile.rate(3 * 3600) == 0.0  # 03:00: outside the active hours


def test_call_durations_quantiles_and_draws():
    import numpy as np

    d = CallDurations()
    draws = d.draw(np.random.default_rng(0), 20_000)
    assert draws.min() >= d.min_s and draws.max() <= d.max_s
    assert float(np.median(draws)) == pytest.approx(d.quantile(0.5), rel=0.05)
    assert float(draws.mean()) == pytest.approx(d.mean_s, rel=0.05)


def test_plan_scales_with_volume_and_checks_the_sla():
    settings = AutoscalerSettings()
    plans = [make_plan(PlanRequest(h, 3, 15, "h100"), settings) for h in (10, 100, 1000)]
    assert [p.units_at_peak for p in plans] == sorted(p.units_at_peak for p in plans)
    assert plans[0].usd_per_audio_hour > plans[1].usd_per_audio_hour > plans[2].usd_per_audio_hour
    assert all(p.usd_per_month <= p.always_on_usd_per_month for p in plans)
    big = plans[2]
    asr = next(s for s in big.stages if s.stage == "asr")
    peak_rate = 1000 * 3 / 10  # audio h per h at the peak = audio s per s
    assert asr.peak_replicas == math.ceil(peak_rate * asr.compute_s_per_audio_s / 0.8)
    assert big.sla_reachable and 0 < big.suggested_target_drain_s < 15 * 60
    tight = make_plan(PlanRequest(100, 3, 1, "cpu"), settings)
    assert not tight.sla_reachable and tight.suggested_target_drain_s is None
    assert {a.provider for a in big.apis} >= {"Gladia", "AssemblyAI", "Deepgram"}


def test_scale_to_zero_lowers_the_idle_cost():
    on = make_plan(PlanRequest(50, 2, 15, "l4"), AutoscalerSettings(scale_to_zero=True))
    off = make_plan(PlanRequest(50, 2, 15, "l4"), AutoscalerSettings(scale_to_zero=False))
    assert on.unit_hours_per_day < off.unit_hours_per_day
    assert on.units_at_peak == off.units_at_peak


def test_simulation_config_follows_the_plan():
    settings = AutoscalerSettings(refresh_s=10)
    plan = make_plan(PlanRequest(100, 3, 15, "a10g"), settings)
    sim = simulation_config(plan, settings, target_drain_s=90)
    assert sim.tick_s == 10 and sim.sla_s == 900
    for sp in plan.stages:
        assert sim.stages[sp.stage].max_replicas == max(sp.peak_replicas, sp.min_replicas)
        assert sim.stages[sp.stage].target_drain_s == 90
        assert sim.units_per_replica[sp.stage] == sp.units_per_replica


def _run(argv: list[str], capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="parley")
    add_plan_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.handler(args, Settings())
    return code, capsys.readouterr().out


def test_parley_plan_json(capsys):
    code, out = _run(["plan", "--audio-hours-per-day", "40", "--peak-factor", "2.5", "--sla-minutes", "20",
                      "--gpu", "l4", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["unit"] == "GPU" and data["request"]["hardware_kind"] == "l4"
    assert data["hardware"]["usd_per_hour"] == HARDWARE["l4"].usd_per_hour
    assert [s["stage"] for s in data["stages"]] == list(STAGES)
    assert "simulation" not in data


def test_parley_plan_table_and_usage_errors(capsys):
    code, out = _run(["plan", "--audio-hours-per-day", "20", "--gpu", "cpu", "--no-scale-to-zero"], capsys)
    assert code == 0
    assert "Replicas per stage" in out and "VMs at peak" in out and "measured" in out
    assert "benchmarks/results/2026-11-21-cpu2-x86_64-standard.md" in out
    from services.errors import InputError

    with pytest.raises(InputError, match="need --simulate"):
        _run(["plan", "--audio-hours-per-day", "20", "--plot", "x.png"], capsys)
    with pytest.raises(InputError, match="peak_factor"):
        _run(["plan", "--audio-hours-per-day", "20", "--peak-factor", "0.5"], capsys)
