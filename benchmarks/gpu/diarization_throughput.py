"""Diarization throughput of Parley's pyannote pipeline (segmentation-3.0 + CAM++ + agglomerative clustering,
built by `services.pipeline.diarize.load_diarizer`, exactly as the pipeline and the Serve deployment build it)
at several batch sizes, on CUDA or CPU.

UNVERIFIED ON GPU: written and tested on a 2-core CPU box (`--device cpu`); no CUDA figure has been measured
yet. Until one is committed, `parley plan` uses the published pyannote figure (services/autoscaler/throughput.py,
`published_gpu()["diarization"]`); README.md here says how a measured figure replaces it.

    python -m benchmarks.gpu.diarization_throughput --device cuda --out OUT
    python -m benchmarks.gpu.diarization_throughput --device cpu --batch-sizes 16 --audio-s 30 --repeats 1 --out OUT

Per batch size (`diarization.segmentation_batch_size` = `embedding_batch_size` = B) it loads the pipeline, runs
one warm-up call on the first `--warmup-s` seconds (not counted), then `--repeats` timed calls on `--audio-s`
seconds of real speech: the four fixture calls (tests/fixtures/calls/*.flac, 16 kHz as Parley decodes them)
concatenated and looped. It reports seconds of compute per audio second (RTF, the median over repeats), audio
hours per device hour, the time of each pipeline step (from pyannote's hook), peak GPU memory
(torch.cuda.max_memory_allocated), and writes OUT/diarization_throughput.{json,md}.

Inputs: inside the tarball built by `python -m benchmarks.gpu.pack`, the audio is pre-decoded WAV and the
weights are files next to this script (benchmarks/gpu/data/); in a checkout, the fixtures are decoded with
Parley's decoder and the weights resolved from the model manifest. Nothing is downloaded.

Note: CAM++ (models/speaker_embedding.py) embeds one chunk at a time (each chunk keeps only its active frames,
so lengths differ): the embedding batch size changes how pyannote groups chunks, not the network's batch.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"  # present in the tarball only
PACKED_AUDIO = DATA / "audio"
PACKED_SEGMENTATION = DATA / "weights" / "segmentation-3.0"  # folder with pytorch_model.bin
PACKED_EMBEDDING = DATA / "weights" / "campplus_cn_en_common.pt"
FIXTURES = ROOT / "tests" / "fixtures" / "calls"
SAMPLE_RATE = 16_000
DEFAULT_BATCH_SIZES = (1, 8, 16, 32, 64)
STEPS = ("segmentation", "speaker_counting", "embeddings", "discrete_diarization")


@dataclass
class Run:
    batch_size: int
    load_s: float
    warmup_s: float
    times_s: list[float]
    step_s: dict[str, float]
    """Median seconds per pipeline step (pyannote's hook): segmentation, speaker_counting, embeddings,
    clustering (+ reconstruction), finish."""
    speakers: int
    model_mib: float | None
    peak_mib: float | None
    peak_reserved_mib: float | None
    audio_s: float = 0.0
    rtf: float = 0.0
    audio_hours_per_device_hour: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------- audio


def read_wav(path: Path) -> Any:
    """16-bit mono 16 kHz WAV -> float32 numpy (stdlib `wave`: no decoder needed on the GPU machine)."""
    import numpy as np

    with wave.open(str(path), "rb") as handle:
        if (handle.getnchannels(), handle.getsampwidth(), handle.getframerate()) != (1, 2, SAMPLE_RATE):
            raise ValueError(f"{path}: expected mono 16-bit {SAMPLE_RATE} Hz WAV")
        data = handle.readframes(handle.getnframes())
    return np.frombuffer(data, dtype="<i2").astype("float32") / 32768.0


def load_calls(audio_dir: Path | None) -> list[tuple[str, Any]]:
    """(name, 16 kHz float32 mono) per call: packed WAVs if there are any, else the fixtures decoded by Parley."""
    folder = audio_dir or PACKED_AUDIO
    wavs = sorted(folder.glob("*.wav")) if folder.is_dir() else []
    if wavs:
        return [(p.stem, read_wav(p)) for p in wavs]
    if audio_dir is not None:
        raise SystemExit(f"no *.wav in {audio_dir}")
    from services.pipeline.decode import decode_audio
    from services.settings import LimitsSettings

    flacs = sorted(FIXTURES.glob("*.flac"))
    if not flacs:
        raise SystemExit(f"no packed audio in {PACKED_AUDIO} and no fixtures in {FIXTURES}")
    return [(p.stem, decode_audio(p, LimitsSettings()).mono) for p in flacs]


def looped(calls: list[tuple[str, Any]], seconds: float) -> Any:
    """The calls back to back, repeated until `seconds` long (then cut)."""
    import numpy as np

    joined = np.concatenate([samples for _, samples in calls])
    need = int(seconds * SAMPLE_RATE)
    reps = -(-need // len(joined))
    return np.ascontiguousarray(np.tile(joined, reps)[:need])


def decoded(samples: Any) -> Any:
    from services.pipeline.types import AudioInfo, DecodedAudio

    duration = len(samples) / SAMPLE_RATE
    info = AudioInfo(duration_s=round(duration, 3), sample_rate=SAMPLE_RATE, channels=1)
    return DecodedAudio(mono=samples, channels=(samples,), info=info)


# ----------------------------------------------------------------------------------------------- measure


def model_names(args: argparse.Namespace) -> dict[str, str]:
    """Weights: --segmentation / --embedding, else the packed files, else the manifest names (a checkout)."""
    seg = args.segmentation or (str(PACKED_SEGMENTATION) if PACKED_SEGMENTATION.is_dir() else None)
    emb = args.embedding or (str(PACKED_EMBEDDING) if PACKED_EMBEDDING.is_file() else None)
    names: dict[str, str] = {}
    if seg:
        names["segmentation"] = str(Path(seg).resolve())  # absolute: resolve_model takes it as a path
    if emb:
        names["speaker_embedding"] = str(Path(emb).resolve())
    return names


def settings_for(args: argparse.Namespace, batch_size: int) -> Any:
    from services.settings import Settings

    return Settings.model_validate({
        "profile": "gpu" if args.device == "cuda" else "cpu",
        "models": model_names(args),
        "diarization": {"device": args.device, "segmentation_batch_size": batch_size,
                        "embedding_batch_size": batch_size, "torch_threads": args.torch_threads},
    })


class StepClock:
    """pyannote hook: the time each step finished (its last call without progress counters)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.done: dict[str, float] = {}

    def __call__(self, step: str, artefact: Any = None, *, file: Any = None, total: int | None = None,
                 completed: int | None = None) -> None:
        if total is None and completed is None:
            self.done[step] = time.perf_counter()

    def durations(self, end: float) -> dict[str, float]:
        """Seconds per step; pyannote's step names, with 'discrete_diarization' (clustering + reconstruction)
        reported as 'clustering' and whatever follows it (annotation, relabelling) as 'finish'."""
        marks = [("start", self.start)] + [(s, self.done[s]) for s in STEPS if s in self.done] + [("finish", end)]
        out = {name: round(t - marks[i][1], 4) for i, (name, t) in enumerate(marks[1:])}
        return {("clustering" if k == "discrete_diarization" else k): v for k, v in out.items()}


def measure(args: argparse.Namespace, batch_size: int, audio: Any, warmup: Any) -> Run:
    import functools

    import torch

    from services.pipeline.diarize import load_diarizer

    cuda = args.device == "cuda"

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    diarizer = load_diarizer(settings_for(args, batch_size))
    sync()
    load_s = time.perf_counter() - started
    model_mib = torch.cuda.memory_allocated() / 2**20 if cuda else None

    started = time.perf_counter()
    diarizer.diarize(warmup)
    sync()
    warmup_s = time.perf_counter() - started

    pipeline = diarizer.pipeline
    apply = type(pipeline).apply
    times, steps, speakers = [], [], 0
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    for _ in range(args.repeats):
        clock = StepClock()
        pipeline.apply = functools.partial(apply, pipeline, hook=clock)  # Diarizer.diarize -> pipeline(file)
        clock.start = time.perf_counter()
        result = diarizer.diarize(audio)
        sync()
        end = time.perf_counter()
        times.append(end - clock.start)
        steps.append(clock.durations(end))
        speakers = len(result.speakers)
    del pipeline.apply
    step_s = {k: round(statistics.median(s[k] for s in steps), 4) for k in steps[0]}
    run = Run(batch_size=batch_size, load_s=round(load_s, 3), warmup_s=round(warmup_s, 3),
              times_s=[round(t, 4) for t in times], step_s=step_s, speakers=speakers,
              model_mib=round(model_mib, 1) if model_mib is not None else None,
              peak_mib=round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
              peak_reserved_mib=round(torch.cuda.max_memory_reserved() / 2**20, 1) if cuda else None)
    del diarizer
    return run


def environment(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    env: dict[str, Any] = {
        "python": platform.python_version(), "machine": platform.machine(), "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(), "device": args.device,
    }
    from importlib.metadata import PackageNotFoundError, version

    try:
        env["pyannote.audio"] = version("pyannote.audio")
    except PackageNotFoundError:
        env["pyannote.audio"] = "?"
    if args.device == "cuda":
        props = torch.cuda.get_device_properties(0)
        env |= {"gpu": torch.cuda.get_device_name(0), "gpu_memory_mib": round(props.total_memory / 2**20),
                "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}
    pack_info = DATA / "PACK_INFO.json"
    if pack_info.is_file():
        info = json.loads(pack_info.read_text())
        env["pack"] = {k: info.get(k) for k in ("built", "commit", "dirty", "wheels")}
    return env


# ------------------------------------------------------------------------------------------------ report


def markdown(report: dict[str, Any]) -> str:
    env, unit = report["environment"], "GPU" if report["environment"]["device"] == "cuda" else "device"
    lines = [
        "# Diarization throughput (pyannote segmentation-3.0 + CAM++, Parley's load_diarizer)",
        "",
        (f"Device: {env.get('gpu', env['machine'] + ' CPU')}; torch {env['torch']}"
        f"{', CUDA ' + str(env['cuda']) if env.get('cuda') else ''}; pyannote.audio {env.get('pyannote.audio', '?')}; "
        f"torch threads {env['torch_threads']}."),
        (f"Audio: {report['audio_s']:.0f} s of the fixture calls ({', '.join(report['calls'])}) looped; "
        f"warm-up {report['warmup_s']:.0f} s excluded; median of {report['repeats']} timed run(s) per batch size."),
        "",
        (f"| batch size | RTF (s per audio s) | audio h per {unit} h | segmentation s | embeddings s | "
        "clustering s | speakers | model MiB | peak MiB | load s |"),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["runs"]:
        step = r["step_s"]
        mib = (lambda v: "-" if v is None else f"{v:.0f}")
        lines.append(
            f"| {r['batch_size']} | {r['rtf']:.4f} | {r['audio_hours_per_device_hour']:.1f} | "
            f"{step.get('segmentation', 0):.2f} | {step.get('embeddings', 0):.2f} | {step.get('clustering', 0):.2f} | "
            f"{r['speakers']} | {mib(r['model_mib'])} | {mib(r['peak_mib'])} | {r['load_s']:.1f} |")
    best = report["best"]
    lines += [
        "",
        (f"Best: batch size {best['batch_size']}, RTF {best['rtf']:.4f} = {best['audio_hours_per_device_hour']:.1f} "
        f"audio hours per {unit} hour (one stream on the whole {unit})."),
        "",
        ("Steps (pyannote's hook): segmentation = sliding-window segmentation-3.0; embeddings = CAM++ per (chunk, "
        "local speaker); clustering = agglomerative clustering + reconstruction; speaker counting and the final "
        "annotation are in the JSON."),
    ]
    if env["device"] == "cuda":
        lines += ["", "Feeding `parley plan`: see benchmarks/gpu/README.md (compute_s_per_audio_s = the RTF above)."]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu.diarization_throughput",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--out", type=Path, required=True, help="folder for diarization_throughput.{json,md}")
    parser.add_argument("--batch-sizes", default=",".join(map(str, DEFAULT_BATCH_SIZES)),
                        help="comma-separated segmentation/embedding batch sizes")
    parser.add_argument("--audio-s", type=float, default=600.0, help="timed audio per run (calls looped)")
    parser.add_argument("--warmup-s", type=float, default=30.0, help="warm-up audio per batch size (excluded)")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per batch size (median reported)")
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="torch intra-op threads (Parley's default diarization.torch_threads is 1)")
    parser.add_argument("--audio-dir", type=Path, default=None, help="16 kHz mono 16-bit WAVs to use instead")
    parser.add_argument("--segmentation", default=None, help="segmentation-3.0 folder (pytorch_model.bin)")
    parser.add_argument("--embedding", default=None, help="CAM++ checkpoint (campplus_cn_en_common.pt)")
    args = parser.parse_args(argv)
    args.batch_sizes = [int(b) for b in str(args.batch_sizes).split(",") if b.strip()]
    if args.repeats < 1 or not args.batch_sizes or min(args.batch_sizes) < 1:
        parser.error("--repeats and every batch size must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from models.offline import enforce_offline

    enforce_offline()  # before torch / pyannote are imported: no telemetry, no hub
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available to torch", torch.__version__, file=sys.stderr)
        return 2
    calls = load_calls(args.audio_dir)
    audio = decoded(looped(calls, args.audio_s))
    warmup = decoded(looped(calls, min(args.warmup_s, args.audio_s)))
    runs = []
    for batch_size in args.batch_sizes:
        run = measure(args, batch_size, audio, warmup)
        run.audio_s = audio.duration_s
        run.rtf = round(statistics.median(run.times_s) / audio.duration_s, 5)
        run.audio_hours_per_device_hour = round(1.0 / run.rtf, 2)
        runs.append(run)
        print(f"batch {batch_size:>3}: RTF {run.rtf:.4f} ({run.audio_hours_per_device_hour:.1f} audio h per h), "
              f"steps {run.step_s}, peak {run.peak_mib} MiB, {run.speakers} speakers", flush=True)
    best = min(runs, key=lambda r: r.rtf)
    report = {
        "what": "diarization throughput, Parley load_diarizer (pyannote segmentation-3.0 + CAM++)",
        "verified_on_gpu": args.device == "cuda",
        "environment": environment(args),
        "calls": [name for name, _ in calls],
        "audio_s": audio.duration_s, "warmup_s": warmup.duration_s, "repeats": args.repeats,
        "runs": [asdict(r) for r in runs],
        "best": {"batch_size": best.batch_size, "rtf": best.rtf,
                 "audio_hours_per_device_hour": best.audio_hours_per_device_hour},
        # services/autoscaler/throughput.py: Figure.compute_s_per_audio_s is this RTF (one replica, whole GPU).
        "compute_s_per_audio_s": best.rtf,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "diarization_throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "diarization_throughput.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
