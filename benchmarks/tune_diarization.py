"""Grid over the diarization clustering threshold x segmentation step, DER per recording.

Recordings: pyannote's real two-speaker sample (shipped in the pyannote.audio wheel) plus the synthetic calls of
benchmarks/tts_dialogue.py. For each step the pipeline runs once in full (that run gives the real-time factor);
the other thresholds reuse its segmentation and embeddings (pyannote's training cache), since only clustering
depends on the threshold.

    python -m benchmarks.tune_diarization out/diarization-corpus --thresholds 0.5 0.6 0.65 0.7 --steps 0.1 0.5
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from services.pipeline.diarize import hyper_parameters, load_diarizer, relabel_by_first_appearance
from services.pipeline.types import AudioInfo, DecodedAudio, Diarization
from services.settings import DiarizationSettings, Settings

COLLARS = (0.0, 0.25)


@dataclass(frozen=True)
class Recording:
    name: str
    wav: Path
    rttm: Path


@dataclass(frozen=True)
class Row:
    recording: str
    step: float
    threshold: float
    der: dict[float, float]  # collar -> DER
    speakers: int
    rtf: float


def pyannote_sample() -> Recording:
    import importlib.util

    spec = importlib.util.find_spec("pyannote.audio")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(spec.submodule_search_locations[0]) / "sample"
    return Recording("pyannote-sample", folder / "sample.wav", folder / "sample.rttm")


def load_audio(path: Path) -> DecodedAudio:
    mono, sr = sf.read(path, dtype="float32")
    if sr != 16_000 or mono.ndim != 1:
        raise SystemExit(f"{path}: expected 16 kHz mono (tts_dialogue writes that), got {sr} Hz {mono.shape}")
    info = AudioInfo(duration_s=len(mono) / sr, sample_rate=sr, channels=1)
    return DecodedAudio(mono=mono, channels=(mono,), info=info)


def der(reference_rttm: Path, hypothesis: Diarization, collar: float) -> float:
    """pyannote.metrics DER (skip_overlap=False); `collar` is the total forgiveness window around each boundary."""
    from pyannote.core import Annotation, Segment
    from pyannote.database.util import load_rttm
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference = next(iter(load_rttm(reference_rttm).values()))
    hyp = Annotation()
    for turn in hypothesis.turns:
        hyp[Segment(turn.start, turn.end)] = turn.speaker
    return float(DiarizationErrorRate(collar=collar, skip_overlap=False)(reference, hyp))


def tune(
    recordings: list[Recording], thresholds: list[float], steps: list[float], base: DiarizationSettings
) -> list[Row]:
    import torch

    rows: list[Row] = []
    for step in steps:
        settings = Settings(diarization=base.model_copy(update={"segmentation_step": step}))
        diarizer = load_diarizer(settings)
        pipeline = diarizer.pipeline
        for rec in recordings:
            audio = load_audio(rec.wav)
            file = pipeline.prepare_one(
                {"waveform": torch.from_numpy(audio.mono)[None], "sample_rate": 16_000, "uri": rec.name}
            )
            pipeline.training = True  # cache segmentation + embeddings in `file` for the other thresholds
            started = time.perf_counter()
            pipeline.apply(file)
            rtf = (time.perf_counter() - started) / audio.duration_s
            for threshold in thresholds:
                params = hyper_parameters(settings.diarization.model_copy(update={"threshold": threshold}))
                pipeline.instantiate(params)
                out = pipeline.apply(file).speaker_diarization
                tracks = out.itertracks(yield_label=True)
                hyp = relabel_by_first_appearance((seg.start, seg.end, label) for seg, _, label in tracks)
                rows.append(
                    Row(rec.name, step, threshold, {c: der(rec.rttm, hyp, c) for c in COLLARS}, len(hyp.speakers), rtf)
                )
                print(_fmt(rows[-1]), flush=True)
            pipeline.training = False
    return rows


def _fmt(row: Row) -> str:
    return (
        f"| {row.recording} | {row.step:.2f} | {row.threshold:.2f} | {row.der[0.0]:.3f} | {row.der[0.25]:.3f} "
        f"| {row.speakers} | {row.rtf:.3f} |"
    )


def summary(rows: list[Row]) -> str:
    lines = [
        "| step | threshold | mean DER (collar 0) | mean DER (collar 0.25) | worst DER (collar 0) | all 2 speakers |",
        "|---|---|---|---|---|---|",
    ]
    keys = sorted({(r.step, r.threshold) for r in rows})
    for step, threshold in keys:
        sel = [r for r in rows if r.step == step and r.threshold == threshold]
        lines.append(
            f"| {step:.2f} | {threshold:.2f} | {np.mean([r.der[0.0] for r in sel]):.3f} "
            f"| {np.mean([r.der[0.25] for r in sel]):.3f} | {max(r.der[0.0] for r in sel):.3f} "
            f"| {'yes' if all(r.speakers == 2 for r in sel) else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder with <name>.wav + <name>.rttm (tts_dialogue output)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8])
    parser.add_argument("--steps", type=float, nargs="+", default=[0.1, 0.2, 0.5])
    parser.add_argument("--only", nargs="*", help="recording names to keep (default: all)")
    args = parser.parse_args()
    recordings = [pyannote_sample()] + [
        Recording(w.stem, w, w.with_suffix(".rttm")) for w in sorted(args.corpus.glob("*.wav"))
    ]
    print("| recording | step | threshold | DER collar 0 | DER collar 0.25 | speakers | RTF |")
    print("|---|---|---|---|---|---|---|")
    if args.only:
        recordings = [r for r in recordings if r.name in args.only]
    rows = tune(recordings, args.thresholds, args.steps, DiarizationSettings())
    print()
    print(summary(rows))


if __name__ == "__main__":
    main()
