"""Calls per hour at 1, 4 and 8 concurrent calls, side by side in one run on one machine:

    naive       the naive script (benchmarks/baseline.py: faster-whisper defaults + pyannote recipe), one process
                per concurrent call, each with its own models (what people run first)
    inprocess   today's Parley worker: one process per concurrent call, each with its own models (run_call)
    serve-off   Parley through Ray Serve, cross-call ASR batching OFF (one <= 30 s chunk per CTranslate2 call)
    serve-on    Parley through Ray Serve, cross-call ASR batching ON (chunks of several calls per batch)

    python -m benchmarks.serving_bench [--systems naive,inprocess,serve-off,serve-on] [--concurrency 1,4,8]
        [--calls 8] [--extract] [--out benchmarks/results/<date>-cpu2-serving.json]

The workload is the same list of real calls for every system and level (the fixture calls, repeated to
--calls). Models load before the clock starts (a barrier releases the processes; Serve is warmed with one
call); the clock stops when the last call is done. Each system also reports WER against the fixtures' STM
references, so a faster path that transcribes worse shows it. Thread counts: 1 per model everywhere
(benchmarks/run_parley.py: 2 shared cores, FACTS.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "calls"
CALL_NAMES = ("demo_call", "hot_northwind", "warm_redwood", "cold_summit")
SYSTEMS = ("naive", "inprocess", "serve-off", "serve-on")


@dataclass
class CallTiming:
    name: str
    audio_s: float
    seconds: float
    words: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class LevelResult:
    system: str
    concurrency: int
    calls: int
    audio_s: float
    wall_s: float
    load_s: float
    failed: int
    latency_p50_s: float
    latency_max_s: float
    wer: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def audio_h_per_h(self) -> float:
        return self.audio_s / self.wall_s if self.wall_s else 0.0

    @property
    def calls_per_h(self) -> float:
        return self.calls * 3600 / self.wall_s if self.wall_s else 0.0


def workload(n: int) -> list[str]:
    return [CALL_NAMES[i % len(CALL_NAMES)] for i in range(n)]


def reference(name: str) -> str:
    from benchmarks.metrics import read_stm

    return " ".join(text for _, _, _, text in read_stm(FIXTURES / f"{name}.stm"))


def pooled_wer(timings: list[CallTiming]) -> float:
    from benchmarks.metrics import word_errors

    errors = refs = 0
    for t in timings:
        if t.error:
            continue
        counts = word_errors(reference(t.name), " ".join(t.words))
        errors += counts.errors
        refs += counts.reference_words
    return errors / refs if refs else float("nan")


# ----------------------------------------------------------------------------------- process-per-call systems


def _process_main(system: str, extract: bool, ready: Any, go: Any, jobs: Any, done: Any) -> None:
    from benchmarks.run_parley import bench_settings

    settings = bench_settings(threads=1)
    started = time.perf_counter()
    if system == "naive":
        from benchmarks.baseline import load_naive, run_naive

        models = load_naive(settings, threads=1)

        def one(path: Path, name: str) -> list[str]:
            return [w.text for w in run_naive(models, path, name).words]
    else:
        from benchmarks.run_parley import preload, run_parley_call
        from services.pipeline.run import ModelManager

        manager = ModelManager(settings)
        preload(manager, extraction=extract)

        def one(path: Path, name: str) -> list[str]:
            return [w.text for w in run_parley_call(manager, settings, path, name, stereo=False,
                                                     extract_lead=extract).words]
    ready.put(time.perf_counter() - started)
    go.wait()
    while True:
        try:
            name = jobs.get_nowait()
        except queue.Empty:
            return
        t0 = time.perf_counter()
        try:
            words = one(FIXTURES / f"{name}.flac", name)
            done.put(asdict(CallTiming(name=name, audio_s=0.0, seconds=time.perf_counter() - t0, words=words)))
        except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
            done.put(asdict(CallTiming(name=name, audio_s=0.0, seconds=time.perf_counter() - t0,
                                       error=f"{type(exc).__name__}: {exc}")))


def run_processes(system: str, concurrency: int, names: list[str], *, extract: bool) -> LevelResult:
    ctx = mp.get_context("spawn")
    ready, jobs, done = ctx.Queue(), ctx.Queue(), ctx.Queue()
    go = ctx.Event()
    for name in names:
        jobs.put(name)
    procs = [ctx.Process(target=_process_main, args=(system, extract, ready, go, jobs, done), daemon=True)
             for _ in range(concurrency)]
    for p in procs:
        p.start()
    load = [ready.get(timeout=1800) for _ in procs]
    started = time.perf_counter()
    go.set()
    timings = [CallTiming(**done.get(timeout=7200)) for _ in names]
    wall = time.perf_counter() - started
    for p in procs:
        p.join(timeout=60)
    return _level(system, concurrency, timings, wall, max(load))


# ------------------------------------------------------------------------------------------- Serve systems


def run_serve(batching: bool, levels: list[int], names: list[str], *, extract: bool,
              diarization_replicas: int = 1) -> list[LevelResult]:
    import ray
    from ray import serve

    from benchmarks.run_parley import bench_settings
    from services.pipeline.options import CallOptions
    from services.serving.runtime import connect, deploy, local_cpus

    settings = bench_settings(threads=1)
    settings = settings.model_copy(update={"serving": settings.serving.model_copy(update={
        "asr_batching": batching, "pipeline_max_ongoing": max(levels) + 1,
        "diarization_replicas": diarization_replicas})})
    started = time.perf_counter()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a private local runtime
    connect(settings.model_copy(update={"serving": settings.serving.model_copy(
        update={"local_num_cpus": local_cpus(settings)})}))
    deploy(settings)
    handle = serve.get_app_handle(settings.serving.app_name).options(stream=True)
    options = CallOptions(extract_lead=extract)

    def one(name: str) -> CallTiming:
        path = FIXTURES / f"{name}.flac"
        t0 = time.perf_counter()
        try:
            events = list(handle.run.remote(path.read_bytes(), path.suffix, options))
            last = events[-1]
            if last[0] != "result":
                raise RuntimeError(str(last))
            return CallTiming(name=name, audio_s=0.0, seconds=time.perf_counter() - t0,
                              words=[w["text"] for w in last[1]["words"]])
        except Exception as exc:  # noqa: BLE001
            return CallTiming(name=name, audio_s=0.0, seconds=time.perf_counter() - t0,
                              error=f"{type(exc).__name__}: {exc}")

    one(CALL_NAMES[1])  # warm-up: first-request costs (imports, VAD session) stay out of the clock
    load = time.perf_counter() - started
    asr = serve.get_deployment_handle("AsrDeployment", settings.serving.app_name)
    results = []
    for level in levels:
        before = asr.stats.remote().result()
        pending: queue.Queue[str] = queue.Queue()
        for name in names:
            pending.put(name)
        timings: list[CallTiming] = []
        lock = threading.Lock()

        def client() -> None:
            while True:
                try:
                    name = pending.get_nowait()
                except queue.Empty:
                    return
                t = one(name)
                with lock:
                    timings.append(t)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(level)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        after = asr.stats.remote().result()
        batches = after["batches"] - before["batches"]
        chunks = after["chunks"] - before["chunks"]
        result = _level("serve-on" if batching else "serve-off", level, timings, wall, load)
        result.extra = {"diarization_replicas": diarization_replicas, "asr_batches": batches, "asr_chunks": chunks,
                        "chunks_per_batch": round(chunks / batches, 2) if batches else 0.0}
        results.append(result)
    serve.shutdown()
    ray.shutdown()
    return results


# ------------------------------------------------------------------------------------------------- report


def _level(system: str, concurrency: int, timings: list[CallTiming], wall: float, load: float) -> LevelResult:
    from services.audioprobe import probe_duration

    durations = {n: probe_duration(FIXTURES / f"{n}.flac") for n in CALL_NAMES}
    for t in timings:
        t.audio_s = durations[t.name]
    ok = [t for t in timings if not t.error]
    latencies = [t.seconds for t in ok] or [0.0]
    return LevelResult(system=system, concurrency=concurrency, calls=len(ok), audio_s=sum(t.audio_s for t in ok),
                       wall_s=round(wall, 2), load_s=round(load, 1), failed=len(timings) - len(ok),
                       latency_p50_s=round(statistics.median(latencies), 1), latency_max_s=round(max(latencies), 1),
                       wer=round(pooled_wer(timings), 4))


def markdown(results: list[LevelResult], meta: dict[str, Any]) -> str:
    naive = {r.concurrency: r for r in results if r.system == "naive"}
    inproc = {r.concurrency: r for r in results if r.system == "inprocess"}
    off = {r.concurrency: r for r in results if r.system == "serve-off"}
    lines = [
        f"# Serving throughput, side by side ({meta['date']}, {meta['machine']['cpus']} cores)",
        "",
        f"Machine: {meta['machine']['cpu_model']}, {meta['machine']['cpus']} cores, no GPU. One run; every system and "
        f"level processed the same {meta['calls']} real calls ({', '.join(CALL_NAMES)} repeated; "
        f"{meta['audio_s']:.0f} s of audio), LLM extraction {'ON' if meta['extract'] else 'off'}. Models loaded "
        "before the clock; 1 thread per model. Command: `" + meta["command"] + "`.",
        "",
        "| system | concurrent calls | audio h / h | calls / h | vs naive | vs in-process | batching on / off "
        "| p50 / max latency (s) | WER | ASR chunks per batch | diarization replicas | failed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        def ratio(base: dict[int, LevelResult]) -> str:
            b = base.get(r.concurrency)
            return f"{r.audio_h_per_h / b.audio_h_per_h:.2f}x" if b and b.audio_h_per_h else "-"

        lines.append(
            f"| {r.system} | {r.concurrency} | {r.audio_h_per_h:.2f} | {r.calls_per_h:.0f} | {ratio(naive)} | "
            f"{ratio(inproc)} | {ratio(off) if r.system == 'serve-on' else '-'} | {r.latency_p50_s} / "
            f"{r.latency_max_s} | {r.wer:.3f} | {r.extra.get('chunks_per_batch', '-')} | "
            f"{r.extra.get('diarization_replicas', '-')} | {r.failed} |")
    lines += [
        "",
        "audio h / h: hours of audio processed per hour of wall time (higher is better). WER is pooled over the "
        "calls against the fixtures' STM references (the naive script has no VAD and no guards; the Serve path "
        "decodes <= 30 s chunks without the previous chunk's text as context). Nothing was tuned on these calls "
        "for this benchmark; the batch size (240 audio s) and wait (0.05 s) are the defaults chosen before it ran.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--concurrency", default="1,4,8")
    ap.add_argument("--calls", type=int, default=8)
    ap.add_argument("--extract", action="store_true", help="with LLM lead extraction")
    ap.add_argument("--diarization-replicas", type=int, default=1,
                    help="Serve systems: diarization replicas (ASR, extraction and pipeline stay at 1)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        ap.error(f"unknown systems: {sorted(unknown)}")
    levels = [int(c) for c in args.concurrency.split(",")]
    names = workload(args.calls)
    results: list[LevelResult] = []
    for system in systems:
        if system.startswith("serve"):
            print(f"[serving-bench] {system}: levels {levels}", flush=True)
            results += run_serve(system == "serve-on", levels, names, extract=args.extract,
                                 diarization_replicas=args.diarization_replicas)
        else:
            for level in levels:
                print(f"[serving-bench] {system} x{level}", flush=True)
                results.append(run_processes(system, level, names, extract=args.extract))
        for r in results[-len(levels):]:
            print(f"  {r.system} x{r.concurrency}: {r.audio_h_per_h:.2f} audio h/h, wall {r.wall_s} s, "
                  f"WER {r.wer:.3f}, failed {r.failed} {r.extra or ''}", flush=True)
    from benchmarks.harness import machine_info

    meta = {"date": time.strftime("%Y-%m-%d"), "machine": machine_info(gpu=False), "calls": len(names),
            "extract": args.extract,
            "audio_s": results[0].audio_s if results else 0.0,
            "command": "python -m benchmarks.serving_bench " + " ".join(argv if argv is not None else
                                                                        __import__("sys").argv[1:])}
    report = markdown(results, meta)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"meta": meta, "results": [
            {**asdict(r), "audio_h_per_h": round(r.audio_h_per_h, 3), "calls_per_h": round(r.calls_per_h, 1)}
            for r in results]}, indent=2))
        args.out.with_suffix(".md").write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
