"""`parley bench`: run a suite on Parley and the naive baseline, score, price, and write JSON + Markdown + PNGs.

    python -m benchmarks.harness [--suite quick|standard|full] [--gpu] [--data DIR] [--out DIR]

Systems run one after the other, each in its own subprocess (benchmarks/worker.py), never two heavy processes at
once. Outputs: OUT/<date>-<machine>-<suite>.json, .md, and a folder of PNG plots next to them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.calls import BenchCall
from benchmarks.outputs import SystemRun, merge_repeats, read_run, write_run

SCHEMA = "parley-bench/1"
DEFAULT_REPEATS = {"quick": 1, "standard": 2, "full": 1}
"""Timing repeats per suite (stage time = minimum over repeats): the shared CI box is noisy."""
WORKER_TIMEOUT_S = 6 * 3600
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


# ----------------------------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _gpu_name() -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=20, check=True)
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info(gpu: bool) -> dict[str, Any]:
    cpus = os.cpu_count() or 0
    gpu_name = _gpu_name() if gpu else None
    tag = ("gpu-" + "".join(ch for ch in (gpu_name or "unknown").lower().split()[-1] if ch.isalnum())) if gpu else f"cpu{cpus}"
    return {
        "name": f"{tag}-{platform.machine()}",
        "cpus": cpus,
        "cpu_model": _cpu_model(),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "gpu": gpu_name,
        "load_start": round(os.getloadavg()[0], 2),
    }


# ----------------------------------------------------------------------------------------------- running


def run_system(system: str, calls: list[BenchCall], workdir: Path, *, gpu: bool, threads: int,
               timeout_s: float = WORKER_TIMEOUT_S, tag: str = "") -> SystemRun:
    plan = workdir / f"{system}{tag}.plan.json"
    out = workdir / f"{system}{tag}.run.json"
    plan.write_text(json.dumps([c.to_dict() for c in calls], indent=1), encoding="utf-8")
    env = {**os.environ, **{k: str(threads) for k in THREAD_ENV}, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "benchmarks.worker", "--system", system, "--plan", str(plan), "--out", str(out),
           "--threads", str(threads)] + (["--gpu"] if gpu else [])
    log = workdir / f"{system}{tag}.log"
    print(f"[bench] {system}{tag}: {len(calls)} calls ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with log.open("w") as handle:
        proc = subprocess.run(cmd, cwd=Path(__file__).resolve().parent.parent, env=env, stdout=handle,
                              stderr=subprocess.STDOUT, timeout=timeout_s, check=False)
    print(f"[bench] {system}{tag}: done in {time.perf_counter() - started:.0f} s (exit {proc.returncode})",
          file=sys.stderr, flush=True)
    if not out.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"worker for {system} wrote no results (exit {proc.returncode}):\n{tail}")
    return read_run(out)


# ----------------------------------------------------------------------------------------------- results


def build_results(
    *, suite: Any, runs: dict[str, SystemRun], machine: dict[str, Any], gpu: bool, utilisation: float,
    elapsed_s: float,
) -> dict[str, Any]:
    from benchmarks.aggregate import compare, summarise
    from benchmarks.cost import CPU_2VCPU, GPU_H100, break_even_utilisation, cost_curve, cost_per_audio_hour
    from benchmarks.prices import RETRIEVED, price_rows
    from benchmarks.score import COLLARS, load_references, score_call

    refs = {c.uri: load_references(c) for c in suite.calls}
    by_uri = {c.uri: c for c in suite.calls}
    scores = {
        name: [score_call(name, by_uri[o.uri], o, refs[o.uri]) for o in run.calls if o.uri in by_uri]
        for name, run in runs.items()
    }
    summaries = {name: summarise(runs[name], scores[name]) for name in runs}
    hardware = GPU_H100 if gpu else CPU_2VCPU
    prices = price_rows()

    cost: dict[str, dict[str, Any]] = {}
    break_even: dict[str, list[dict[str, Any]]] = {}
    for name, summary in summaries.items():
        tp, tp_ext = summary.speed.throughput_audio_h_per_h, summary.speed.throughput_with_extraction
        if not tp:
            continue
        cost[name] = {
            "throughput": tp,
            "throughput_with_extraction": tp_ext,
            "usd_per_audio_hour": round(cost_per_audio_hour(hardware.usd_per_hour, tp, utilisation), 5),
            "usd_per_audio_hour_with_extraction": round(cost_per_audio_hour(hardware.usd_per_hour, tp_ext, utilisation), 5)
            if tp_ext else None,
            "curve": [[u, round(c, 5)] for u, c in cost_curve(hardware.usd_per_hour, tp)],
            "curve_with_extraction": [[u, round(c, 5)] for u, c in cost_curve(hardware.usd_per_hour, tp_ext)] if tp_ext else [],
        }
        for p in prices:
            label = f"{p.provider} {p.product}"
            for with_ext, t in ((False, tp), (True, tp_ext)):
                if t:
                    u = break_even_utilisation(hardware.usd_per_hour, t, p.feature_set_usd_per_hour)
                    break_even.setdefault(label, []).append(
                        {"system": name, "with_extraction": with_ext, "utilisation": None if u is None else round(u, 4)})

    comparison = compare(scores["parley"], scores["naive-baseline"]) if {"parley", "naive-baseline"} <= runs.keys() else {}
    machine = {**machine, "load_end": round(os.getloadavg()[0], 2)}
    now = datetime.now(timezone.utc)
    return {
        "schema": SCHEMA,
        "created": now.isoformat(timespec="seconds"),
        "date": now.date().isoformat(),
        "suite": suite.name,
        "gpu": gpu,
        "machine": machine,
        "hardware": asdict(hardware),
        "utilisation": utilisation,
        "collar_s": COLLARS[0],
        "elapsed_s": round(elapsed_s, 1),
        "calls": [c.to_dict() for c in suite.calls],
        "systems": {name: asdict(s) for name, s in summaries.items()},
        "runs": {name: {"models": r.models, "settings": r.settings, "error": r.error, "repeats": r.repeats,
                        "load_average": list(r.load_average)} for name, r in runs.items()},
        "scores": [asdict(s) for group in scores.values() for s in group],
        "comparison": comparison,
        "cost": cost,
        "break_even": break_even,
        "prices": [asdict(p) for p in prices],
        "prices_retrieved": RETRIEVED,
        "notes": list(suite.notes),
    }


def result_stem(results: dict[str, Any]) -> str:
    return f"{results['date']}-{results['machine']['name']}-{results['suite']}"


def write_outputs(results: dict[str, Any], out_dir: Path, raw_runs: dict[str, Path] | None = None) -> Path:
    """RESULTS.json, the Markdown report, the PNG plots and (if given) the systems' raw outputs, for audit."""
    from benchmarks.plots import draw_all
    from benchmarks.report import write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = result_stem(results)
    (out_dir / f"{stem}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    for system, path in (raw_runs or {}).items():
        raw = out_dir / f"{stem}-raw"
        raw.mkdir(exist_ok=True)
        shutil.copyfile(path, raw / f"{system}.json")
    plots = draw_all(results, out_dir / f"{stem}-plots")
    return write_report(results, out_dir / f"{stem}.md", plots)


def default_cache_dir() -> Path:
    from services.settings import Settings

    return Settings().models.data_dir / "bench" / "corpus"


def run_bench(
    suite: str = "quick",
    gpu: bool = False,
    out_dir: Path = Path("benchmarks/results"),
    data_dir: Path | None = None,
    *,
    utilisation: float | None = None,
    threads: int | None = None,
    cache_dir: Path | None = None,
    repeats: int | None = None,
) -> Path:
    """Run `suite` on Parley and the naive baseline; returns the Markdown report (JSON and PNGs beside it)."""
    from benchmarks.cost import DEFAULT_UTILISATION
    from benchmarks.suites import build_suite

    started = time.perf_counter()
    machine = machine_info(gpu)
    plan = build_suite(suite, cache_dir=cache_dir or default_cache_dir(), data_dir=data_dir)
    repeats = repeats or DEFAULT_REPEATS.get(suite, 1)
    attempts: dict[str, list[SystemRun]] = {s: [] for s in plan.systems}
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        # Systems alternate (P, B, P, B, ...) so that load from other processes hits both alike; repeats after the
        # first skip the LLM (its time is taken from the first) and only sharpen the stage timings.
        for r in range(repeats):
            for system in plan.systems:
                calls = plan.calls_for(system) if r == 0 else [replace(c, extract_lead=False) for c in plan.calls_for(system)]
                attempts[system].append(run_system(system, calls, Path(tmp), gpu=gpu, threads=threads or (4 if gpu else 1),
                                                   tag=f".{r}" if repeats > 1 else ""))
        runs = {system: merge_repeats(a) for system, a in attempts.items()}
        raw = {}
        for system, run in runs.items():
            raw[system] = Path(tmp) / f"{system}.merged.json"
            write_run(run, raw[system])
        results = build_results(suite=plan, runs=runs, machine=machine, gpu=gpu,
                                utilisation=utilisation or DEFAULT_UTILISATION, elapsed_s=time.perf_counter() - started)
        report = write_outputs(results, Path(out_dir), raw_runs=raw)
    print(f"[bench] report: {report}", file=sys.stderr)
    return report


def rescore(results_file: Path) -> Path:
    """Score the raw outputs kept next to an earlier results JSON again (after a metric fix), without models."""
    from benchmarks.suites import Suite

    old = json.loads(results_file.read_text(encoding="utf-8"))
    raw_dir = results_file.parent / f"{result_stem(old)}-raw"
    runs = {p.stem: read_run(p) for p in sorted(raw_dir.glob("*.json"))}
    suite = Suite(old["suite"], tuple(BenchCall.from_dict(c) for c in old["calls"]), tuple(old.get("notes", ())))
    machine = {k: v for k, v in old["machine"].items() if k != "load_end"}
    results = build_results(suite=suite, runs=runs, machine=machine, gpu=old["gpu"], utilisation=old["utilisation"],
                            elapsed_s=old.get("elapsed_s", 0.0))
    results.update(date=old["date"], created=old["created"], machine=old["machine"])
    return write_outputs(results, results_file.parent)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.suites import SUITES

    p = argparse.ArgumentParser(prog="python -m benchmarks.harness", description=__doc__.split("\n")[0])
    p.add_argument("--suite", choices=SUITES, default="quick")
    p.add_argument("--gpu", action="store_true", help="gpu profile (CUDA, float16; LLM via an OpenAI-compatible server)")
    p.add_argument("--data", type=Path, default=None, help="operator folder: audio + STEM.rttm/.stm/.truth.json/.txt")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    p.add_argument("--utilisation", type=float, default=None, help="fraction of paid hours busy (default 0.5)")
    p.add_argument("--threads", type=int, default=None, help="threads per library (default 1 on CPU, 4 on GPU)")
    p.add_argument("--repeats", type=int, default=None, help="timing repeats, systems alternating (default: per suite)")
    p.add_argument("--rerender", type=Path, default=None, metavar="RESULTS.json",
                   help="only re-render the Markdown + plots of an existing results JSON")
    p.add_argument("--rescore", type=Path, default=None, metavar="RESULTS.json",
                   help="re-score the raw outputs kept beside RESULTS.json (no models run)")
    args = p.parse_args(argv)
    if args.rescore:
        print(rescore(args.rescore))
        return 0
    if args.rerender:
        results = json.loads(args.rerender.read_text(encoding="utf-8"))
        print(write_outputs(results, args.rerender.parent))
        return 0
    print(run_bench(args.suite, args.gpu, args.out, args.data, utilisation=args.utilisation, threads=args.threads,
                    repeats=args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
