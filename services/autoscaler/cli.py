"""`parley plan`: the capacity planner (and, with --simulate, a day replayed against the autoscaler).

`add_plan_parser(sub)` registers the subcommand on services/cli.py's subparsers; the handler has the CLI's
`(args, settings) -> exit code` shape. Rich tables for people, --json for machines.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.autoscaler.throughput import HARDWARE_KINDS

if TYPE_CHECKING:
    from rich.console import Console

    from services.autoscaler.plan import Plan
    from services.autoscaler.simulate import SimResult
    from services.settings import Settings


def add_plan_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    plan = sub.add_parser(
        "plan", help="capacity plan: replicas, GPUs and cost per audio hour for a daily volume and an SLA",
        description="Replicas per stage, GPUs (or CPU VMs) and cost for a daily call volume, from throughput "
        "measured in benchmarks/results or published figures (each cited). --simulate replays a day of "
        "arrivals against the backlog autoscaler (README: Autoscaling and capacity planning).",
    )
    plan.add_argument("--audio-hours-per-day", type=float, required=True, metavar="H", help="audio hours a day")
    plan.add_argument("--peak-factor", type=float, default=2.0, metavar="P",
                      help="peak arrival rate / mean rate over the active hours (default 2)")
    plan.add_argument("--sla-minutes", type=float, default=15.0, metavar="S",
                      help="a call's result is due this long after upload (default 15)")
    plan.add_argument("--gpu", choices=HARDWARE_KINDS, default=None,
                      help="hardware: cpu (2-vCPU VMs) or a GPU kind (default: the profile's, "
                      "PARLEY_AUTOSCALER__GPU on the gpu profile)")
    plan.add_argument("--hours-active", type=float, default=10.0, help="hours a day calls arrive in (default 10)")
    plan.add_argument("--startup-s", type=float, default=60.0,
                      help="seconds a new replica takes to be ready (default 60)")
    plan.add_argument("--scale-to-zero", action=argparse.BooleanOptionalAction, default=None,
                      help="override PARLEY_AUTOSCALER__SCALE_TO_ZERO")
    plan.add_argument("--simulate", action="store_true", help="replay a day of Poisson arrivals against the policy")
    plan.add_argument("--plot", metavar="PNG", help="with --simulate: write the day's plot here")
    plan.add_argument("--target-drain-s", type=float, help="with --simulate: override the drain target")
    plan.add_argument("--max-replicas", type=int, help="with --simulate: ceiling for every stage (default: plan)")
    plan.add_argument("--seed", type=int, default=0, help="with --simulate: random seed (default 0)")
    plan.add_argument("--json", action="store_true", help="print the plan (and simulation) as JSON")
    plan.set_defaults(handler=cmd_plan)
    return plan


def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    from services.autoscaler.plan import PlanRequest, make_plan, simulation_config
    from services.autoscaler.ray_policy import hardware_of
    from services.autoscaler.settings import autoscaler_settings
    from services.errors import InputError

    auto = autoscaler_settings(settings)
    if args.scale_to_zero is not None:
        auto = auto.model_copy(update={"scale_to_zero": args.scale_to_zero})
    if (args.plot or args.target_drain_s or args.max_replicas) and not args.simulate:
        raise InputError("--plot, --target-drain-s and --max-replicas need --simulate", code="usage")
    try:
        request = PlanRequest(audio_hours_per_day=args.audio_hours_per_day, peak_factor=args.peak_factor,
                              sla_minutes=args.sla_minutes, hardware=args.gpu or hardware_of(settings),
                              hours_active=args.hours_active, startup_s=args.startup_s)
        plan = make_plan(request, auto)
        sim_config = (simulation_config(plan, auto, target_drain_s=args.target_drain_s,
                                        max_replicas=args.max_replicas, seed=args.seed) if args.simulate else None)
    except ValueError as exc:
        raise InputError(str(exc), code="usage") from exc
    result = None
    if sim_config is not None:
        from services.autoscaler.simulate import simulate

        result = simulate(sim_config)
        if args.plot:
            from services.autoscaler.simulate import plot

            plot(result, Path(args.plot), sla_s=sim_config.sla_s, title=_sim_title(plan, sim_config))
    if args.json:
        print(json.dumps(plan_json(plan, result), indent=2))
        return 0
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the tables into 80 columns
        console = Console(width=160)
    print_plan(plan, console)
    if result is not None:
        print_simulation(result, plan, console, drain_s=sim_config.stages["asr"].target_drain_s)
        if args.plot:
            console.print(f"wrote {args.plot}")
    return 0


def _sim_title(plan: Plan, sim_config: Any) -> str:
    r = plan.request
    return (f"{r.audio_hours_per_day:g} audio h/day, peak x{r.peak_factor:g} over {r.hours_active:g} h, "
            f"{plan.hardware.name}; drain {sim_config.stages['asr'].target_drain_s:.0f} s, "
            f"start-up {r.startup_s:.0f} s, scale to zero {'on' if sim_config.stages['asr'].scale_to_zero else 'off'}")


def plan_json(plan: Plan, result: SimResult | None) -> dict[str, Any]:
    out = asdict(plan)
    out["request"]["hardware_kind"] = out["request"].pop("hardware")
    if result is not None:
        sim = asdict(result)
        sim.pop("timeline")
        sim["sla_miss_rate"] = result.sla_miss_rate
        out["simulation"] = sim
    return out


def _money(x: float | None) -> str:
    return "–" if x is None else (f"${x:,.0f}" if x >= 100 else f"${x:,.3f}")


def print_plan(plan: Plan, console: Console) -> None:
    from rich.table import Table

    r = plan.request
    unit = plan.unit
    console.print(f"[bold]parley plan[/]: {r.audio_hours_per_day:g} audio h/day, peak x{r.peak_factor:g} over "
                  f"{r.hours_active:g} active h, SLA {r.sla_minutes:g} min, on {plan.hardware.name} at "
                  f"${plan.hardware.usd_per_hour:g}/h ({plan.hardware.source_date})")
    stages = Table(title="Replicas per stage")
    for col in ("stage", "compute s / audio s (1 replica)", f"{unit} per replica", "min", "peak",
                "replica-h / day", "source"):
        stages.add_column(col, overflow="fold")
    for s in plan.stages:
        stages.add_row(s.stage, f"{s.compute_s_per_audio_s:.4g}", f"{s.units_per_replica:g}", str(s.min_replicas),
                       str(s.peak_replicas), f"{s.replica_hours_per_day:.1f}", s.source.split(":", 1)[0])
    console.print(stages)
    summary = Table(title="Capacity and cost (hardware only)", show_header=False)
    summary.add_column("", style="bold")
    summary.add_column("")
    summary.add_row(f"{unit}s at peak", str(plan.units_at_peak))
    summary.add_row(f"{unit}-hours / day (autoscaled)", f"{plan.unit_hours_per_day:.1f}")
    summary.add_row("cost / audio hour", _money(plan.usd_per_audio_hour))
    summary.add_row("cost / month, autoscaled", _money(plan.usd_per_month))
    summary.add_row(f"cost / month, peak {unit}s always on", _money(plan.always_on_usd_per_month))
    summary.add_row("processing of a median / p95 call", f"{plan.processing_s_median_call:.0f} s / "
                    f"{plan.processing_s_p95_call:.0f} s ({r.durations.quantile(0.5):.0f} s / "
                    f"{r.durations.quantile(0.95):.0f} s of audio)")
    summary.add_row("SLA reachable", "[green]yes[/]" if plan.sla_reachable else
                    "[red]no[/]: a p95 call alone takes longer than the SLA (chunk long calls across replicas)")
    if plan.suggested_target_drain_s is not None:
        summary.add_row("PARLEY_AUTOSCALER__TARGET_DRAIN_S at most", f"{plan.suggested_target_drain_s:.0f}")
    console.print(summary)
    apis = Table(title="Managed APIs, list prices (benchmarks/prices.py)")
    for col in ("API", "base $/audio h", "with diarization + PII + sentiment + entities",
                "Parley / API (feature set)"):
        apis.add_column(col, overflow="fold")
    ours = plan.usd_per_audio_hour
    for a in plan.apis:
        unknown = f" (+ {', '.join(a.unknown_features)}: unknown)" if a.unknown_features else ""
        ratio = f"{ours / a.feature_set_usd_per_audio_hour:.2f}x" if ours is not None else "–"
        apis.add_row(f"{a.provider} {a.product}", f"${a.base_usd_per_audio_hour:.3f}",
                     f"${a.feature_set_usd_per_audio_hour:.3f}{unknown}", ratio)
    console.print(apis)
    console.print("[bold]Sources[/]")
    for s in plan.stages:
        console.print(f"  {s.stage}: {s.source}", highlight=False)
    console.print(f"  price: {plan.hardware.source_url} ({plan.hardware.note})", highlight=False)


def print_simulation(result: SimResult, plan: Plan, console: Console, *, drain_s: float) -> None:
    from rich.table import Table

    table = Table(title=f"One simulated day against the backlog policy (drain target {drain_s:.0f} s)",
                  show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("calls (finished)", f"{result.calls} ({result.finished})")
    table.add_row("SLA misses", f"{result.sla_misses} ({result.sla_miss_rate:.1%})")
    table.add_row("latency p50 / p95 / max", f"{result.latency_p50_s / 60:.1f} / {result.latency_p95_s / 60:.1f} / "
                  f"{result.latency_max_s / 60:.1f} min")
    table.add_row("queue peak (audio not finished)", f"{result.queue_peak_audio_s / 3600:.2f} audio h")
    table.add_row("peak replicas", ", ".join(f"{s} {n}" for s, n in result.peak_replicas.items()))
    table.add_row(f"{plan.unit}-hours", f"{result.unit_hours:.1f} (plan: {plan.unit_hours_per_day:.1f})")
    table.add_row("cost of the day", _money(result.unit_hours * plan.hardware.usd_per_hour))
    console.print(table)
