"""The naive baseline: the plain sequential script people write first, with the SAME local weights as Parley.

    faster-whisper `transcribe(audio, word_timestamps=True)` with its defaults (beam 5, no VAD, conditioned on
    previous text, no hallucination guards)
    -> pyannote `SpeakerDiarization` configured like the published speaker-diarization-3.1 recipe
       (segmentation-3.0, agglomerative clustering, centroid linkage, threshold 0.7046, min cluster 12, batch 32),
       with CAM++ in place of WeSpeaker (the only speaker embedding we can load offline)
    -> each word gets the speaker whose turn contains the word's midpoint (none: UNKNOWN); no overlap handling,
       no stereo handling, no NLP, no lead.

Same threads as Parley (1), same machine, same process isolation, so that the ratios measure the pipeline and
not the setup. Runnable on its own:  python -m benchmarks.baseline AUDIO [--gpu]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from benchmarks.outputs import CallOutput, HypTurn, HypWord

# pyannote/speaker-diarization-3.1 config.yaml (same segmentation model; its WeSpeaker embedding is hub-only).
RECIPE_3_1: dict[str, dict[str, Any]] = {
    "segmentation": {"min_duration_off": 0.0},
    "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.7045654963945799},
}
RECIPE_BATCH = 32
DESCRIPTION = (
    "faster-whisper defaults (beam 5, no VAD, condition_on_previous_text) + pyannote SpeakerDiarization with the "
    "speaker-diarization-3.1 recipe hyper-parameters, same local weights, words -> speaker by midpoint, no guards"
)


@dataclass
class NaiveModels:
    whisper: Any
    diarization: Any


@contextmanager
def _plda_none_allowed() -> Iterator[None]:
    # pyannote.audio 4.0.7 raises on plda=None although agglomerative clustering never uses PLDA: any script
    # using these weights has to step around it.
    from unittest import mock

    from pyannote.audio.pipelines import speaker_diarization as module

    original = module.get_plda
    with mock.patch.object(module, "get_plda", lambda plda, *a, **k: None if plda is None else original(plda, *a, **k)):
        yield


def load_naive(settings: Any, *, gpu: bool = False, threads: int = 1) -> NaiveModels:
    from models.offline import enforce_offline

    enforce_offline()  # air gap only (pyannote telemetry off): not an accuracy guard

    import torch
    from faster_whisper import WhisperModel
    from pyannote.audio import Model
    from pyannote.audio.pipelines import SpeakerDiarization

    from models.registry import resolve_model
    from models.speaker_embedding import load_campplus_embedding

    torch.set_num_threads(threads)
    data_dir = settings.models.data_dir
    whisper = WhisperModel(
        str(resolve_model(settings.models.asr, data_dir)),
        device="cuda" if gpu else "cpu",
        compute_type="float16" if gpu else "int8",
        cpu_threads=threads,
        local_files_only=True,
    )
    segmentation = Model.from_pretrained(
        resolve_model(settings.models.segmentation, data_dir) / "pytorch_model.bin", strict=False
    )
    embedding = load_campplus_embedding(resolve_model(settings.models.speaker_embedding, data_dir))
    with _plda_none_allowed():
        pipeline = SpeakerDiarization(
            segmentation=segmentation,
            embedding=embedding,
            embedding_exclude_overlap=True,
            plda=None,
            clustering="AgglomerativeClustering",
            embedding_batch_size=RECIPE_BATCH,
            segmentation_batch_size=RECIPE_BATCH,
        )
    pipeline.instantiate(RECIPE_3_1)
    pipeline.to(torch.device("cuda" if gpu else "cpu"))
    return NaiveModels(whisper=whisper, diarization=pipeline)


def speaker_at(turns: list[HypTurn], t: float) -> str | None:
    for turn in turns:
        if turn.start <= t <= turn.end:
            return turn.speaker
    return None


def run_naive(models: NaiveModels, audio_path: Path, uri: str) -> CallOutput:
    import torch
    from faster_whisper.audio import decode_audio

    seconds: dict[str, float] = {}
    started = t0 = time.perf_counter()
    samples = decode_audio(str(audio_path), sampling_rate=16_000)
    seconds["decode"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    segments, _info = models.whisper.transcribe(samples, word_timestamps=True)
    raw_words = [w for seg in segments for w in (seg.words or ())]
    seconds["asr"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    waveform = torch.from_numpy(samples).reshape(1, -1)
    with torch.inference_mode():
        output = models.diarization({"waveform": waveform, "sample_rate": 16_000, "uri": uri})
    annotation = getattr(output, "speaker_diarization", output)
    turns = [HypTurn(float(s.start), float(s.end), str(label)) for s, _, label in annotation.itertracks(yield_label=True)]
    seconds["diarization"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    words = tuple(
        HypWord(float(w.start), float(w.end), w.word.strip(), speaker_at(turns, (w.start + w.end) / 2))
        for w in raw_words
        if w.word.strip()
    )
    seconds["alignment"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - started
    return CallOutput(
        uri=uri,
        duration_s=len(samples) / 16_000,
        words=words,
        turns=tuple(turns),
        stage_seconds={k: round(v, 3) for k, v in seconds.items()},
    )


def main(argv: list[str] | None = None) -> int:
    from services.settings import Settings

    p = argparse.ArgumentParser(prog="python -m benchmarks.baseline", description=__doc__.split("\n")[0])
    p.add_argument("audio", type=Path)
    p.add_argument("--gpu", action="store_true")
    args = p.parse_args(argv)
    models = load_naive(Settings(), gpu=args.gpu)
    out = run_naive(models, args.audio, args.audio.stem)
    json.dump(asdict(out), sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
