"""Speaker diarization stage: who speaks when.

Mono (or down-mixed) calls go through pyannote.audio's `SpeakerDiarization` pipeline built from local files only:
pyannote segmentation-3.0 + CAM++ speaker embeddings (models/speaker_embedding.py) + agglomerative clustering.
Stereo calls where each channel is one party skip the models: per-channel energy activity gives the turns
(services/pipeline/channel_activity.py).

Speaker labels are "SPEAKER_00", "SPEAKER_01", ... in order of first appearance (stereo: channel index), so the
same call always gets the same labels whatever order the clustering produced.

Heavy imports (torch, pyannote) happen in `load_diarizer()` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from services.errors import InputError, ModelError
from services.pipeline.channel_activity import ActivityOptions, active_regions
from services.pipeline.types import DecodedAudio, Diarization, Turn
from services.settings import DiarizationSettings, Settings

# ---------------------------------------------------------------------------------- hyper-parameters


def hyper_parameters(diar: DiarizationSettings) -> dict[str, dict[str, Any]]:
    """pyannote `instantiate()` parameters from settings (segmentation-3.0 is powerset: no onset threshold)."""
    return {
        "segmentation": {"min_duration_off": float(diar.min_duration_off)},
        "clustering": {
            "method": diar.clustering_method,
            "min_cluster_size": diar.min_cluster_size,
            "threshold": float(diar.threshold),
        },
    }


def speaker_bounds(
    diar: DiarizationSettings,
    num_speakers: int | None,
    min_speakers: int | None,
    max_speakers: int | None,
) -> dict[str, int | None]:
    """Per-call speaker counts win over settings; a known `num_speakers` makes min/max irrelevant."""
    if num_speakers is not None:
        if num_speakers < 1:
            raise InputError(f"num_speakers must be >= 1, got {num_speakers}")
        return {"num_speakers": num_speakers, "min_speakers": None, "max_speakers": None}
    low = min_speakers if min_speakers is not None else diar.min_speakers
    high = max_speakers if max_speakers is not None else diar.max_speakers
    if low is not None and high is not None and low > high:
        raise InputError(f"min_speakers ({low}) is larger than max_speakers ({high})")
    return {"num_speakers": None, "min_speakers": low, "max_speakers": high}


# ------------------------------------------------------------------------------------------- labels


def relabel_by_first_appearance(segments: Iterable[tuple[float, float, Any]]) -> Diarization:
    """(start, end, any label) -> Diarization with SPEAKER_00.. numbered by first start time; turns sorted."""
    ordered = sorted(segments, key=lambda s: (s[0], s[1]))
    names: dict[Any, str] = {}
    turns = []
    for start, end, label in ordered:
        if end <= start:
            continue
        if label not in names:
            names[label] = f"SPEAKER_{len(names):02d}"
        turns.append(Turn(start=round(start, 3), end=round(end, 3), speaker=names[label]))
    return Diarization(turns=tuple(turns), speakers=tuple(names.values()))


def to_rttm(diarization: Diarization, uri: str) -> str:
    """Standard RTTM: one `SPEAKER <uri> 1 <onset> <duration> <NA> <NA> <speaker> <NA> <NA>` line per turn."""
    uri = "_".join(uri.split()) or "call"  # RTTM fields are whitespace separated
    lines = (
        f"SPEAKER {uri} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.speaker} <NA> <NA>\n"
        for t in diarization.turns
    )
    return "".join(lines)


# ------------------------------------------------------------------------------------------- stereo


def diarize_stereo(audio: DecodedAudio, options: ActivityOptions | None = None) -> Diarization:
    """One speaker per channel (channel 0 = SPEAKER_00): each channel's speech regions are that speaker's turns.
    Overlapping turns are kept (both parties talking). Speakers with no speech at all are left out."""
    if len(audio.channels) < 2:
        raise InputError(
            f"stereo diarization needs 2 or more channels, got {len(audio.channels)}",
            hint="turn off stereo_speakers for mono recordings",
        )
    regions = active_regions(audio.channels, audio.sample_rate, options or ActivityOptions())
    turns = [
        Turn(start=round(start, 3), end=round(end, 3), speaker=f"SPEAKER_{channel:02d}")
        for channel, spans in enumerate(regions)
        for start, end in spans
    ]
    turns.sort(key=lambda t: (t.start, t.end, t.speaker))
    speakers = tuple(f"SPEAKER_{c:02d}" for c, spans in enumerate(regions) if spans)
    return Diarization(turns=tuple(turns), speakers=speakers)


# --------------------------------------------------------------------------------------------- mono


@dataclass
class Diarizer:
    """A loaded pyannote pipeline plus the settings it was built from. Build it with `load_diarizer()`."""

    pipeline: Any
    settings: DiarizationSettings

    def diarize(
        self,
        audio: DecodedAudio,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> Diarization:
        import torch

        bounds = speaker_bounds(self.settings, num_speakers, min_speakers, max_speakers)
        if len(audio.mono) == 0:
            return Diarization(turns=(), speakers=())
        # In memory: pyannote would otherwise decode the file again (torchcodec), and we already hold 16 kHz.
        waveform = torch.from_numpy(audio.mono.astype("float32", copy=False)).reshape(1, -1)
        file = {"waveform": waveform, "sample_rate": audio.sample_rate, "uri": "call"}
        with torch.inference_mode():
            output = self.pipeline(file, **bounds)
        annotation = output.speaker_diarization
        return relabel_by_first_appearance(
            (segment.start, segment.end, label) for segment, _, label in annotation.itertracks(yield_label=True)
        )


@contextmanager
def _plda_optional() -> Iterator[None]:
    """pyannote.audio 4.0.7: SpeakerDiarization.__init__ calls get_plda(plda) unconditionally and get_plda(None)
    raises TypeError, although PLDA is only used by VBx clustering. Let None through during construction."""
    from unittest import mock

    from pyannote.audio.pipelines import speaker_diarization as module

    original = module.get_plda

    def get_plda(plda: Any, *args: Any, **kwargs: Any) -> Any:
        return None if plda is None else original(plda, *args, **kwargs)

    with mock.patch.object(module, "get_plda", get_plda):
        yield


def load_diarizer(settings: Settings) -> Diarizer:
    """Build the pyannote pipeline from local weights and instantiate it from `settings.diarization`."""
    from models.offline import enforce_offline

    # Before pyannote is imported: its telemetry reads PYANNOTE_METRICS_ENABLED at import time.
    enforce_offline()

    import torch

    diar = settings.diarization
    # Threads are process-wide; on a shared 2-core box one thread is much faster than two (FACTS.md).
    torch.set_num_threads(diar.torch_threads)

    from models.registry import resolve_model

    segmentation_dir = resolve_model(settings.models.segmentation, settings.models.data_dir)
    embedding_file = resolve_model(settings.models.speaker_embedding, settings.models.data_dir)

    try:
        from pyannote.audio import Model
        from pyannote.audio.pipelines import SpeakerDiarization

        from models.speaker_embedding import load_campplus_embedding

        segmentation = Model.from_pretrained(segmentation_dir / "pytorch_model.bin", strict=False)
        embedding = load_campplus_embedding(embedding_file)
        with _plda_optional():
            pipeline = SpeakerDiarization(
                segmentation=segmentation,
                segmentation_step=diar.segmentation_step,
                embedding=embedding,
                embedding_exclude_overlap=diar.embedding_exclude_overlap,
                plda=None,
                clustering="AgglomerativeClustering",
                embedding_batch_size=diar.embedding_batch_size,
                segmentation_batch_size=diar.segmentation_batch_size,
            )
        pipeline.instantiate(hyper_parameters(diar))
        pipeline.to(torch.device(diar.device))
    except ModelError:
        raise
    except Exception as exc:  # a broken/mismatched checkpoint must surface as a model error, not a 500
        raise ModelError(f"could not load the diarization pipeline: {exc}") from exc
    return Diarizer(pipeline=pipeline, settings=diar)

