"""One system over a list of calls, in its own process, so that its peak memory (RSS high-water mark) is its own.

    python -m benchmarks.worker --system parley|naive-baseline --plan PLAN.json --out RUN.json [--gpu] [--threads N]

PLAN.json is a list of BenchCall dicts. Models are loaded (and timed) before the first call, so per-call stage
times exclude loading. A call that fails is recorded with its error and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

from benchmarks.calls import BenchCall
from benchmarks.outputs import CallOutput, SystemRun, write_run

SYSTEMS = ("parley", "naive-baseline")
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def rss_mb() -> float:
    """Current resident set size (Linux /proc), MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024


def _failed(call: BenchCall, exc: BaseException) -> CallOutput:
    return CallOutput(uri=call.uri, duration_s=0.0, error=f"{type(exc).__name__}: {exc}"[:2000])


def run_parley(calls: list[BenchCall], *, gpu: bool, threads: int) -> SystemRun:
    from benchmarks.run_parley import DESCRIPTION, bench_settings, preload, run_parley_call
    from services.pipeline.run import ModelManager

    settings = bench_settings(gpu=gpu, threads=threads)
    started = time.perf_counter()
    models = ModelManager(settings)
    preload(models, extraction=any(c.extract_lead for c in calls))
    load_s = time.perf_counter() - started
    rss_loaded = rss_mb()
    outputs = []
    for call in calls:
        try:
            outputs.append(
                run_parley_call(models, settings, call.audio, call.uri, stereo=call.stereo, extract_lead=call.extract_lead)
            )
        except Exception as exc:  # noqa: BLE001 -- recorded, the suite goes on
            traceback.print_exc()
            outputs.append(_failed(call, exc))
    used = ("asr", "segmentation", "speaker_embedding", "ner") + (("llm",) if any(c.extract_lead for c in calls) else ())
    return SystemRun(
        system="parley", description=DESCRIPTION, load_s=round(load_s, 2), peak_rss_mb=round(peak_rss_mb(), 1),
        rss_after_load_mb=round(rss_loaded, 1), calls=tuple(outputs), models=models.versions(used),
        settings={"asr": settings.asr.model_dump(), "diarization": settings.diarization.model_dump(),
                  "llm": {k: v for k, v in settings.llm.model_dump().items() if k in ("backend", "n_threads", "n_ctx")}},
    )


def run_baseline(calls: list[BenchCall], *, gpu: bool, threads: int) -> SystemRun:
    from benchmarks.baseline import DESCRIPTION, RECIPE_3_1, load_naive, run_naive
    from benchmarks.run_parley import bench_settings

    settings = bench_settings(gpu=gpu, threads=threads)
    started = time.perf_counter()
    models = load_naive(settings, gpu=gpu, threads=threads)
    load_s = time.perf_counter() - started
    rss_loaded = rss_mb()
    outputs = []
    for call in calls:
        try:
            outputs.append(run_naive(models, call.audio, call.uri))
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            outputs.append(_failed(call, exc))
    return SystemRun(
        system="naive-baseline", description=DESCRIPTION, load_s=round(load_s, 2), peak_rss_mb=round(peak_rss_mb(), 1),
        rss_after_load_mb=round(rss_loaded, 1), calls=tuple(outputs),
        models={settings.models.asr: "same weights as parley", settings.models.segmentation: "same",
                settings.models.speaker_embedding: "same"},
        settings={"whisper": "transcribe() defaults + word_timestamps", "diarization": RECIPE_3_1},
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.worker", description=__doc__.split("\n")[0])
    p.add_argument("--system", required=True, choices=SYSTEMS)
    p.add_argument("--plan", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--gpu", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    for key in THREAD_ENV:
        os.environ.setdefault(key, str(args.threads))
    calls = [BenchCall.from_dict(d) for d in json.loads(args.plan.read_text(encoding="utf-8"))]
    runner = run_parley if args.system == "parley" else run_baseline
    load_start = round(os.getloadavg()[0], 2)
    try:
        run = runner(calls, gpu=args.gpu, threads=args.threads)
    except Exception as exc:  # noqa: BLE001 -- a model that will not load: say so in the results, not a crash
        traceback.print_exc()
        run = SystemRun(system=args.system, description="", load_s=0.0, peak_rss_mb=round(peak_rss_mb(), 1),
                        rss_after_load_mb=0.0, calls=tuple(_failed(c, exc) for c in calls),
                        error=f"{type(exc).__name__}: {exc}"[:2000])
    write_run(replace(run, load_average=(load_start, round(os.getloadavg()[0], 2))), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
