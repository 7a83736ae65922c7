"""Diarization stage logic without models: labels, stereo activity, RTTM, settings -> pyannote parameters."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from services.errors import InputError
from services.pipeline.channel_activity import ActivityOptions, active_regions, frame_levels_db
from services.pipeline.diarize import (
    Diarizer,
    diarize_stereo,
    hyper_parameters,
    relabel_by_first_appearance,
    speaker_bounds,
    to_rttm,
)
from services.pipeline.types import AudioInfo, DecodedAudio, Diarization, Turn
from services.settings import DiarizationSettings

SR = 16_000
REPO = Path(__file__).resolve().parents[2]


def _audio(*channels: np.ndarray) -> DecodedAudio:
    mono = np.mean(np.stack(channels), axis=0).astype(np.float32)
    info = AudioInfo(duration_s=len(mono) / SR, sample_rate=SR, channels=len(channels))
    return DecodedAudio(mono=mono, channels=tuple(c.astype(np.float32) for c in channels), info=info)


def _bursts(duration_s: float, spans: list[tuple[float, float]], rng: np.random.Generator) -> np.ndarray:
    """Noise floor (-70 dBFS) with speech-like bursts (-20 dBFS, 150 Hz + harmonics) in `spans`."""
    t = np.arange(int(duration_s * SR)) / SR
    signal = rng.normal(0, 10 ** (-70 / 20), len(t))
    voice = 0.1 * (np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 450 * t))
    for start, end in spans:
        sel = (t >= start) & (t < end)
        signal[sel] += voice[sel]
    return signal


# ------------------------------------------------------------------------------------------- labels


def test_labels_follow_first_appearance_not_cluster_ids() -> None:
    segments = [(5.0, 6.0, 0), (1.0, 2.0, 7), (2.5, 3.0, 0), (0.2, 0.8, 3)]
    result = relabel_by_first_appearance(segments)
    assert [(t.start, t.speaker) for t in result.turns] == [
        (0.2, "SPEAKER_00"),
        (1.0, "SPEAKER_01"),
        (2.5, "SPEAKER_02"),
        (5.0, "SPEAKER_02"),
    ]
    assert result.speakers == ("SPEAKER_00", "SPEAKER_01", "SPEAKER_02")


def test_relabel_drops_empty_turns_and_rounds() -> None:
    result = relabel_by_first_appearance([(1.0, 1.0, "a"), (1.23456, 2.98765, "b")])
    assert result.turns == (Turn(start=1.235, end=2.988, speaker="SPEAKER_00"),)
    assert result.speakers == ("SPEAKER_00",)


def test_relabel_empty() -> None:
    assert relabel_by_first_appearance([]) == Diarization(turns=(), speakers=())


# ------------------------------------------------------------------------------------------- stereo


def test_stereo_turns_per_channel_with_overlap_and_crosstalk() -> None:
    rng = np.random.default_rng(0)
    left = _bursts(6.0, [(0.5, 2.0), (4.0, 5.0)], rng)
    right = _bursts(6.0, [(1.8, 3.5)], rng)
    # Far party leaks into each channel 25 dB down: must not become turns.
    left_leaky, right_leaky = left + 10 ** (-25 / 20) * right, right + 10 ** (-25 / 20) * left

    result = diarize_stereo(_audio(left_leaky, right_leaky))

    assert result.speakers == ("SPEAKER_00", "SPEAKER_01")
    got = [(t.speaker, t.start, t.end) for t in result.turns]
    expected = [("SPEAKER_00", 0.5, 2.0), ("SPEAKER_01", 1.8, 3.5), ("SPEAKER_00", 4.0, 5.0)]
    assert len(got) == len(expected), got
    for (spk, start, end), (exp_spk, exp_start, exp_end) in zip(got, expected):
        assert spk == exp_spk
        assert start == pytest.approx(exp_start, abs=0.03)
        assert end == pytest.approx(exp_end, abs=0.03)


def test_stereo_channel_index_is_the_speaker_even_if_channel_1_speaks_first() -> None:
    rng = np.random.default_rng(1)
    left = _bursts(4.0, [(2.0, 3.0)], rng)
    right = _bursts(4.0, [(0.5, 1.5)], rng)
    result = diarize_stereo(_audio(left, right))
    assert [t.speaker for t in result.turns] == ["SPEAKER_01", "SPEAKER_00"]


def test_stereo_silent_channel_has_no_speaker() -> None:
    rng = np.random.default_rng(2)
    result = diarize_stereo(_audio(_bursts(3.0, [(0.5, 2.0)], rng), _bursts(3.0, [], rng)))
    assert result.speakers == ("SPEAKER_00",)
    assert len(result.turns) == 1


def test_stereo_bridges_short_pauses_and_drops_clicks() -> None:
    rng = np.random.default_rng(3)
    left = _bursts(5.0, [(0.5, 1.5), (1.6, 2.5), (4.0, 4.05)], rng)  # 0.1 s pause; 50 ms click
    result = diarize_stereo(_audio(left, _bursts(5.0, [], rng)), ActivityOptions(min_silence_s=0.3))
    assert len(result.turns) == 1
    assert result.turns[0].start == pytest.approx(0.5, abs=0.03)
    assert result.turns[0].end == pytest.approx(2.5, abs=0.03)


def test_stereo_needs_two_channels() -> None:
    rng = np.random.default_rng(4)
    with pytest.raises(InputError):
        diarize_stereo(_audio(_bursts(1.0, [(0.1, 0.5)], rng)))


def test_activity_of_empty_channels() -> None:
    empty = np.zeros(0, dtype=np.float32)
    assert active_regions((empty, empty), SR, ActivityOptions()) == [[], []]
    assert frame_levels_db(empty, SR, ActivityOptions()).shape == (0,)


# --------------------------------------------------------------------------------------------- RTTM


def test_rttm_lines() -> None:
    diarization = Diarization(
        turns=(Turn(start=0.5, end=2.25, speaker="SPEAKER_00"), Turn(start=2.0, end=3.0, speaker="SPEAKER_01")),
        speakers=("SPEAKER_00", "SPEAKER_01"),
    )
    text = to_rttm(diarization, "my call")
    assert text == (
        "SPEAKER my_call 1 0.500 1.750 <NA> <NA> SPEAKER_00 <NA> <NA>\n"
        "SPEAKER my_call 1 2.000 1.000 <NA> <NA> SPEAKER_01 <NA> <NA>\n"
    )
    for line in text.splitlines():
        assert len(line.split()) == 10


def test_rttm_empty() -> None:
    assert to_rttm(Diarization(turns=(), speakers=()), "x") == ""


# ------------------------------------------------------------------------------------------ settings


def test_settings_to_hyper_parameters() -> None:
    params = hyper_parameters(DiarizationSettings(threshold=0.7, min_duration_off=0.25))
    assert params == {
        "segmentation": {"min_duration_off": 0.25},
        "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.7},
    }


def test_speaker_bounds() -> None:
    diar = DiarizationSettings(min_speakers=1, max_speakers=4)
    assert speaker_bounds(diar, None, None, None) == {"num_speakers": None, "min_speakers": 1, "max_speakers": 4}
    assert speaker_bounds(diar, None, 2, None) == {"num_speakers": None, "min_speakers": 2, "max_speakers": 4}
    assert speaker_bounds(diar, 3, 1, 2) == {"num_speakers": 3, "min_speakers": None, "max_speakers": None}
    with pytest.raises(InputError):
        speaker_bounds(diar, None, 5, 2)
    with pytest.raises(InputError):
        speaker_bounds(diar, 0, None, None)


# ------------------------------------------------------------------------------------- fake pipeline


@dataclass
class _Segment:
    start: float
    end: float


class _FakeAnnotation:
    def __init__(self, tracks: list[tuple[float, float, str]]) -> None:
        self.tracks = tracks

    def itertracks(self, yield_label: bool = False):  # noqa: ANN201 - mimics pyannote.core.Annotation
        for i, (start, end, label) in enumerate(self.tracks):
            yield _Segment(start, end), i, label


@dataclass
class _FakeOutput:
    speaker_diarization: _FakeAnnotation


class _FakePipeline:
    def __init__(self, tracks: list[tuple[float, float, str]]) -> None:
        self.tracks = tracks
        self.calls: list[tuple[dict, dict]] = []

    def __call__(self, file: dict, **kwargs: int | None) -> _FakeOutput:
        self.calls.append((file, kwargs))
        return _FakeOutput(_FakeAnnotation(self.tracks))


def test_diarizer_passes_waveform_in_memory_and_relabels() -> None:
    pytest.importorskip("torch")
    fake = _FakePipeline([(3.0, 4.0, "SPEAKER_00"), (0.5, 2.0, "SPEAKER_01")])
    diarizer = Diarizer(pipeline=fake, settings=DiarizationSettings(max_speakers=3))
    mono = np.zeros(SR * 5, dtype=np.float32)
    result = diarizer.diarize(_audio(mono), num_speakers=None, min_speakers=2)

    file, kwargs = fake.calls[0]
    assert tuple(file["waveform"].shape) == (1, SR * 5)
    assert file["sample_rate"] == SR
    assert kwargs == {"num_speakers": None, "min_speakers": 2, "max_speakers": 3}
    assert [(t.start, t.speaker) for t in result.turns] == [(0.5, "SPEAKER_00"), (3.0, "SPEAKER_01")]


def test_diarizer_empty_audio_skips_the_model() -> None:
    fake = _FakePipeline([])
    diarizer = Diarizer(pipeline=fake, settings=DiarizationSettings())
    empty = DecodedAudio(
        mono=np.zeros(0, dtype=np.float32),
        channels=(np.zeros(0, dtype=np.float32),),
        info=AudioInfo(duration_s=0.0, sample_rate=SR, channels=1),
    )
    assert diarizer.diarize(empty) == Diarization(turns=(), speakers=())
    assert fake.calls == []


# ----------------------------------------------------------------------------------------- imports


def test_importing_the_stage_does_not_import_torch_or_pyannote() -> None:
    code = (
        "import sys, services.pipeline.diarize, models.speaker_embedding, models.campplus;"
        "heavy = [m for m in ('torch', 'pyannote.audio', 'lightning') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
